import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { EntryType } from '../../src/raft/index.ts';
import { openRaftStorage, StorageError } from '../../src/storage/index.ts';
import { encodeValue } from '../../src/storage/codec.ts';
import { KEY_FORMAT, logKey } from '../../src/storage/keys.ts';
import { entries, entry, text, withRawDb, withTempDir } from './helpers/util.ts';

const cfg = { voters: ['a', 'b', 'c'], nonVoters: [], addresses: { a: '10.0.0.1:4647', b: '10.0.0.2:4647', c: '10.0.0.3:4647' } };

test('log store: round-trips entries, hard state and config entries across reopen', () =>
  withTempDir(async (dir) => {
    let s = await openRaftStorage({ raftDir: dir });
    assert.equal(await s.hasState(), false);
    const loaded0 = await s.log.load();
    assert.deepEqual(loaded0, { hardState: { term: 0, vote: '', commit: 0 }, entries: [] });
    const conf = { index: 3, term: 1, type: EntryType.Config, data: new Uint8Array(0), change: { type: 'addVoter' as const, id: 'c', address: '10.0.0.3:4647' }, config: cfg };
    await s.log.persist({ entries: [entry(1, 1), entry(2, 1), conf], hardState: { term: 1, vote: 'a', commit: 0 } });
    await s.log.persist({ entries: [entry(4, 1, 'x'.repeat(1000))], hardState: { term: 1, vote: 'a', commit: 3 } });
    assert.equal(await s.hasState(), true);
    await s.close();
    s = await openRaftStorage({ raftDir: dir });
    const got = await s.log.load();
    assert.deepEqual(got.hardState, { term: 1, vote: 'a', commit: 3 });
    assert.equal(got.snapshotMeta, undefined);
    assert.deepEqual(got.entries.map((e) => e.index), [1, 2, 3, 4]);
    assert.equal(text(got.entries[0]!), 'cmd-1-1');
    assert.equal(text(got.entries[3]!), 'x'.repeat(1000));
    assert.deepEqual(got.entries[2]!.change, conf.change);
    assert.deepEqual(got.entries[2]!.config, cfg);
    assert.equal(got.entries[2]!.type, EntryType.Config);
    assert.equal(await s.hasState(), true);
    await s.close();
  }));

test('log store: keys sort in index order across byte boundaries and large indexes', () =>
  withTempDir(async (dir) => {
    const s = await openRaftStorage({ raftDir: dir });
    const base = 2 ** 40 - 3; // crosses the 32-bit half boundary of the key
    await s.log.persist({ snapshotMeta: { index: base - 1, term: 2, config: cfg }, entries: entries(base, base + 300, 2) });
    const got = await s.log.load();
    assert.equal(got.entries.length, 301);
    got.entries.forEach((e, n) => assert.equal(e.index, base + n));
    await s.close();
  }));

test('log store: entries replace the tail from their first index in the same batch (truncation)', () =>
  withTempDir(async (dir) => {
    let s = await openRaftStorage({ raftDir: dir });
    await s.log.persist({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 'a', commit: 2 } });
    // A new leader of term 2 overwrites from index 5 with only two entries: 7..10 must go.
    await s.log.persist({ entries: [entry(5, 2, 'new5'), entry(6, 2, 'new6')], hardState: { term: 2, vote: 'b', commit: 2 } });
    await s.close();
    s = await openRaftStorage({ raftDir: dir });
    const got = await s.log.load();
    assert.deepEqual(got.entries.map((e) => `${e.index}:${e.term}`), ['1:1', '2:1', '3:1', '4:1', '5:2', '6:2']);
    assert.equal(text(got.entries[4]!), 'new5');
    assert.deepEqual(got.hardState, { term: 2, vote: 'b', commit: 2 });
    // Appending after the truncated tail continues at 7.
    await s.log.persist({ entries: [entry(7, 2)] });
    assert.deepEqual((await s.log.load()).entries.map((e) => e.index), [1, 2, 3, 4, 5, 6, 7]);
    await s.close();
  }));

test('log store: compaction drops entries up to the snapshot point and records it', () =>
  withTempDir(async (dir) => {
    let s = await openRaftStorage({ raftDir: dir });
    await s.log.persist({ entries: entries(1, 20, 1), hardState: { term: 1, vote: 'a', commit: 20 } });
    await s.log.compact({ index: 12, term: 1, config: cfg });
    await s.log.compact({ index: 5, term: 1, config: cfg }); // older point: no-op
    await s.close();
    s = await openRaftStorage({ raftDir: dir });
    const got = await s.log.load();
    assert.deepEqual(got.snapshotMeta, { index: 12, term: 1, config: cfg });
    assert.deepEqual(got.entries.map((e) => e.index), [13, 14, 15, 16, 17, 18, 19, 20]);
    await assert.rejects(s.log.compact({ index: 25, term: 1, config: cfg }), /cannot compact to 25: the log ends at 20/);
    await assert.rejects(s.log.persist({ entries: [entry(10, 1)] }), /entry 10 is at or below the compaction point 12/);
    await s.close();
  }));

test('log store: a snapshot in persist replaces the whole log, entries continue after it', () =>
  withTempDir(async (dir) => {
    let s = await openRaftStorage({ raftDir: dir });
    await s.log.persist({ entries: entries(1, 8, 1), hardState: { term: 1, vote: '', commit: 3 } });
    await s.log.persist({ snapshotMeta: { index: 50, term: 3, config: cfg }, entries: [entry(51, 3)], hardState: { term: 3, vote: '', commit: 50 } });
    await s.close();
    s = await openRaftStorage({ raftDir: dir });
    const got = await s.log.load();
    assert.deepEqual(got.snapshotMeta, { index: 50, term: 3, config: cfg });
    assert.deepEqual(got.entries.map((e) => e.index), [51]);
    await s.close();
  }));

test('log store: bad input is refused with an error naming the problem, nothing written', () =>
  withTempDir(async (dir) => {
    const s = await openRaftStorage({ raftDir: dir });
    await s.log.persist({ entries: entries(1, 3, 1) });
    await assert.rejects(s.log.persist({ entries: [entry(6, 1)] }), /entry 6 would leave a gap after the last entry 3/);
    await assert.rejects(s.log.persist({ entries: [entry(4, 1), entry(6, 1)] }), /not contiguous: entry 6 follows 4/);
    await assert.rejects(s.log.persist({ entries: [{ index: 4, term: 1, type: 9, data: new Uint8Array() } as never] }), /entry 4 has unknown type 9/);
    await assert.rejects(s.log.persist({ entries: [], hardState: { term: -1, vote: '', commit: 0 } }), /hard state term -1/);
    await assert.rejects(s.log.persist(null as never), /persist needs/);
    assert.deepEqual((await s.log.load()).entries.map((e) => e.index), [1, 2, 3]);
    await s.close();
    await assert.rejects(s.log.persist({ entries: [entry(4, 1)] }), (e: unknown) => e instanceof StorageError && e.code === 'closed');
  }));

test('log store: corruption and gaps on disk are reported with the index', () =>
  withTempDir(async (dir) => {
    const dbDir = path.join(dir, 'raft.db');
    let s = await openRaftStorage({ raftDir: dir });
    await s.log.persist({ entries: entries(1, 6, 1) });
    await s.close();

    await withRawDb(dbDir, (db) => db.put(logKey(4), Buffer.from([1, 0xc1])));
    s = await openRaftStorage({ raftDir: dir });
    await assert.rejects(s.log.load(), (e: unknown) => e instanceof StorageError && e.code === 'corrupt' && /log entry 4/.test(e.message));
    await s.close();

    await withRawDb(dbDir, (db) => db.put(logKey(4), Buffer.from([7, 0x80])));
    s = await openRaftStorage({ raftDir: dir });
    await assert.rejects(s.log.load(), (e: unknown) => e instanceof StorageError && e.code === 'format' && /log entry 4: value format version 7 is unknown/.test(e.message));
    await s.close();

    await withRawDb(dbDir, (db) => db.del(logKey(4)));
    s = await openRaftStorage({ raftDir: dir });
    await assert.rejects(s.log.load(), /log entry 4 is missing \(the next entry found is 5\)/);
    await s.close();

    // An entry whose value claims another index.
    await withRawDb(dbDir, (db) => db.put(logKey(4), encodeValue({ index: 9, term: 1, type: 0, data: Buffer.from('x') })));
    s = await openRaftStorage({ raftDir: dir });
    await assert.rejects(s.log.load(), /log entry 4: the value holds entry 9/);
    await s.close();
  }));

test('log store: an unknown store layout version refuses to open', () =>
  withTempDir(async (dir) => {
    const s = await openRaftStorage({ raftDir: dir });
    await s.close();
    await withRawDb(path.join(dir, 'raft.db'), (db) => db.put(KEY_FORMAT, encodeValue({ layout: 99 })));
    await assert.rejects(openRaftStorage({ raftDir: dir }), (e: unknown) => e instanceof StorageError && e.code === 'format' && /layout version 99 is unknown/.test(e.message));
  }));

test('log store: a second opener on the same folder gets a clear lock error', () =>
  withTempDir(async (dir) => {
    const s = await openRaftStorage({ raftDir: dir });
    try {
      await assert.rejects(openRaftStorage({ raftDir: dir }), /locked by another process/);
    } finally {
      await s.close();
    }
  }));

test('openRaftStorage: bad options are refused', async () => {
  await assert.rejects(openRaftStorage({ raftDir: '' }), /raftDir must be a non-empty path/);
  await assert.rejects(openRaftStorage({ raftDir: '/tmp/x', testMode: 'nope' as never }), /testMode must be/);
});

test('log store: entries, term and vote are written synced; a commit index that moved alone is not (etcd MustSync)', () =>
  withTempDir(async (dir) => {
    const s = await openRaftStorage({ raftDir: dir });
    // Spy on the LevelDB batches the store issues (the db is private; this test reaches in on purpose).
    const db = (s.log as unknown as { db: { batch: (ops: unknown[], o?: { sync?: boolean }) => Promise<void> } }).db;
    const syncs: boolean[] = [];
    const batch = db.batch.bind(db);
    db.batch = (ops, o) => {
      syncs.push(o?.sync === true);
      return batch(ops, o);
    };
    await s.log.persist({ entries: [entry(1, 1)], hardState: { term: 1, vote: 'a', commit: 0 } }); // entries: sync
    await s.log.persist({ entries: [], hardState: { term: 1, vote: 'a', commit: 1 } }); // commit only: no sync
    await s.log.persist({ entries: [], hardState: { term: 2, vote: '', commit: 1 } }); // new term: sync
    await s.log.persist({ entries: [], hardState: { term: 2, vote: 'b', commit: 1 } }); // a vote: sync
    await s.log.persist({ entries: [entry(2, 2)] }); // entries alone: sync
    assert.deepEqual(syncs, [true, false, true, true, true]);
    await s.close();
    const reopened = await openRaftStorage({ raftDir: dir });
    assert.deepEqual((await reopened.log.load()).hardState, { term: 2, vote: 'b', commit: 1 });
    await reopened.close();
  }));
