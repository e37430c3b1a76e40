// Finds where a tar archive ends inside the decompressed stream (the two zero blocks), forwards
// the archive and judges what follows (Part A §12): zero padding up to the end of a 10 KiB tar
// record is accepted (GNU tar writes it); anything else is `<n> unread uncompressed bytes remain`.
// Only the framing (header sizes) is read here; tar-stream does the extraction.
import { Transform, type TransformCallback } from 'node:stream';
import { ArchiveError } from './meta.ts';

const BLOCK = 512;
const RECORD = 10 * 1024;

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** The entry size in a ustar header: octal text, or GNU base-256 when the high bit is set. */
function entrySize(header: Buffer): number {
  const field = header.subarray(124, 136);
  if ((field[0]! & 0x80) !== 0) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new ArchiveError(`failed to read snapshot file: archive/tar: invalid tar header`);
  return parseInt(text, 8);
}

export class TarBoundary extends Transform {
  private pending = Buffer.alloc(0);
  private skipBytes = 0;
  private zeroBlocks = 0;
  private offset = 0; // archive bytes forwarded
  private ended = false;
  private extra = 0;
  private extraNonZero = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.consume(chunk);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  private consume(chunk: Buffer): void {
    if (this.ended) return this.after(chunk);
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let start = 0;
    let pos = 0;
    while (!this.ended) {
      if (this.skipBytes > 0) {
        const n = Math.min(this.skipBytes, buf.length - pos);
        pos += n;
        this.skipBytes -= n;
        if (this.skipBytes > 0) break;
        continue;
      }
      if (buf.length - pos < BLOCK) break;
      const header = buf.subarray(pos, pos + BLOCK);
      pos += BLOCK;
      if (isZero(header)) {
        if (++this.zeroBlocks === 2) this.ended = true;
        continue;
      }
      this.zeroBlocks = 0;
      this.skipBytes = Math.ceil(entrySize(header) / BLOCK) * BLOCK;
    }
    if (pos > start) {
      this.push(buf.subarray(start, pos));
      this.offset += pos - start;
    }
    start = pos;
    if (this.ended) {
      this.pending = Buffer.alloc(0);
      this.after(buf.subarray(pos));
    } else {
      this.pending = Buffer.from(buf.subarray(pos));
    }
    buf = Buffer.alloc(0);
  }

  private after(b: Buffer): void {
    if (b.length === 0) return;
    this.extra += b.length;
    if (!isZero(b)) this.extraNonZero = true;
  }

  override _flush(cb: TransformCallback): void {
    if (this.pending.length) {
      this.push(this.pending);
      this.pending = Buffer.alloc(0);
    }
    const recordEnd = Math.ceil(this.offset / RECORD) * RECORD;
    if (this.extra > 0 && (this.extraNonZero || this.offset + this.extra > recordEnd)) {
      cb(new ArchiveError(`${this.extra} unread uncompressed bytes remain`));
      return;
    }
    cb();
  }
}
