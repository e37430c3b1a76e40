// Small shape checks for values that arrive from outside (decoded commands, state.bin
// records). Each check names the field and what is wrong, and returns a fresh value, so
// what passes a check shares nothing with the caller's object.

export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

export type Fields = Record<string, unknown>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX_DATA_DEPTH = 32;

export function join(at: string, key: string): string {
  return at ? `${at}.${key}` : key;
}

/** A short description of a value's kind, for error messages. */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'binary data';
  if (typeof v === 'bigint') return `the integer ${v}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === 'string') return `a string`;
  if (typeof v === 'boolean') return `${v}`;
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null ? 'an object' : `a ${v.constructor?.name ?? 'non-plain'} object`;
  }
  return `a ${typeof v}`;
}

export function isPlainObject(v: unknown): v is Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function object(v: unknown, at: string): Fields {
  if (!isPlainObject(v)) throw new ShapeError(`${at || 'value'} must be an object, got ${kindOf(v)}`);
  return v;
}

function present(o: Fields, key: string, at: string): unknown {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  if (v === undefined) throw new ShapeError(`${join(at, key)} is missing`);
  return v;
}

function isAbsent(o: Fields, key: string): boolean {
  return !Object.hasOwn(o, key) || o[key] === undefined || o[key] === null;
}

export function string(o: Fields, key: string, at: string, opts: { nonEmpty?: boolean } = {}): string {
  const v = present(o, key, at);
  if (typeof v !== 'string') throw new ShapeError(`${join(at, key)} must be a string, got ${kindOf(v)}`);
  if (opts.nonEmpty && v === '') throw new ShapeError(`${join(at, key)} must not be empty`);
  return v;
}

export function stringOrNull(o: Fields, key: string, at: string): string | null {
  if (isAbsent(o, key)) return null;
  return string(o, key, at);
}

export function boolean(o: Fields, key: string, at: string): boolean {
  const v = present(o, key, at);
  if (typeof v !== 'boolean') throw new ShapeError(`${join(at, key)} must be true or false, got ${kindOf(v)}`);
  return v;
}

export function optionalBoolean(o: Fields, key: string, at: string): boolean | undefined {
  if (isAbsent(o, key)) return undefined;
  return boolean(o, key, at);
}

/** A non-negative integer that fits in 53 bits (msgpack may hand back a small bigint). */
export function uintValue(v: unknown, at: string): number {
  if (typeof v === 'bigint' && v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new ShapeError(`${at} must be a non-negative integer below 2^53, got ${kindOf(v)}`);
}

export function uint(o: Fields, key: string, at: string): number {
  return uintValue(present(o, key, at), join(at, key));
}

export function optionalUint(o: Fields, key: string, at: string): number | undefined {
  if (isAbsent(o, key)) return undefined;
  return uint(o, key, at);
}

/** A signed 64-bit integer, returned as a bigint whatever the decoder produced. */
export function int64(o: Fields, key: string, at: string): bigint {
  const v = present(o, key, at);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX) return v;
  throw new ShapeError(`${join(at, key)} must be a 64-bit integer, got ${kindOf(v)}`);
}

export function stringArray(o: Fields, key: string, at: string, opts: { nonEmptyItems?: boolean } = {}): string[] {
  const v = present(o, key, at);
  if (!Array.isArray(v)) throw new ShapeError(`${join(at, key)} must be an array of strings, got ${kindOf(v)}`);
  return v.map((item, i) => {
    if (typeof item !== 'string') throw new ShapeError(`${join(at, key)}[${i}] must be a string, got ${kindOf(item)}`);
    if (opts.nonEmptyItems && item === '') throw new ShapeError(`${join(at, key)}[${i}] must not be empty`);
    return item;
  });
}

export function stringArrayOrNull(o: Fields, key: string, at: string): string[] | null {
  if (isAbsent(o, key)) return null;
  return stringArray(o, key, at);
}

/** A map of string to string, copied with its keys sorted. `__proto__` is refused: msgpackr
 *  renames that key when decoding, so it could not survive a snapshot. */
export function stringMap(o: Fields, key: string, at: string): Record<string, string> {
  const where = join(at, key);
  const v = object(present(o, key, at), where);
  const entries = Object.keys(v).sort().map((k): [string, string] => {
    if (k === '__proto__') throw new ShapeError(`${where} must not use the key "__proto__"`);
    const value = v[k];
    if (typeof value !== 'string') throw new ShapeError(`${where}["${k}"] must be a string, got ${kindOf(value)}`);
    return [k, value];
  });
  return Object.fromEntries(entries);
}

/**
 * Free-form data (e.g. license Flags): null, booleans, strings, finite numbers, 64-bit
 * integers, arrays and plain objects, nested at most 32 deep. Copied with object keys
 * sorted, so equal data has one encoding.
 */
export function plainData(v: unknown, at: string, depth = 0): unknown {
  if (depth > MAX_DATA_DEPTH) throw new ShapeError(`${at} is nested too deeply (more than ${MAX_DATA_DEPTH} levels)`);
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ShapeError(`${at} must be a finite number, got ${v}`);
    return v;
  }
  if (typeof v === 'bigint') {
    if (v < INT64_MIN || v > INT64_MAX) throw new ShapeError(`${at} does not fit in 64 bits`);
    return v;
  }
  if (Array.isArray(v)) return v.map((item, i) => plainData(item, `${at}[${i}]`, depth + 1));
  if (isPlainObject(v)) {
    const entries = Object.keys(v).sort().map((k): [string, unknown] => {
      if (k === '__proto__') throw new ShapeError(`${at} must not use the key "__proto__"`);
      return [k, plainData(v[k], `${at}.${k}`, depth + 1)];
    });
    return Object.fromEntries(entries);
  }
  throw new ShapeError(`${at} holds ${kindOf(v)}, which is not plain data`);
}

export function plainObjectOrNull(o: Fields, key: string, at: string): Record<string, unknown> | null {
  if (isAbsent(o, key)) return null;
  const where = join(at, key);
  object(o[key], where);
  return plainData(o[key], where) as Record<string, unknown>;
}
