// The on-disk format of one snapshot file:
//   magic "OPRSNAP\n" (8 bytes) | format version (u16 BE) | header length (u32 BE) |
//   header (msgpack {index, term, config, size, createdMs}) | state machine data (size bytes) |
//   sha256 over everything before it (32 bytes)
// The checksum covers meta and data, so a torn or bit-flipped file is recognised and skipped.
import { createHash } from 'node:crypto';
import type { Snapshot, SnapshotMeta } from '../raft/index.ts';
import { checkSnapshotMeta, packPlain, snapshotMetaRecord, unpackPlain } from './codec.ts';
import { StorageError } from './errors.ts';

export const SNAPSHOT_MAGIC = Buffer.from('OPRSNAP\n', 'latin1');
export const SNAPSHOT_FORMAT_VERSION = 1;
const PREAMBLE = SNAPSHOT_MAGIC.length + 2 + 4;
const DIGEST = 32;

/** The chunks of a snapshot file (the data is not copied). */
export function encodeSnapshotFile(meta: SnapshotMeta, data: Uint8Array, createdMs: number): Buffer[] {
  const header = packPlain({ ...snapshotMetaRecord(meta), size: data.length, createdMs });
  const pre = Buffer.allocUnsafe(PREAMBLE);
  SNAPSHOT_MAGIC.copy(pre, 0);
  pre.writeUInt16BE(SNAPSHOT_FORMAT_VERSION, SNAPSHOT_MAGIC.length);
  pre.writeUInt32BE(header.length, SNAPSHOT_MAGIC.length + 2);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const digest = createHash('sha256').update(pre).update(header).update(body).digest();
  return [pre, header, body, digest];
}

export interface DecodedSnapshot extends Snapshot {
  createdMs: number;
}

/** Parses and verifies a whole snapshot file; `what` names it in errors. */
export function decodeSnapshotFile(bytes: Buffer, what: string): DecodedSnapshot {
  if (bytes.length < PREAMBLE + DIGEST) throw new StorageError('corrupt', `${what}: ${bytes.length} bytes, too short for a snapshot file`);
  if (!bytes.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) throw new StorageError('corrupt', `${what}: not an opraft snapshot file (bad magic)`);
  const version = bytes.readUInt16BE(SNAPSHOT_MAGIC.length);
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw new StorageError('format', `${what}: snapshot format version ${version} is unknown (this opraft reads version ${SNAPSHOT_FORMAT_VERSION})`);
  }
  const body = bytes.subarray(0, bytes.length - DIGEST);
  const want = bytes.subarray(bytes.length - DIGEST);
  const got = createHash('sha256').update(body).digest();
  if (!got.equals(want)) throw new StorageError('corrupt', `${what}: checksum mismatch (the file is damaged)`);
  const headerLength = bytes.readUInt32BE(SNAPSHOT_MAGIC.length + 2);
  if (PREAMBLE + headerLength > body.length) throw new StorageError('corrupt', `${what}: header length ${headerLength} runs past the end of the file`);
  const header = unpackPlain(body.subarray(PREAMBLE, PREAMBLE + headerLength), `${what} header`) as Record<string, unknown>;
  const meta = checkSnapshotMeta(header, 'corrupt', `${what} header`);
  const data = body.subarray(PREAMBLE + headerLength);
  if (header.size !== data.length) throw new StorageError('corrupt', `${what}: header says ${String(header.size)} data bytes, the file holds ${data.length}`);
  const createdMs = typeof header.createdMs === 'number' ? header.createdMs : 0;
  return { meta, data, createdMs };
}
