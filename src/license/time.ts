// RFC 3339 times as license payloads carry them. JS Date.parse accepts 2020-02-31 and
// hour 24 and drops nanoseconds, so we parse ourselves and compare in exact nanoseconds.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Unix nanoseconds of an RFC 3339 time, or null when the text is not one. */
export function parseRfc3339(text: string): bigint | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // Date.UTC maps years 0–99 to 1900+; setUTCFullYear does not.
  const base = new Date(0);
  base.setUTCFullYear(year, month - 1, day);
  base.setUTCHours(hour, minute, second, 0);
  const fraction = BigInt((m[7] ?? '').padEnd(9, '0') || '0');
  return (BigInt(base.getTime()) - BigInt(offsetMinutes) * 60_000n) * 1_000_000n + fraction;
}

export function dateNs(d: Date): bigint {
  return BigInt(d.getTime()) * 1_000_000n;
}

/** RFC 3339 in UTC as Go's RFC3339Nano prints it (fraction without trailing zeros). */
export function formatRfc3339(d: Date): string {
  const [whole, millis = ''] = d.toISOString().slice(0, -1).split('.');
  const fraction = millis.replace(/0+$/, '');
  return `${whole}${fraction ? `.${fraction}` : ''}Z`;
}
