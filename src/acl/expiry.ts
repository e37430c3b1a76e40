// Whether a token's ExpirationTime has passed. The stored value is an RFC 3339 string with
// up to nanosecond precision, so it is compared in nanoseconds rather than through Date
// (which keeps milliseconds only).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Unix nanoseconds of an RFC 3339 time, or null if it is not one. */
export function rfc3339Nanos(text: string): bigint | null {
  const m = RFC3339.exec(text);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return null;
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    offsetMin = sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  }
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * 1_000_000n + BigInt(frac.padEnd(9, '0') || '0');
}

/**
 * Nomad's IsExpired: a token expires at its ExpirationTime (expired when now ≥ it). A time
 * that cannot be read counts as expired, so a damaged record never grants access.
 */
export function isExpired(expirationTime: string | null, nowMs: number): boolean {
  if (expirationTime === null || expirationTime === '') return false;
  const at = rfc3339Nanos(expirationTime);
  if (at === null) return true;
  return BigInt(Math.floor(nowMs)) * 1_000_000n >= at;
}
