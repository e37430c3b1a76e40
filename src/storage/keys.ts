// The LevelDB key layout. Log keys are a prefix byte and the index as 8 bytes big-endian,
// so LevelDB's byte order is index order; metadata keys live under a different prefix.

const LOG_PREFIX = 0x6c; // 'l'
const LOG_KEY_LENGTH = 9;

/** Every log key sorts at or above this and below LOG_END. */
export const LOG_START = Buffer.from([LOG_PREFIX]);
export const LOG_END = Buffer.from([LOG_PREFIX + 1]);

/** Metadata keys (prefix 'm:' sorts after every log key). */
export const KEY_FORMAT = Buffer.from('m:format');
export const KEY_HARD_STATE = Buffer.from('m:hardstate');
/** The log's compaction point: the snapshot meta every entry at or below it was folded into. */
export const KEY_COMPACTED = Buffer.from('m:compacted');

/** Layout version of the whole store, recorded under KEY_FORMAT when it is created. */
export const STORE_LAYOUT_VERSION = 1;

export function logKey(index: number): Buffer {
  const k = Buffer.allocUnsafe(LOG_KEY_LENGTH);
  k[0] = LOG_PREFIX;
  // Indexes are safe integers (< 2^53): split into two 32-bit halves.
  k.writeUInt32BE(Math.floor(index / 0x1_0000_0000), 1);
  k.writeUInt32BE(index >>> 0, 5);
  return k;
}

/** The index of a log key, or undefined when the key is not one. */
export function indexOfLogKey(key: Uint8Array): number | undefined {
  if (key.length !== LOG_KEY_LENGTH || key[0] !== LOG_PREFIX) return undefined;
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return b.readUInt32BE(1) * 0x1_0000_0000 + b.readUInt32BE(5);
}

export function describeKey(key: Uint8Array): string {
  const i = indexOfLogKey(key);
  return i === undefined ? `key ${JSON.stringify(Buffer.from(key).toString('latin1'))}` : `log entry ${i}`;
}
