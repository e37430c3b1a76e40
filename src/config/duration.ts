/**
 * Go duration strings (`time.ParseDuration` / `Duration.String`), as §0.2 of
 * the API contract describes them. Nomad's agent config and its API bodies use
 * them, so opraft parses and prints exactly what Go does.
 *
 * Internally everything is an integer number of nanoseconds (a bigint, like
 * Go's int64); the config stores milliseconds (a number, fractions allowed:
 * "1µs" is 0.001 ms).
 */

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

const NS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const UNIT_LIST = 'ns, us, µs, ms, s, m, h';
const TWO_POW_63 = 1n << 63n;
const MAX_NS = TWO_POW_63 - 1n;
const NS_PER_MS = 1_000_000;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Parses a Go duration string into nanoseconds (Go's int64 range). */
export function parseDurationNs(text: string): bigint {
  if (typeof text !== 'string') throw new DurationError(`expected a duration string, got ${typeof text}`);
  const quoted = JSON.stringify(text);
  const invalid = (why?: string) => new DurationError(`invalid duration ${quoted}${why ? ` (${why})` : ''}`);
  let s = text;
  let negative = false;
  if (s[0] === '-' || s[0] === '+') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n; // Go's special case: a bare 0 needs no unit
  if (s === '') throw invalid(text === '' ? 'empty' : undefined);

  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid();
    let i = 0;
    while (isDigit(s[i])) i++;
    const wholeDigits = s.slice(0, i);
    s = s.slice(i);

    let fraction = 0n; // Go's leadingFraction: digits kept while they fit in int64
    let scale = 1;
    let hasFraction = false;
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflowed = false;
      while (isDigit(s[j])) {
        if (!overflowed) {
          if (fraction > MAX_NS / 10n) overflowed = true;
          else {
            fraction = fraction * 10n + BigInt(s.charCodeAt(j) - 48);
            scale *= 10;
          }
        }
        j++;
      }
      hasFraction = j > 0;
      s = s.slice(j);
    }
    if (wholeDigits === '' && !hasFraction) throw invalid(); // ".s", "-.s"

    let k = 0;
    while (k < s.length && s[k] !== '.' && !isDigit(s[k])) k++;
    if (k === 0) {
      throw new DurationError(`missing unit in duration ${quoted} (write it with a unit: ${UNIT_LIST}; for example "${text}s")`);
    }
    const unitText = s.slice(0, k);
    s = s.slice(k);
    const unit = NS_PER_UNIT[unitText];
    if (unit === undefined) {
      throw new DurationError(`unknown unit ${JSON.stringify(unitText)} in duration ${quoted} (units: ${UNIT_LIST})`);
    }

    let value = BigInt(wholeDigits === '' ? '0' : wholeDigits);
    if (value > TWO_POW_63 / unit) throw invalid('too large');
    value *= unit;
    if (fraction > 0n) {
      // Go computes the fractional part in float64, truncating toward zero.
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (value > TWO_POW_63) throw invalid('too large');
    }
    total += value;
    if (total > TWO_POW_63) throw invalid('too large');
  }
  if (negative) return -total;
  if (total > MAX_NS) throw invalid('too large');
  return total;
}

/** Parses a Go duration string into milliseconds (fractional for sub-millisecond values). */
export function parseDuration(text: string): number {
  return Number(parseDurationNs(text)) / NS_PER_MS;
}

/** Formats nanoseconds as Go's `Duration.String` does: `0s`, `1.5µs`, `200ms`, `1m30s`, `1h0m0s`. */
export function formatDurationNs(ns: bigint): string {
  if (ns === 0n) return '0s';
  const negative = ns < 0n;
  const u = negative ? -ns : ns;
  let text: string;
  if (u < 1_000_000_000n) {
    // Below a second: the largest unit that fits, with a trimmed fraction.
    const [prec, unit] = u < 1_000n ? [0, 'ns'] : u < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const [fraction, whole] = splitFraction(u, prec);
    text = `${whole}${fraction}${unit}`;
  } else {
    const [fraction, seconds] = splitFraction(u, 9);
    text = `${seconds % 60n}${fraction}s`;
    const minutes = seconds / 60n;
    if (minutes > 0n) {
      text = `${minutes % 60n}m${text}`;
      const hours = minutes / 60n;
      if (hours > 0n) text = `${hours}h${text}`; // Go stops at hours: days vary in length
    }
  }
  return negative ? `-${text}` : text;
}

/** Formats milliseconds as a Go duration string (rounded to whole nanoseconds). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new DurationError(`cannot format ${ms} as a duration`);
  return formatDurationNs(BigInt(Math.round(ms * NS_PER_MS)));
}

/** Go's fmtFrac: the fraction of v / 10^prec without trailing zeros (and no dot when it is zero), and v / 10^prec. */
function splitFraction(v: bigint, prec: number): [string, bigint] {
  let digits = '';
  let printing = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    printing ||= digit !== 0n;
    if (printing) digits = digit.toString() + digits;
    v /= 10n;
  }
  return [printing ? `.${digits}` : '', v];
}
