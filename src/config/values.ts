/**
 * Checks for single values, shared by the file decoder and the flag parser so
 * that a value means the same wherever it is written. Each returns the value
 * or a problem text (without file or key: the caller adds those).
 *
 * Leniency follows HCL1's decoder, which Nomad uses: numbers are accepted
 * where text is expected, and numeric or true/false strings where numbers or
 * booleans are expected (flags are strings too).
 */
import { isIP } from 'node:net';
import { parseByteSize } from './bytes.ts';
import { DurationError, formatDuration, parseDuration } from './duration.ts';
import type { LogLevel } from './types.ts';

export type Check<T> = { ok: true; value: T } | { ok: false; problem: string };

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const bad = <T>(problem: string): Check<T> => ({ ok: false, problem });

/** How a wrong value is shown in a message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length > 0 && value.every(isPlainObject) ? 'a block' : 'a list';
  if (typeof value === 'object') return 'a block';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function checkString(value: unknown, opts: { allowEmpty?: boolean } = {}): Check<string> {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else return bad(`expected a string, got ${describeValue(value)}`);
  if (!opts.allowEmpty && text === '') return bad('expected a value, got an empty string');
  return ok(text);
}

/** A name (node name, region, datacenter): no whitespace or control characters, which would break member names. */
export function checkName(value: unknown, extraForbidden = ''): Check<string> {
  const s = checkString(value);
  if (!s.ok) return s;
  if (/[\s\x00-\x1f\x7f]/.test(s.value)) return bad(`must not contain spaces or control characters, got ${JSON.stringify(s.value)}`);
  for (const c of extraForbidden) {
    if (s.value.includes(c)) return bad(`must not contain ${JSON.stringify(c)}, got ${JSON.stringify(s.value)}`);
  }
  return s;
}

export function checkBool(value: unknown): Check<boolean> {
  if (typeof value === 'boolean') return ok(value);
  if (typeof value === 'string') {
    // Go's strconv.ParseBool, which Go flags and HCL1 strings use.
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return ok(true);
    if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return ok(false);
  }
  return bad(`expected true or false, got ${describeValue(value)}`);
}

export function checkInt(value: unknown, opts: { min?: number; max?: number } = {}): Check<number> {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) n = Number(value.trim());
  else return bad(`expected a whole number, got ${describeValue(value)}`);
  if (!Number.isSafeInteger(n)) return bad(`expected a whole number, got ${describeValue(value)}`);
  const { min, max } = opts;
  if (min !== undefined && max !== undefined && (n < min || n > max)) return bad(`must be from ${min} to ${max}, got ${n}`);
  if (min !== undefined && n < min) return bad(min === 0 ? `must not be negative, got ${n}` : `must be at least ${min}, got ${n}`);
  if (max !== undefined && n > max) return bad(`must be at most ${max}, got ${n}`);
  return ok(n);
}

export function checkPort(value: unknown): Check<number> {
  const n = checkInt(value, { min: 0, max: 65535 });
  return n.ok ? n : bad(`${n.problem} (a TCP port; 0 picks any free port)`);
}

/** A Go duration string, returned in milliseconds. `min` is in milliseconds. */
export function checkDuration(value: unknown, opts: { min?: number; max?: number; positive?: boolean } = {}): Check<number> {
  if (typeof value !== 'string') {
    if (value === 0) return checkDuration('0', opts);
    const hint = typeof value === 'number' ? ' (a number needs a unit: write it as a string such as "10s" or "200ms")' : '';
    return bad(`expected a duration such as "10s" or "200ms", got ${describeValue(value)}${hint}`);
  }
  let ms: number;
  try {
    ms = parseDuration(value.trim());
  } catch (err) {
    if (err instanceof DurationError) return bad(err.message);
    throw err;
  }
  if (ms < 0) return bad(`must not be negative, got ${JSON.stringify(value)}`);
  if (opts.positive && ms === 0) return bad(`must be longer than 0, got ${JSON.stringify(value)}`);
  if (opts.min !== undefined && ms < opts.min) return bad(`must be at least ${formatDuration(opts.min)}, got ${JSON.stringify(value)}`);
  if (opts.max !== undefined && ms > opts.max) return bad(`must be at most ${formatDuration(opts.max)}, got ${JSON.stringify(value)}`);
  return ok(ms);
}

export function checkSize(value: unknown, opts: { positive?: boolean } = {}): Check<number> {
  const r = parseByteSize(value);
  if ('problem' in r) return bad(r.problem);
  if (opts.positive && r.bytes === 0) return bad(`must be larger than 0, got ${describeValue(value)}`);
  return ok(r.bytes);
}

/** A list of strings; a single string is read as a one-element list, as HCL1 does. */
export function checkStringList(value: unknown): Check<string[]> {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) return bad(`expected a list of strings, got ${describeValue(value)}`);
  const out: string[] = [];
  for (const [i, item] of list.entries()) {
    if (typeof item !== 'string') return bad(`expected a list of strings, but item ${i} is ${describeValue(item)}`);
    out.push(item);
  }
  return ok(out);
}

const LOG_LEVELS: Readonly<Record<string, LogLevel>> = {
  TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error', OFF: 'silent',
};

/** Nomad's log levels, any case. */
export function checkLogLevel(value: unknown): Check<LogLevel> {
  const s = checkString(value);
  if (!s.ok) return s;
  const level = LOG_LEVELS[s.value.trim().toUpperCase()];
  if (level === undefined) {
    return bad(`invalid log level ${JSON.stringify(s.value)}; valid log levels are: ${Object.keys(LOG_LEVELS).join(', ')}`);
  }
  return ok(level);
}

/** §8.1: 0 means the default 1; otherwise 1–10, with Nomad's own error text. */
export function checkRaftMultiplier(value: unknown): Check<number> {
  const n = checkInt(value);
  if (!n.ok) return n;
  if (n.value === 0) return ok(1);
  if (n.value < 1 || n.value > 10) return bad(`raft_multiplier cannot be ${n.value}. Must be between 1 and 10`);
  return n;
}

/** bind_addr: an IP address to listen on (Nomad's go-sockaddr templates are not supported). */
export function checkBindAddr(value: unknown): Check<string> {
  const s = checkString(value);
  if (!s.ok) return s;
  const text = s.value.trim();
  if (text.includes('{{')) return bad(`go-sockaddr templates are not supported by opraft, got ${JSON.stringify(text)}; give an IP address`);
  const host = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIP(host) === 0) return bad(`expected an IP address to listen on (such as "0.0.0.0" or "127.0.0.1"), got ${JSON.stringify(text)}`);
  return ok(host);
}

/** Part A §2: a base64 key (Nomad's gossip keys are 16, 24 or 32 bytes). */
export function checkEncryptKey(value: unknown): Check<string> {
  const s = checkString(value);
  if (!s.ok) return s;
  const key = s.value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || key.length % 4 !== 0) {
    return bad('Invalid encryption key: expected standard base64 text (generate one with `openssl rand -base64 32`)');
  }
  const bytes = Buffer.from(key, 'base64').length;
  if (![16, 24, 32].includes(bytes)) return bad(`Invalid encryption key: it decodes to ${bytes} bytes; it must be 32 bytes (16 or 24 are also accepted)`);
  return ok(key);
}
