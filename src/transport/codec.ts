// The wire encoding of frames: one msgpackr configuration, used by every node for both directions.
//
// Numbers: a JS number encodes as a msgpack int (up to 32 bits) or float64 (beyond), and decodes
// as the same number. Foreign int64/uint64 values (e.g. from a bigint) decode as numbers when
// they are within ±2^53 (`int64AsType: 'auto'`) and as bigint beyond; the validators refuse any
// bigint where a number is expected, so Raft indexes and terms are always plain safe integers.
// A bigint wider than 64 bits does not encode at all (send() drops the frame as invalid).
//
// Bytes: a Uint8Array encodes as msgpack bin and decodes as a Buffer holding its own copy
// (`copyBuffers`), so a small entry kept in the Raft log never pins a whole received frame.
//
// Undefined object fields are omitted (an optional field left undefined must not arrive as a
// present-but-undefined key). msgpackr 2.1.4 does this at runtime with `skipValues`, and reads
// `int64AsType: 'auto'`, but its typings list neither; so the options are typed here, and a probe
// at load time falls back to stripping undefined fields ourselves should a msgpackr ignore them.

import { Packr, type Options } from 'msgpackr';

/** The handshake's protocol version. A change of the frame encoding or handshake bumps it. */
export const PROTOCOL_VERSION = 1;

/** msgpackr options that exist at runtime (2.1.4) but are missing from its `Options` type. */
interface WireOptions extends Omit<Options, 'int64AsType'> {
  skipValues?: unknown[];
  int64AsType?: 'bigint' | 'number' | 'string' | 'auto';
}

export const CODEC_OPTIONS: Readonly<WireOptions> = Object.freeze({
  // Records need shared structure definitions; a wire protocol between processes must not.
  useRecords: false,
  // Maps decode as plain objects (keys are strings in every frame).
  mapsAsObjects: true,
  int64AsType: 'auto' as const,
  copyBuffers: true,
});

function makePackr(): Packr {
  const options: WireOptions = { ...CODEC_OPTIONS, skipValues: [undefined] };
  return new Packr(options as unknown as Options);
}

const packr = makePackr();

/** True when this msgpackr omits undefined fields itself (an empty map is the single byte 0x80). */
const SKIPS_UNDEFINED = (() => {
  try {
    const probe = packr.pack({ a: undefined });
    return probe.length === 1 && probe[0] === 0x80;
  } catch {
    return false;
  }
})();

/** A copy without undefined object fields (plain objects and arrays only; the fallback path). */
function stripUndefined(value: unknown, depth = 0): unknown {
  if (depth > 64 || typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map((v) => stripUndefined(v, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v, depth + 1);
  return out;
}

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

/** Encodes one value (a frame). Throws CodecError when it cannot be encoded. */
export function encodeFrame(value: unknown): Buffer {
  try {
    return packr.pack(SKIPS_UNDEFINED ? value : stripUndefined(value));
  } catch (err) {
    throw new CodecError(`frame does not encode: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Decodes exactly one value from `bytes` (trailing bytes are an error). Throws CodecError. */
export function decodeFrame(bytes: Uint8Array): unknown {
  if (bytes.length === 0) throw new CodecError('bytes do not decode as msgpack: empty message');
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new CodecError(`bytes do not decode as msgpack: ${err instanceof Error ? err.message : String(err)}`);
  }
}
