// The one msgpack codec of the FSM (commands and state.bin), and a scanner that finds
// where one msgpack value ends without decoding it, so a stream of
// `[type byte][msgpack value]` records can be cut apart and truncation reported exactly.

import { Packr, type Options } from 'msgpackr';

// useRecords:false: plain msgpack maps that any decoder (and another opraft) can read.
// int64AsType 'auto': 64-bit integers that fit in 53 bits come back as numbers, larger
// ones (Unix nanoseconds) as bigints. 'auto' exists in msgpackr 2.1 but is missing from
// its type declarations, hence the cast.
const packr = new Packr({ useRecords: false, int64AsType: 'auto' } as unknown as Options);

export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes exactly `bytes[start, end)`; throws when the value does not fill the range. */
export function unpackRange(bytes: Uint8Array, start: number, end: number): unknown {
  if (end <= start) throw new Error('empty msgpack value');
  return packr.unpack(bytes, { start, end });
}

/** msgpackr may append the whole decoded value to its messages; keep them readable. */
export function shortMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.length > 160 ? `${m.slice(0, 160)}…` : m;
}

export class MsgpackScanError extends Error {
  constructor(
    message: string,
    /** True when the bytes end before the value does. */
    readonly truncated: boolean,
  ) {
    super(message);
    this.name = 'MsgpackScanError';
  }
}

/**
 * The offset just past the msgpack value that starts at `offset`. Iterative (no recursion,
 * so hostile nesting cannot overflow the stack), and every step consumes at least one
 * byte, so a huge claimed length ends as "truncated" rather than a long loop.
 */
export function msgpackValueEnd(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = offset;
  let pending = 1; // values still to skip
  const need = (n: number): void => {
    if (pos + n > bytes.length) throw new MsgpackScanError(`msgpack value starting at byte ${offset} is truncated`, true);
  };
  while (pending > 0) {
    need(1);
    const b = bytes[pos++]!;
    pending--;
    if (b <= 0x7f || b >= 0xe0) continue; // fixint
    if (b <= 0x8f) { pending += 2 * (b & 0x0f); continue; } // fixmap
    if (b <= 0x9f) { pending += b & 0x0f; continue; } // fixarray
    if (b <= 0xbf) { need(b & 0x1f); pos += b & 0x1f; continue; } // fixstr
    switch (b) {
      case 0xc0: case 0xc2: case 0xc3: break; // nil, false, true
      case 0xc1: throw new MsgpackScanError(`byte 0xc1 at ${pos - 1} is never valid msgpack`, false);
      case 0xc4: case 0xd9: { need(1); const n = view.getUint8(pos); pos += 1; need(n); pos += n; break; } // bin8, str8
      case 0xc5: case 0xda: { need(2); const n = view.getUint16(pos); pos += 2; need(n); pos += n; break; } // bin16, str16
      case 0xc6: case 0xdb: { need(4); const n = view.getUint32(pos); pos += 4; need(n); pos += n; break; } // bin32, str32
      case 0xc7: { need(2); const n = view.getUint8(pos); pos += 2; need(n); pos += n; break; } // ext8
      case 0xc8: { need(3); const n = view.getUint16(pos); pos += 3; need(n); pos += n; break; } // ext16
      case 0xc9: { need(5); const n = view.getUint32(pos); pos += 5; need(n); pos += n; break; } // ext32
      case 0xca: need(4); pos += 4; break; // float32
      case 0xcb: need(8); pos += 8; break; // float64
      case 0xcc: case 0xd0: need(1); pos += 1; break;
      case 0xcd: case 0xd1: need(2); pos += 2; break;
      case 0xce: case 0xd2: need(4); pos += 4; break;
      case 0xcf: case 0xd3: need(8); pos += 8; break;
      case 0xd4: need(2); pos += 2; break; // fixext1
      case 0xd5: need(3); pos += 3; break; // fixext2
      case 0xd6: need(5); pos += 5; break; // fixext4
      case 0xd7: need(9); pos += 9; break; // fixext8
      case 0xd8: need(17); pos += 17; break; // fixext16
      case 0xdc: { need(2); pending += view.getUint16(pos); pos += 2; break; } // array16
      case 0xdd: { need(4); pending += view.getUint32(pos); pos += 4; break; } // array32
      case 0xde: { need(2); pending += 2 * view.getUint16(pos); pos += 2; break; } // map16
      case 0xdf: { need(4); pending += 2 * view.getUint32(pos); pos += 4; break; } // map32
    }
  }
  return pos;
}
