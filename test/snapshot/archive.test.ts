// The archive writer and verifying reader, on our own archives and on Nomad's fixtures
// (../shared/fixtures/nomad-snapshot-archives, with the verdicts Nomad's reader gives).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { archiveBuffer, buildMeta, readArchive, ArchiveTooLargeError } from '../../src/snapshot/index.ts';

const FIXTURES = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../fixtures/nomad-snapshot-archives');
const limits = { maxCompressedBytes: 1 << 30, maxUncompressedBytes: 4 * 2 ** 30 };

const meta = (size: number) =>
  buildMeta({ index: 42, term: 3, config: { voters: ['a', 'b'], nonVoters: ['c'], addresses: { a: '10.0.0.1:4647', b: '10.0.0.2:4647', c: '10.0.0.3:4647' } }, configIndex: 7, size, createdMs: 1700000000000 });

async function read(bytes: Buffer, l = limits) {
  return readArchive(Readable.from([bytes]), l);
}

async function tarEntries(gz: Buffer): Promise<{ name: string; mode: number | undefined; size: number | undefined }[]> {
  const ex = tar.extract();
  const out: { name: string; mode: number | undefined; size: number | undefined }[] = [];
  const done = (async () => {
    for await (const e of ex) {
      out.push({ name: e.header.name, mode: e.header.mode, size: e.header.size });
      e.resume();
    }
  })();
  Readable.from([zlib.gunzipSync(gz)]).pipe(ex);
  await done;
  return out;
}

test('archive: three entries in order, mode 0600, two end blocks only, and it reads back', async () => {
  const state = Buffer.from('state bytes '.repeat(100));
  const { bytes, digest } = await archiveBuffer(meta(state.length), state);
  assert.match(digest, /^sha-256=[A-Za-z0-9+/]+=*$/);
  const entries = await tarEntries(bytes);
  assert.deepEqual(entries.map((e) => e.name), ['meta.json', 'state.bin', 'SHA256SUMS']);
  for (const e of entries) assert.equal(e.mode, 0o600);
  const raw = zlib.gunzipSync(bytes);
  // 3 headers + data blocks + 2 end blocks, no 10 KiB record padding.
  const dataBlocks = entries.reduce((n, e) => n + Math.ceil((e.size ?? 0) / 512), 0);
  assert.equal(raw.length, (3 + dataBlocks + 2) * 512);
  const back = await read(bytes);
  assert.deepEqual(back.stateBin, state);
  assert.equal(back.meta.Index, 42);
  assert.equal(back.meta.Term, 3);
  assert.equal(back.meta.ID, '3-42-1700000000000');
  assert.deepEqual(back.meta.Configuration.Servers.map((s) => [s.ID, s.Suffrage]), [['a', 0], ['b', 0], ['c', 1]]);
  const metaText = raw.subarray(512, 512 + entries[0]!.size!).toString();
  assert.ok(metaText.endsWith('}\n'), 'meta.json ends with the newline of Go encoding/json');
});

const VERDICTS: [string, string][] = [
  ['empty.tar', 'failed checking integrity of snapshot'],
  ['extra.tar', 'unexpected file "nope"'],
  ['missing-meta.tar', 'hash check failed for "meta.json"'],
  ['missing-state.tar', 'hash check failed for "state.bin"'],
  ['missing-sha.tar', 'file missing'],
  ['corrupt-meta.tar', 'hash check failed for "meta.json"'],
  ['corrupt-state.tar', 'hash check failed for "state.bin"'],
  ['corrupt-sha.tar', 'list missing hash for "nope"'],
];

for (const [file, verdict] of VERDICTS) {
  test(`archive: Nomad fixture ${file} is refused with "${verdict}"`, async () => {
    const gz = zlib.gzipSync(readFileSync(path.join(FIXTURES, file)));
    await assert.rejects(read(gz), (e: Error) => e.message.includes(verdict) || assert.fail(`got: ${e.message}`));
  });
}

test('archive: Nomad fixture spaces-meta.tar passes (zero padding to 10 KiB accepted, meta with trailing spaces)', async () => {
  const gz = zlib.gzipSync(readFileSync(path.join(FIXTURES, 'spaces-meta.tar')));
  const r = await read(gz);
  assert.ok(r.stateBin.length > 0);
});

test('archive: non-zero bytes after the tar end are refused with "unread uncompressed bytes remain"', async () => {
  const raw = readFileSync(path.join(FIXTURES, 'spaces-meta.tar'));
  const tampered = Buffer.from(raw);
  tampered[tampered.length - 1] = 1;
  await assert.rejects(read(zlib.gzipSync(tampered)), /unread uncompressed bytes remain/);
  // Zero bytes beyond the 10 KiB record are not padding either; the count is every byte after the
  // end blocks (the fixture's 1536 bytes of padding plus the 512 added), as Nomad counts them.
  assert.equal(raw.length, 10240);
  await assert.rejects(read(zlib.gzipSync(Buffer.concat([raw, Buffer.alloc(512)]))), /^ArchiveError: 2048 unread uncompressed bytes remain$/);
});

test('archive: not gzip, truncated gzip, and bytes after the gzip stream are refused', async () => {
  await assert.rejects(read(Buffer.from('plain text, not an archive')), /failed to decompress snapshot: gzip: invalid header/);
  const state = Buffer.from('x'.repeat(5000));
  const { bytes } = await archiveBuffer(meta(state.length), state);
  await assert.rejects(read(bytes.subarray(0, bytes.length - 20)), /failed to (decompress|read) snapshot/);
  await assert.rejects(read(Buffer.concat([bytes, Buffer.alloc(16)])), /16 bytes remain after the gzip stream/);
  await assert.rejects(read(Buffer.concat([bytes, Buffer.from('garbage')])), /failed to decompress snapshot/);
});

test('archive: a gzip bomb stops at the uncompressed limit', async () => {
  const state = Buffer.alloc(4 * 1024 * 1024); // compresses to a few KiB
  const { bytes } = await archiveBuffer(meta(state.length), state);
  assert.ok(bytes.length < 64 * 1024);
  await assert.rejects(read(bytes, { maxCompressedBytes: 1 << 30, maxUncompressedBytes: 1024 * 1024 }), (e: Error) => e instanceof ArchiveTooLargeError);
  await assert.rejects(read(bytes, { maxCompressedBytes: 1000, maxUncompressedBytes: 1 << 30 }), (e: Error) => e instanceof ArchiveTooLargeError);
});
