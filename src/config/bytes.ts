/**
 * Byte sizes for the `limits { }` block: a whole number of bytes, or a string
 * with a unit as Nomad's own size settings take them (go-humanize's
 * ParseBytes): "1MiB" is 1,048,576 bytes, while "1MB" and "1M" are 1,000,000.
 */

const BYTES_PER_UNIT: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1e3, kb: 1e3, ki: 2 ** 10, kib: 2 ** 10,
  m: 1e6, mb: 1e6, mi: 2 ** 20, mib: 2 ** 20,
  g: 1e9, gb: 1e9, gi: 2 ** 30, gib: 2 ** 30,
  t: 1e12, tb: 1e12, ti: 2 ** 40, tib: 2 ** 40,
};

const SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/;

/** Returns the number of bytes, or an explanation of why the value is not a size. */
export function parseByteSize(value: unknown): { bytes: number } | { problem: string } {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return { bytes: value };
    return { problem: `expected a non-negative whole number of bytes or a size such as "8MiB", got ${value}` };
  }
  if (typeof value !== 'string') {
    return { problem: `expected a size such as "8MiB" or a number of bytes, got ${describeType(value)}` };
  }
  const match = SIZE_PATTERN.exec(value);
  const perUnit = match ? BYTES_PER_UNIT[match[2]!.toLowerCase()] : undefined;
  if (!match || perUnit === undefined) {
    return { problem: `expected a size such as "8MiB", "1GB" or "1048576", got ${JSON.stringify(value)}` };
  }
  const bytes = Math.floor(Number(match[1]) * perUnit);
  if (!Number.isSafeInteger(bytes)) return { problem: `size ${JSON.stringify(value)} is too large` };
  return { bytes };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a block';
  return `${typeof value} ${JSON.stringify(value)}`;
}
