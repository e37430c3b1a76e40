// Go's ways of printing values that Nomad's CLI output relies on: time.Time.String(), the ISO
// form of formatTime, Duration.String(), go-humanize's IBytes, the -json and -t formatters.
import { formatDurationNs, parseDurationNs } from '../config/duration.ts';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function offsetParts(offsetMin: number): { sign: string; hh: string; mm: string } {
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return { sign, hh: pad(Math.floor(a / 60)), mm: pad(a % 60) };
}

/** The local zone's abbreviation as Go prints it (`UTC`, `CET`, or `+0530` when unnamed). */
function localZoneName(d: Date): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  if (/^[A-Z]{2,5}$/.test(name)) return name;
  const o = offsetParts(-d.getTimezoneOffset());
  return `${o.sign}${o.hh}${o.mm}`;
}

/** Go's fractional-second digits: `.123` with trailing zeros trimmed; '' for none. */
function fraction(nanos: string): string {
  const t = nanos.replace(/0+$/, '');
  return t === '' ? '' : `.${t}`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/**
 * time.Time.String() of a time decoded from RFC 3339 JSON: `2024-02-20 16:40:55.5 +0000 UTC`.
 * A time with a numeric offset prints `+0200 +0200` (Go's unnamed fixed zone).
 */
export function goTimeString(rfc3339: string | null | undefined): string {
  if (!rfc3339) return '0001-01-01 00:00:00 +0000 UTC';
  const m = RFC3339.exec(rfc3339);
  if (!m) return rfc3339;
  const [, y, mo, d, h, mi, s, ns = '', zone] = m;
  const frac = fraction(ns.padEnd(9, '0'));
  const base = `${y}-${mo}-${d} ${h}:${mi}:${s}${frac}`;
  if (zone === 'Z' || zone === 'z') return `${base} +0000 UTC`;
  const z = zone!.replace(':', '');
  return `${base} ${z} ${z}`;
}

/** time.Unix(0, ns).String(): local time with nanoseconds, `2024-02-20 16:40:55.123456789 +0000 UTC`. */
export function goLocalTimeString(unixNanos: number | bigint): string {
  const ns = BigInt(unixNanos);
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const subSecond = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const o = offsetParts(-d.getTimezoneOffset());
  const frac = fraction(String(subSecond).padStart(9, '0'));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${frac} ${o.sign}${o.hh}${o.mm} ${localZoneName(d)}`;
}

/** Nomad's formatTime: local time as `2006-01-02T15:04:05Z07:00`; '' before 1970-01-01T00:00:01. */
export function formatIsoLocal(ms: number): string {
  if (Math.floor(ms / 1000) < 1) return '';
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const o = offsetParts(off);
  const zone = off === 0 ? 'Z' : `${o.sign}${o.hh}:${o.mm}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`;
}

/** Nomad's formatUnixNanoTime. */
export function formatUnixNanoTime(unixNanos: number | bigint): string {
  return formatIsoLocal(Number(BigInt(unixNanos) / 1_000_000n));
}

/** A Go duration string re-printed canonically (as decoding into time.Duration and %s does). */
export function goDuration(text: string): string {
  try {
    return formatDurationNs(parseDurationNs(text));
  } catch {
    return text;
  }
}

/** go-humanize IBytes: `512 B`, `1.5 KiB`, `12 KiB`. */
export function humanizeIBytes(n: number): string {
  if (n < 10) return `${n} B`;
  const sizes = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  const e = Math.floor(Math.log(n) / Math.log(1024));
  const val = Math.floor((n / 1024 ** e) * 10 + 0.5) / 10;
  return val < 10 ? `${val.toFixed(1)} ${sizes[e]}` : `${val.toFixed(0)} ${sizes[e]}`;
}

/** Nomad's -json formatter (4-space indent). */
export function jsonFormat(data: unknown): string {
  return JSON.stringify(data, null, 4);
}

/**
 * A small subset of Go's text/template for `-t`: literal text and `{{.Field.Sub}}` / `{{.}}`
 * actions (with `{{-`/`-}}` trimming). Anything else is refused with a template error.
 */
export function goTemplate(tmpl: string, data: unknown): string {
  let out = '';
  let rest = tmpl;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    if (open < 0) {
      out += rest;
      break;
    }
    let text = rest.slice(0, open);
    const close = rest.indexOf('}}', open);
    if (close < 0) throw new Error('template: output:1: unclosed action');
    let action = rest.slice(open + 2, close);
    rest = rest.slice(close + 2);
    if (action.startsWith('- ')) {
      text = text.replace(/\s+$/, '');
      action = action.slice(1);
    }
    if (action.endsWith(' -')) {
      rest = rest.replace(/^\s+/, '');
      action = action.slice(0, -1);
    }
    out += text;
    const expr = action.trim();
    if (!/^\.([A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$/.test(expr)) {
      throw new Error(`template: output:1: this opraft supports only field actions like {{.Field}}, not {{${expr}}}`);
    }
    let v: unknown = data;
    for (const key of expr.split('.').filter((k) => k !== '')) {
      if (v === null || typeof v !== 'object') throw new Error(`template: output:1:${open + 2}: executing "output" at <${expr}>: can't evaluate field ${key}`);
      if (!(key in (v as object))) throw new Error(`template: output:1:${open + 2}: executing "output" at <${expr}>: can't evaluate field ${key}`);
      v = (v as Record<string, unknown>)[key];
    }
    out += goValue(v);
  }
  return out;
}

/** fmt's %v of a decoded JSON value. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, x]) => `${k}:${goValue(x)}`).join(' ')}]`;
  }
  return String(v);
}

/** Nomad's Format(json, tmpl, data) for commands offering -json and -t. */
export function formatData(json: boolean, tmpl: string, data: unknown): string {
  if (json && tmpl !== '') throw new Error('Both json and template formatting are not allowed');
  if (json) return jsonFormat(data);
  return goTemplate(tmpl, data);
}
