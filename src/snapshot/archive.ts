// The snapshot archive (contract §2): gzip(tar(meta.json, state.bin, SHA256SUMS)). The writer emits
// exactly those three entries and only the two end blocks; the reader verifies everything (§2.3,
// Part A §11–§13) and hands back the meta and state.bin only when the whole archive checks out.
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { ArchiveError, decodeMeta, encodeMeta, type SnapshotMetaJson } from './meta.ts';
import { TarBoundary } from './tar-boundary.ts';

const ENTRY_MODE = 0o600;

function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The archive as a gzip stream. */
export function archiveStream(meta: SnapshotMetaJson, stateBin: Buffer, mtime = new Date()): Readable {
  const metaBytes = encodeMeta(meta);
  const sums = `${sha256Hex(metaBytes)}  meta.json\n${sha256Hex(stateBin)}  state.bin\n`;
  const pack = tar.pack();
  const entry = (name: string, data: Buffer) => pack.entry({ name, size: data.length, mode: ENTRY_MODE, mtime, type: 'file' }, data);
  entry('meta.json', metaBytes);
  entry('state.bin', stateBin);
  entry('SHA256SUMS', Buffer.from(sums));
  pack.finalize();
  const gzip = zlib.createGzip();
  pack.pipe(gzip);
  return gzip;
}

/** The archive in one buffer, with Nomad's Digest header value (`sha-256=<base64>`). */
export async function archiveBuffer(meta: SnapshotMetaJson, stateBin: Buffer, mtime = new Date()): Promise<{ bytes: Buffer; digest: string }> {
  const parts: Buffer[] = [];
  for await (const c of archiveStream(meta, stateBin, mtime)) parts.push(c as Buffer);
  const bytes = Buffer.concat(parts);
  return { bytes, digest: `sha-256=${createHash('sha256').update(bytes).digest('base64')}` };
}

export interface ReadLimits {
  /** Compressed bytes accepted (Part A §13: 1 GiB). */
  maxCompressedBytes: number;
  /** Uncompressed bytes accepted (4 GiB); a gzip bomb stops here. */
  maxUncompressedBytes: number;
  /**
   * Largest state.bin accepted (a restore: one Raft entry). Checked against the tar header before
   * the entry is read, so a bomb inside state.bin is not buffered up to maxUncompressedBytes.
   */
  maxStateBytes?: number;
}

/** meta.json and SHA256SUMS are a few hundred bytes; more than this is not a snapshot of ours or Nomad's. */
const MAX_SMALL_FILE_BYTES = 1024 * 1024;

/** Too much data: the HTTP layer answers 413. */
export class ArchiveTooLargeError extends ArchiveError {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveTooLargeError';
  }
}

/** state.bin declares more than ReadLimits.maxStateBytes. */
export class StateTooLargeError extends ArchiveTooLargeError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`state.bin is ${size} bytes; at most ${limit} bytes are accepted`);
    this.name = 'StateTooLargeError';
  }
}

class Counter extends Transform {
  bytes = 0;
  constructor(private readonly limit: number, private readonly what: string) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return cb(new ArchiveTooLargeError(`snapshot is larger than the ${this.what} limit of ${this.limit} bytes`));
    cb(null, chunk);
  }
}

/** Reads and verifies an archive. Every error is an ArchiveError whose message is Nomad's detail text. */
export async function readArchive(input: Readable, limits: ReadLimits): Promise<{ meta: SnapshotMetaJson; stateBin: Buffer }> {
  const compressed = new Counter(limits.maxCompressedBytes, 'compressed');
  const gunzip = zlib.createGunzip();
  const uncompressed = new Counter(limits.maxUncompressedBytes, 'uncompressed');
  const boundary = new TarBoundary();
  const extract = tar.extract();
  const files = new Map<string, Buffer>();
  const hashes = new Map<string, string>();
  let firstBytes: Buffer | undefined;
  const sniff = new PassThrough();
  sniff.once('data', (c: Buffer) => (firstBytes = c));

  const consume = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name;
      // Judged from the header, before any content is buffered: a stranger (say `../../etc/passwd`)
      // or an oversized entry is refused without reading it into memory.
      if (name !== 'meta.json' && name !== 'state.bin' && name !== 'SHA256SUMS') throw new ArchiveError(`failed to read snapshot file: unexpected file "${name}" in snapshot`);
      const size = entry.header.size ?? 0;
      if (name === 'state.bin' && limits.maxStateBytes !== undefined && size > limits.maxStateBytes) throw new StateTooLargeError(size, limits.maxStateBytes);
      if (name !== 'state.bin' && size > MAX_SMALL_FILE_BYTES) throw new ArchiveTooLargeError(`${name} is ${size} bytes; at most ${MAX_SMALL_FILE_BYTES} bytes are read`);
      const parts: Buffer[] = [];
      const h = createHash('sha256');
      for await (const c of entry) {
        parts.push(c as Buffer);
        h.update(c as Buffer);
      }
      if (name !== 'meta.json' && name !== 'state.bin' && name !== 'SHA256SUMS') throw new ArchiveError(`failed to read snapshot file: unexpected file "${name}" in snapshot`);
      files.set(name, Buffer.concat(parts));
      hashes.set(name, h.digest('hex'));
    }
  })();
  try {
    await Promise.all([pipeline(input, sniff, compressed, gunzip, uncompressed, boundary, extract), consume]);
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code?.startsWith('Z_') || err.errno !== undefined && typeof err.code === 'string' && err.code.startsWith('Z')) {
      const bad = firstBytes !== undefined && (firstBytes[0] !== 0x1f || (firstBytes.length > 1 && firstBytes[1] !== 0x8b));
      throw new ArchiveError(`failed to decompress snapshot: ${bad ? 'gzip: invalid header' : `gzip: ${err.message}`}`);
    }
    if (compressed.bytes === 0) throw new ArchiveError('failed to decompress snapshot: EOF');
    throw new ArchiveError(`failed to read snapshot file: ${err.message}`);
  }
  if (gunzip.bytesWritten < compressed.bytes) {
    throw new ArchiveError(`${compressed.bytes - gunzip.bytesWritten} bytes remain after the gzip stream`);
  }
  verify(files, hashes);
  return { meta: decodeMeta(files.get('meta.json')!), stateBin: files.get('state.bin')! };
}

/** Nomad's hashList.DecodeAndVerify over SHA256SUMS (§2.3 step 3). */
function verify(files: Map<string, Buffer>, hashes: Map<string, string>): void {
  const fail = (why: string) => {
    throw new ArchiveError(`failed to read snapshot file: failed checking integrity of snapshot: ${why}`);
  };
  const expected = new Map<string, string>([
    ['meta.json', hashes.get('meta.json') ?? sha256Hex(Buffer.alloc(0))],
    ['state.bin', hashes.get('state.bin') ?? sha256Hex(Buffer.alloc(0))],
  ]);
  const sums = files.get('SHA256SUMS')?.toString('utf8') ?? '';
  const seen = new Set<string>();
  for (const line of sums.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^([0-9a-fA-F]+) {2}(.+)$/.exec(line);
    if (!m) fail(`invalid line in SHA256SUMS: ${JSON.stringify(line)}`);
    const [, hex, file] = m!;
    const want = expected.get(file!);
    if (want === undefined) fail(`list missing hash for "${file}"`);
    if (want !== hex!.toLowerCase()) fail(`hash check failed for "${file}"`);
    seen.add(file!);
  }
  for (const file of expected.keys()) if (!seen.has(file)) fail(`file missing for "${file}"`);
  if (!files.has('meta.json')) fail('hash check failed for "meta.json"');
  if (!files.has('state.bin')) fail('hash check failed for "state.bin"');
}
