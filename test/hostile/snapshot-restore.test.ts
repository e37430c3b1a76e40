// Hostile snapshot restores (contract §1.10, §2, Part A §11–§13) through the real HTTP route and
// FSM: truncated and corrupt gzip, corrupt tar, hash mismatches, trailing bytes, unknown or broken
// state.bin records, path-traversal and link entries, sizes that lie, and gzip bombs. Each is
// refused with the contract's status and text, promptly, and nothing changes. (test/http/snapshot,
// test/snapshot/archive and the integration suite cover the single fixture verdicts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { archiveBuffer, encodeMeta, readArchive, type SnapshotMetaJson } from '../../src/snapshot/index.ts';
import { startFakeServer, type FakeServer } from '../http/fake-server.ts';
import { fingerprint } from './helpers.ts';

const PREFIX = 'failed to restore from snapshot: ';
const MAX_ENTRY = 1 << 20; // the fake server's limits.maxEntryBytes
let s: FakeServer;
let valid: { bytes: Buffer; meta: SnapshotMetaJson; stateBin: Buffer };

before(async () => {
  s = await startFakeServer();
  for (let i = 0; i < 20; i++) assert.equal((await s.fetch(`/v1/var/snap/k${i}`, { method: 'PUT', body: JSON.stringify({ Items: { v: `v${i}` } }) })).status, 200);
  const r = await fetch(`${s.url}/v1/operator/snapshot`);
  assert.equal(r.status, 200);
  const bytes = Buffer.from(await r.arrayBuffer());
  const { meta, stateBin } = await readArchive(Readable.from([bytes]), { maxCompressedBytes: 1 << 30, maxUncompressedBytes: 1 << 30 });
  valid = { bytes, meta, stateBin };
  // A change after the save: a restore that wrongly went through would undo it.
  assert.equal((await s.fetch('/v1/var/snap/after', { method: 'PUT', body: '{"Items":{"v":"x"}}' })).status, 200);
});
after(() => s.close());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A ustar header; `size` may be a number (octal), or raw bytes for the size field (base-256). */
function header(name: string, size: number | Buffer, o: { type?: string; linkname?: string; badChecksum?: boolean } = {}): Buffer {
  const h = Buffer.alloc(512);
  const put = (at: number, len: number, text: string) => h.write(text, at, len, 'latin1');
  const octal = (at: number, len: number, n: number) => put(at, len, n.toString(8).padStart(len - 1, '0') + '\0');
  put(0, 100, name);
  octal(100, 8, 0o600);
  octal(108, 8, 0);
  octal(116, 8, 0);
  if (typeof size === 'number') octal(124, 12, size);
  else size.copy(h, 124, 0, 12);
  octal(136, 12, 1_700_000_000);
  put(156, 1, o.type ?? '0');
  if (o.linkname) put(157, 100, o.linkname);
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, (o.badChecksum ? sum + 1 : sum).toString(8).padStart(6, '0') + '\0 ');
  return h;
}

const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
const END = Buffer.alloc(1024);

/** A tar of the given entries (content padded), with the two end blocks unless `end` is false. */
function tarOf(entries: { name: string; data: Buffer; size?: number | Buffer; type?: string; linkname?: string }[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) parts.push(header(e.name, e.size ?? e.data.length, e), pad(e.data));
  if (end) parts.push(END);
  return Buffer.concat(parts);
}

/** The three entries of a good archive, as tar parts to rearrange. */
function goodEntries(stateBin = valid.stateBin, meta: SnapshotMetaJson = { ...valid.meta, Size: stateBin.length }) {
  const metaBytes = encodeMeta(meta);
  const sums = Buffer.from(`${sha(metaBytes)}  meta.json\n${sha(stateBin)}  state.bin\n`);
  return [
    { name: 'meta.json', data: metaBytes },
    { name: 'state.bin', data: stateBin },
    { name: 'SHA256SUMS', data: sums },
  ];
}

async function restore(body: Buffer): Promise<{ status: number; text: string; ms: number }> {
  const t = Date.now();
  const r = await fetch(`${s.url}/v1/operator/snapshot`, { method: 'PUT', body: new Uint8Array(body), signal: AbortSignal.timeout(20_000) });
  return { status: r.status, text: await r.text(), ms: Date.now() - t };
}

/** Restores `body`, expecting a refusal with `status` and `text`, promptly and with no state change. */
async function refused(what: string, body: Buffer, status: number, text: string | RegExp): Promise<void> {
  const before = fingerprint(s);
  const r = await restore(body);
  assert.equal(r.status, status, `${what}: ${r.text}`);
  if (typeof text === 'string') assert.equal(r.text, text, what);
  else assert.match(r.text, text, what);
  assert.ok(r.ms < 10_000, `${what}: answered in ${r.ms} ms`);
  assert.equal(fingerprint(s), before, `${what}: the state changed`);
  assert.equal((await s.fetch('/v1/var/snap/after')).status, 200, `${what}: the write after the save is still there`);
}

test('the archive helpers build a tar the restore accepts (so every refusal below is about its one defect)', async () => {
  const before = fingerprint(s);
  const r = await restore(zlib.gzipSync(tarOf(goodEntries())));
  assert.deepEqual([r.status, r.text], [200, '']);
  assert.notEqual(fingerprint(s), before, 'the restore went through');
  assert.equal((await s.fetch('/v1/var/snap/after')).status, 404, 'back to the saved state');
  assert.equal((await s.fetch('/v1/var/snap/after', { method: 'PUT', body: '{"Items":{"v":"x"}}' })).status, 200);
});

test('truncated and corrupt gzip: 500 `failed to decompress snapshot: …`', async () => {
  const gz = valid.bytes;
  for (const cut of [1, 2, 10, 11, 100, gz.length >> 1, gz.length - 8, gz.length - 4, gz.length - 1]) {
    await refused(`gzip cut at ${cut} of ${gz.length}`, gz.subarray(0, cut), 500, new RegExp(`^${PREFIX}failed to (decompress|read) snapshot`));
  }
  const flips = [3, 20, gz.length >> 1, gz.length - 6, gz.length - 2]; // header flags, deflate data, CRC, ISIZE
  for (const at of flips) {
    const bad = Buffer.from(gz);
    bad[at] = bad[at]! ^ 0x5a;
    await refused(`gzip byte ${at} flipped`, bad, 500, new RegExp(`^${PREFIX}\\S`));
  }
  await refused('an empty body', Buffer.alloc(0), 500, new RegExp(`^${PREFIX}failed to decompress snapshot`));
  await refused('random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)), 500, `${PREFIX}failed to decompress snapshot: gzip: invalid header`);
  await refused('a zlib (not gzip) stream', zlib.deflateSync(tarOf(goodEntries())), 500, `${PREFIX}failed to decompress snapshot: gzip: invalid header`);
});

test('corrupt tar: bad checksums, bad size fields, truncation, random content — 500 and nothing installed', async () => {
  const [m, st, sums] = goodEntries();
  const badChecksum = Buffer.concat([header('meta.json', m!.data.length, { badChecksum: true }), pad(m!.data), tarOf([st!, sums!])]);
  await refused('a header with a wrong checksum', zlib.gzipSync(badChecksum), 500, new RegExp(`^${PREFIX}failed to read snapshot file: `));
  const badSize = tarOf([{ ...m!, size: Buffer.from('12x4\0\0\0\0\0\0\0\0') }, st!, sums!]);
  await refused('a non-octal size field', zlib.gzipSync(badSize), 500, new RegExp(`^${PREFIX}failed to read snapshot file: `));
  const whole = tarOf(goodEntries());
  for (const cut of [100, 511, 513, 1024 + 100, whole.length - 1024 - 1]) {
    await refused(`a tar cut at ${cut}`, zlib.gzipSync(whole.subarray(0, cut)), 500, new RegExp(`^${PREFIX}\\S`));
  }
  await refused('random bytes in a gzip', zlib.gzipSync(Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 31 + 17) & 0xff))), 500, new RegExp(`^${PREFIX}\\S`));
  await refused('a gzipped empty stream', zlib.gzipSync(Buffer.alloc(0)), 500, new RegExp(`^${PREFIX}\\S`));
  await refused('only end blocks', zlib.gzipSync(END), 500, `${PREFIX}failed to read snapshot file: failed checking integrity of snapshot: file missing for "meta.json"`);
  await refused('a directory entry named state.bin', zlib.gzipSync(tarOf([m!, { name: 'state.bin', data: Buffer.alloc(0), type: '5' }, sums!])), 500, new RegExp(`^${PREFIX}failed to read snapshot file: failed checking integrity of snapshot: hash check failed for "state.bin"`));
  await refused('state.bin twice (the second one wins and fails its hash)', zlib.gzipSync(tarOf([m!, st!, { name: 'state.bin', data: Buffer.from('other') }, sums!])), 500, /hash check failed for "state.bin"/);
});

test('hash mismatches and bad SHA256SUMS lines: `failed checking integrity of snapshot: …`', async () => {
  const [m, st] = goodEntries();
  const sumsOf = (text: string) => ({ name: 'SHA256SUMS', data: Buffer.from(text) });
  const I = `${PREFIX}failed to read snapshot file: failed checking integrity of snapshot: `;
  const cases: [string, string, string][] = [
    ['a wrong state.bin hash', `${sha(m!.data)}  meta.json\n${'0'.repeat(64)}  state.bin\n`, `${I}hash check failed for "state.bin"`],
    ['a wrong meta.json hash', `${'f'.repeat(64)}  meta.json\n${sha(st!.data)}  state.bin\n`, `${I}hash check failed for "meta.json"`],
    ['a short hash', `${sha(m!.data).slice(0, 10)}  meta.json\n${sha(st!.data)}  state.bin\n`, `${I}hash check failed for "meta.json"`],
    ['state.bin not listed', `${sha(m!.data)}  meta.json\n`, `${I}file missing for "state.bin"`],
    ['an extra file listed', `${sha(m!.data)}  meta.json\n${sha(st!.data)}  state.bin\n${'a'.repeat(64)}  ../../etc/passwd\n`, `${I}list missing hash for "../../etc/passwd"`],
    ['one space instead of two', `${sha(m!.data)} meta.json\n${sha(st!.data)}  state.bin\n`, /^.*failed checking integrity of snapshot: invalid line in SHA256SUMS/.source],
    ['not hex', `${'z'.repeat(64)}  meta.json\n${sha(st!.data)}  state.bin\n`, /invalid line in SHA256SUMS/.source],
    ['an empty SHA256SUMS', '', `${I}file missing for "meta.json"`],
    ['binary garbage', '\u0000\u0001\u00ff\n\n', /invalid line in SHA256SUMS/.source],
  ];
  for (const [what, text, want] of cases) {
    const body = zlib.gzipSync(tarOf([m!, st!, sumsOf(text)]));
    await refused(what, body, 500, want.startsWith(PREFIX) ? want : new RegExp(want));
  }
  // One flipped byte in state.bin itself (the integrity check, not the decoder, catches it).
  const flipped = Buffer.from(st!.data);
  flipped[flipped.length >> 1] = flipped[flipped.length >> 1]! ^ 1;
  await refused('a state.bin byte flipped', zlib.gzipSync(tarOf([m!, { name: 'state.bin', data: flipped }, goodEntries()[2]!])), 500, `${I}hash check failed for "state.bin"`);
});

test('trailing bytes (Part A §12): zero padding to the 10 KiB record is accepted; anything else is refused', async () => {
  const t = tarOf(goodEntries());
  const record = Math.ceil(t.length / 10240) * 10240;
  const padded = Buffer.concat([t, Buffer.alloc(record - t.length)]);
  const before = fingerprint(s);
  const ok = await restore(zlib.gzipSync(padded));
  assert.deepEqual([ok.status, ok.text], [200, ''], 'GNU tar padding to the record is accepted');
  assert.notEqual(fingerprint(s), before);
  assert.equal((await s.fetch('/v1/var/snap/after', { method: 'PUT', body: '{"Items":{"v":"x"}}' })).status, 200);

  const extra = (n: number, fill = 0) => Buffer.concat([t, Buffer.alloc(n, fill)]);
  await refused('one non-zero byte after the end blocks', zlib.gzipSync(Buffer.concat([t, Buffer.from([1])])), 500, `${PREFIX}1 unread uncompressed bytes remain`);
  await refused('a zero block past the record', zlib.gzipSync(Buffer.concat([padded, Buffer.alloc(512)])), 500, `${PREFIX}${record - t.length + 512} unread uncompressed bytes remain`);
  await refused('text after the end blocks', zlib.gzipSync(Buffer.concat([t, Buffer.from('trailing garbage')])), 500, `${PREFIX}16 unread uncompressed bytes remain`);
  await refused('a second tar after the first', zlib.gzipSync(Buffer.concat([t, t])), 500, `${PREFIX}${t.length} unread uncompressed bytes remain`);
  await refused('0xff fill to the record', zlib.gzipSync(extra(record - t.length, 0xff)), 500, `${PREFIX}${record - t.length} unread uncompressed bytes remain`);
  // After the gzip stream: zeros, garbage, and a second gzip member (Go's reader is multistream too).
  const gz = zlib.gzipSync(t);
  await refused('zeros after the gzip stream', Buffer.concat([gz, Buffer.alloc(16)]), 500, `${PREFIX}16 bytes remain after the gzip stream`);
  await refused('garbage after the gzip stream', Buffer.concat([gz, Buffer.from('garbage!')]), 500, new RegExp(`^${PREFIX}\\S`));
  await refused('a second gzip member', Buffer.concat([gz, zlib.gzipSync(Buffer.from('more'))]), 500, new RegExp(`^${PREFIX}(4 unread uncompressed bytes remain|\\d+ bytes remain after the gzip stream)$`));
});

test('state.bin records: unknown types, truncated and undecodable records, a bad header — 500, nothing installed', async () => {
  const st = valid.stateBin;
  const archive = async (stateBin: Buffer) => (await archiveBuffer({ ...valid.meta, Size: stateBin.length }, stateBin)).bytes;
  for (const type of [0, 1, 64, 99, 150, 199, 203, 255]) {
    await refused(`record type ${type}`, await archive(Buffer.concat([st, Buffer.from([type, 0x80])])), 500, `${PREFIX}Unrecognized snapshot type: [${type}]`);
  }
  await refused('an unknown type first, before the good records', await archive(Buffer.concat([st.subarray(0, st.indexOf(0x02)), Buffer.from([77, 0x80]), st.subarray(st.indexOf(0x02))])), 500, new RegExp(`^${PREFIX}`));
  await refused('a type byte with no object', await archive(Buffer.concat([st, Buffer.from([22])])), 500, new RegExp(`^${PREFIX}\\S`));
  await refused('a record whose msgpack is cut', await archive(Buffer.concat([st, Buffer.from([22, 0x85, 0xa4, 0x50])])), 500, new RegExp(`^${PREFIX}\\S`));
  await refused('a known type with the wrong shape', await archive(Buffer.concat([st, Buffer.from([22, 0x93, 1, 2, 3])])), 500, new RegExp(`^${PREFIX}\\S`));
  await refused('a header that is not a msgpack map', await archive(Buffer.from([0x01, 0x02, 0x03])), 500, new RegExp(`^${PREFIX}\\S`));
  await refused('an empty state.bin', await archive(Buffer.alloc(0)), 500, new RegExp(`^${PREFIX}\\S`));
  await refused('meta.json that is not JSON', zlib.gzipSync(tarOf((() => {
    const e = goodEntries();
    e[0] = { name: 'meta.json', data: Buffer.from('{"Version":1,') };
    e[2] = { name: 'SHA256SUMS', data: Buffer.from(`${sha(e[0].data)}  meta.json\n${sha(e[1]!.data)}  state.bin\n`) };
    return e;
  })())), 500, new RegExp(`^${PREFIX}failed to decode meta.json`));
  await refused('an unsupported meta Version', await (async () => (await archiveBuffer({ ...valid.meta, Version: 7 }, st)).bytes)(), 500, `${PREFIX}unsupported snapshot version 7`);
});

test('entries named to escape (path traversal), links, and strangers are refused before they are read; nothing is written', async () => {
  const [m, st, sums] = goodEntries();
  const names = ['../../../../tmp/opraft-hostile-pwned', '/tmp/opraft-hostile-pwned-abs', 'state.bin/../../opraft-hostile-pwned', './state.bin', 'state.bin\\..\\x', 'meta.json/', 'STATE.BIN', ' state.bin'];
  for (const name of names) {
    const body = zlib.gzipSync(tarOf([m!, { name, data: Buffer.from('pwned') }, st!, sums!]));
    await refused(`an entry named ${JSON.stringify(name)}`, body, 500, new RegExp(`^${PREFIX}failed to read snapshot file: unexpected file ".+" in snapshot$`));
  }
  for (const p of ['/tmp/opraft-hostile-pwned', '/tmp/opraft-hostile-pwned-abs', path.resolve('..', 'opraft-hostile-pwned')]) assert.equal(existsSync(p), false, `${p} was written`);
  // A symlink or hard link named state.bin never reads its target.
  for (const type of ['1', '2']) {
    const body = zlib.gzipSync(tarOf([m!, { name: 'state.bin', data: Buffer.alloc(0), type, linkname: '/etc/passwd' }, sums!]));
    await refused(`state.bin as a ${type === '2' ? 'symlink' : 'hard link'} to /etc/passwd`, body, 500, new RegExp(`^${PREFIX}failed to read snapshot file: failed checking integrity of snapshot: hash check failed for "state.bin"`));
  }
  // A big stranger is refused at its header, before its content arrives (the body is cut off
  // after the header: a reader that buffered it first would wait for the rest).
  const strangerHeader = Buffer.concat([tarOf([m!], false), header('nope', 512 * 1024)]);
  await refused('a 512 KiB stranger whose data never comes', zlib.gzipSync(strangerHeader), 500, `${PREFIX}failed to read snapshot file: unexpected file "nope" in snapshot`);
});

test('sizes that lie: a tar size far beyond the data, a base-256 size of 2^62, a meta.json Size that is not the state', async () => {
  const [m, st, sums] = goodEntries();
  const cut = (declared: number | Buffer) => zlib.gzipSync(Buffer.concat([tarOf([m!], false), header('state.bin', declared), st!.data.subarray(0, 100)]));
  await refused('state.bin declares 1 GiB, 100 bytes follow', cut(2 ** 30), 413, `${PREFIX}state.bin is ${2 ** 30} bytes; this opraft restores at most ${MAX_ENTRY} bytes (one Raft entry)`);
  const b256 = Buffer.alloc(12);
  b256[0] = 0x80;
  b256.writeUInt32BE(0x4000_0000, 4); // 2^62
  await refused('state.bin declares 2^62 bytes (base-256)', cut(b256), 413, new RegExp(`^${PREFIX}state\\.bin is \\d+ bytes; this opraft restores at most ${MAX_ENTRY} bytes`));
  await refused('state.bin declares 512 KiB, 100 bytes follow, the stream ends', cut(512 * 1024), 500, new RegExp(`^${PREFIX}failed to read snapshot file: `));
  await refused('meta.json declares 4 GiB', zlib.gzipSync(Buffer.concat([header('meta.json', 2 ** 32), m!.data])), 413, /meta\.json is 4294967296 bytes/);
  for (const size of [0, st!.data.length - 1, st!.data.length + 1, 1e12]) {
    const e = goodEntries(st!.data, { ...valid.meta, Size: size });
    await refused(`meta.json Size ${size} for a ${st!.data.length}-byte state.bin`, zlib.gzipSync(tarOf(e)), 500, `${PREFIX}failed to write snapshot, size didn't match (${st!.data.length} != ${size})`);
  }
  void sums;
});

test('gzip bombs: inside state.bin, inside meta.json, outside any entry, and over the compressed limit — refused promptly', async () => {
  const [m, , sums] = goodEntries();
  // 64 MiB of zeros as state.bin: refused from its header, never inflated whole.
  const zeros = Buffer.alloc(64 << 20);
  const bombState = zlib.gzipSync(tarOf([m!, { name: 'state.bin', data: zeros }, sums!]), { level: 9 });
  assert.ok(bombState.length < 256 * 1024, `the bomb is small (${bombState.length} bytes)`);
  await refused('a 64 MiB state.bin bomb', bombState, 413, `${PREFIX}state.bin is ${64 << 20} bytes; this opraft restores at most ${MAX_ENTRY} bytes (one Raft entry)`);
  await refused('a 2 MiB meta.json bomb', zlib.gzipSync(tarOf([{ name: 'meta.json', data: Buffer.alloc(2 << 20, 0x20) }]), { level: 9 }), 413, /meta\.json is 2097152 bytes/);
  // Zeros with no tar at all: the end blocks come first, the rest is counted to the 8 MiB limit.
  await refused('64 MiB of bare zeros', zlib.gzipSync(zeros, { level: 9 }), 413, 'snapshot is larger than the uncompressed limit of 8388608 bytes');
  // A stranger entry big enough to be a bomb is refused by name, before its content is inflated.
  await refused('a 64 MiB stranger', zlib.gzipSync(tarOf([{ name: 'x', data: zeros }]), { level: 9 }), 500, `${PREFIX}failed to read snapshot file: unexpected file "x" in snapshot`);
  // Over the compressed limit (1 MiB here): 413.
  const incompressible = Buffer.from(Array.from({ length: 2 << 20 }, (_, i) => (i * 2654435761) >>> 24));
  await refused('2 MiB of compressed bytes', zlib.gzipSync(Buffer.concat([END, incompressible]), { level: 0 }), 413, 'snapshot is larger than the compressed limit of 1048576 bytes');
});
