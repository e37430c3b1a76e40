import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { FileSnapshotStore, StorageError } from '../../src/storage/index.ts';
import { recordingLogger, withTempDir } from './helpers/util.ts';

const cfg = { voters: ['a'], nonVoters: ['b'], addresses: { a: '127.0.0.1:4647', b: '127.0.0.1:4648' } };
const meta = (index: number, term = 1) => ({ index, term, config: cfg });

async function snapFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => n.endsWith('.snap')).sort();
}

test('snapshots: save and load round-trip meta (with addresses) and data', () =>
  withTempDir(async (dir) => {
    const store = await FileSnapshotStore.open(dir);
    assert.equal(await store.loadLatest(), undefined);
    const data = Buffer.alloc(100_000, 7);
    await store.save(meta(10, 2), data);
    const got = await store.loadLatest();
    assert.deepEqual(got?.meta, meta(10, 2));
    assert.ok(got && Buffer.from(got.data).equals(data));
    const again = await FileSnapshotStore.open(dir); // a fresh process sees the same
    assert.deepEqual((await again.loadLatest())?.meta, meta(10, 2));
  }));

test('snapshots: only the two newest are kept', () =>
  withTempDir(async (dir) => {
    const store = await FileSnapshotStore.open(dir);
    for (const i of [5, 10, 15, 20]) await store.save(meta(i), Buffer.from(`state@${i}`));
    const list = await store.list();
    assert.deepEqual(list.map((s) => s.index), [20, 15]);
    assert.equal((await snapFiles(dir)).length, 2);
    assert.ok(list.every((s) => s.error === undefined && s.bytes > 0));
    assert.equal(Buffer.from((await store.loadLatest())!.data).toString(), 'state@20');
  }));

test('snapshots: a damaged newest file falls back to the older one, with a warning', () =>
  withTempDir(async (dir) => {
    const { lines, logger } = recordingLogger();
    const store = await FileSnapshotStore.open(dir, { logger });
    await store.save(meta(10), Buffer.from('old state'));
    await store.save(meta(20), Buffer.from('new state'));
    const newest = (await store.list())[0]!;
    assert.equal(newest.index, 20);
    // Flip one byte in the data.
    const bytes = await fs.readFile(newest.path);
    bytes[bytes.length - 40] ^= 0xff;
    await fs.writeFile(newest.path, bytes);

    const got = await store.loadLatest();
    assert.deepEqual(got?.meta.index, 10);
    assert.equal(Buffer.from(got!.data).toString(), 'old state');
    const warn = lines.find((l) => l.level === 'warn');
    assert.ok(warn, 'a warning was logged');
    assert.match(JSON.stringify(warn), /checksum mismatch/);
    const listed = await store.list();
    assert.match(listed[0]!.error ?? '', /checksum mismatch/);

    // A truncated file (torn write) is also skipped; with both damaged, nothing loads.
    const older = listed[1]!;
    await fs.truncate(older.path, 20);
    assert.equal(await store.loadLatest(), undefined);
  }));

test('snapshots: an unknown format version is not read', () =>
  withTempDir(async (dir) => {
    const store = await FileSnapshotStore.open(dir);
    await store.save(meta(3), Buffer.from('x'));
    const [info] = await store.list();
    const bytes = await fs.readFile(info!.path);
    bytes.writeUInt16BE(9, 8);
    await fs.writeFile(info!.path, bytes);
    assert.equal(await store.loadLatest(), undefined);
    assert.match((await store.list())[0]!.error ?? '', /snapshot format version 9 is unknown/);
  }));

test('snapshots: leftover temp files are removed on open; bad input is refused', () =>
  withTempDir(async (dir) => {
    await fs.writeFile(path.join(dir, '1-5-100.snap.123-abcd.tmp'), 'half written');
    const store = await FileSnapshotStore.open(dir);
    assert.deepEqual(await fs.readdir(dir), []);
    await assert.rejects(store.save({ index: 0, term: 1, config: cfg }, Buffer.from('x')), (e: unknown) => e instanceof StorageError && e.code === 'invalid' && /snapshot index 0/.test(e.message));
    await assert.rejects(store.save(meta(1), 'text' as never), /data is not bytes/);
    await assert.rejects(FileSnapshotStore.open(dir, { retain: 0 }), /retain must be a positive integer/);
  }));
