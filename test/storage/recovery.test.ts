// peers.json recovery (contract §3.2, scenarios §9.1 and §9.2) at the storage level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { EntryType, type Entry } from '../../src/raft/index.ts';
import type { StateMachine } from '../../src/node/ports.ts';
import { ensurePeersInfo, openRaftStorage, paths, recoverFromPeersJson, type Logger, type RaftStorage } from '../../src/storage/index.ts';
import { entry, recordingLogger, silent, withTempDir } from './helpers/util.ts';

/** A state machine that remembers the commands it applied, in order. */
class ListMachine implements StateMachine {
  items: string[] = [];
  apply(_index: number, data: Uint8Array): void {
    this.items.push(Buffer.from(data).toString());
  }
  snapshot(): Uint8Array {
    return Buffer.from(JSON.stringify(this.items));
  }
  restore(data: Uint8Array): void {
    const v = JSON.parse(Buffer.from(data).toString()) as unknown;
    if (!Array.isArray(v)) throw new Error('snapshot is not a list');
    this.items = v as string[];
  }
}

const oldCfg = { voters: ['n1', 'n2', 'n3'], nonVoters: [], addresses: { n1: '10.0.0.1:4647', n2: '10.0.0.2:4647', n3: '10.0.0.3:4647' } };
const ID1 = 'adf4238a-882b-9ddc-4a9d-5b6758e4159e';
const ID2 = '8b6dda82-3103-11e7-93ae-92361f002671';

/** A Raft folder with history: snapshots at 5 and 10, compaction at 4, entries 5..15 (one Config, one Noop). */
async function seed(raftDir: string): Promise<void> {
  const s = await openRaftStorage({ raftDir });
  const log: Entry[] = [];
  for (let i = 1; i <= 15; i++) {
    if (i === 12) log.push({ index: i, term: 2, type: EntryType.Config, data: new Uint8Array(0), change: { type: 'remove', id: 'n3' }, config: { voters: ['n1', 'n2'], nonVoters: [] } });
    else if (i === 11) log.push({ index: i, term: 2, type: EntryType.Noop, data: new Uint8Array(0) });
    else log.push(entry(i, i <= 10 ? 1 : 2, `c${i}`));
  }
  await s.log.persist({ entries: log, hardState: { term: 2, vote: 'n1', commit: 13 } });
  const fsm = new ListMachine();
  for (const e of log) {
    if (e.type === EntryType.Normal) fsm.apply(e.index, e.data);
    if (e.index === 5) await s.snapshots.save({ index: 5, term: 1, config: oldCfg }, fsm.snapshot());
    if (e.index === 10) await s.snapshots.save({ index: 10, term: 1, config: oldCfg }, fsm.snapshot());
  }
  await s.log.compact({ index: 4, term: 1, config: oldCfg });
  await s.close();
}

const allCommands = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15].map((i) => `c${i}`);

async function withStorage<T>(raftDir: string, fn: (s: RaftStorage) => Promise<T>): Promise<T> {
  const s = await openRaftStorage({ raftDir });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const recover = (raftDir: string, storage: RaftStorage, logger: Logger = silent, localId?: string) =>
  recoverFromPeersJson({ raftDir, storage, newStateMachine: () => new ListMachine(), logger, ...(localId ? { localId } : {}) });

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

test('§9.2(a): without peers.info, peers.json is deleted unread and peers.info created', () =>
  withTempDir(async (dir) => {
    const { raftDir, peersJson, peersInfo } = paths(dir);
    await seed(raftDir);
    await fs.writeFile(peersJson, JSON.stringify([{ id: ID1, address: '10.0.0.1:4647' }]));
    const { lines, logger } = recordingLogger();
    const r = await withStorage(raftDir, (s) => recover(raftDir, s, logger));
    assert.deepEqual(r, { recovered: false });
    assert.equal(await exists(peersJson), false);
    assert.equal(await exists(peersInfo), true);
    assert.ok(lines.some((l) => /deleted peers.json file/.test(l.msg ?? '')));
    // Configuration and log untouched.
    await withStorage(raftDir, async (s) => {
      const got = await s.log.load();
      assert.equal(got.entries.length, 11);
      assert.deepEqual(got.snapshotMeta?.config, oldCfg);
    });
  }));

test('no peers.json: nothing happens (first start writes peers.info)', () =>
  withTempDir(async (dir) => {
    const { raftDir, peersInfo } = paths(dir);
    const r = await withStorage(raftDir, (s) => recover(raftDir, s));
    assert.deepEqual(r, { recovered: false });
    assert.equal(await exists(peersInfo), true);
    assert.deepEqual(await withStorage(raftDir, (s) => recover(raftDir, s)), { recovered: false });
  }));

test('§9.1: a protocol-2 peers.json fails to parse, stays in place, Raft state untouched', () =>
  withTempDir(async (dir) => {
    const { raftDir, peersJson } = paths(dir);
    await seed(raftDir);
    await ensurePeersInfo(raftDir);
    await fs.writeFile(peersJson, '["10.0.0.1:4647"]');
    await withStorage(raftDir, async (s) => {
      await assert.rejects(recover(raftDir, s), (e: unknown) => e instanceof Error && e.message.startsWith('recovery failed to parse peers.json: ') && /entry 0 is the string "10.0.0.1:4647", not an object/.test(e.message));
    });
    assert.equal(await exists(peersJson), true);
    await withStorage(raftDir, async (s) => {
      const got = await s.log.load();
      assert.equal(got.entries.length, 11);
      assert.equal((await s.snapshots.loadLatest())?.meta.index, 10);
    });
    // Then the object format with this node's ID: recovery succeeds.
    await fs.writeFile(peersJson, JSON.stringify([{ id: ID1, address: '10.0.0.1:4647' }]));
    const r = await withStorage(raftDir, (s) => recover(raftDir, s, silent, ID1));
    assert.deepEqual(r, { recovered: true, config: { voters: [ID1], nonVoters: [], addresses: { [ID1]: '10.0.0.1:4647' } } });
    assert.equal(await exists(peersJson), false);
  }));

test('peers.json validation errors name what is wrong (checkConfiguration texts)', () =>
  withTempDir(async (dir) => {
    const { raftDir, peersJson } = paths(dir);
    await seed(raftDir);
    await ensurePeersInfo(raftDir);
    const cases: [string, RegExp][] = [
      ['{not json', /invalid JSON/],
      ['{"id":"a"}', /the file holds an object, not an array/],
      [JSON.stringify([{ id: '', address: 'x:1' }]), /empty ID in configuration/],
      [JSON.stringify([{ id: 'a', address: '' }]), /empty address in configuration/],
      [JSON.stringify([{ id: 'a', address: 'x:1' }, { id: 'a', address: 'y:1' }]), /found duplicate ID in configuration: a/],
      [JSON.stringify([{ id: 'a', address: 'x:1' }, { id: 'b', address: 'x:1' }]), /found duplicate address in configuration: x:1/],
      [JSON.stringify([{ id: 'a', address: 'x:1', non_voter: true }]), /need at least one voter in configuration/],
      [JSON.stringify([]), /need at least one voter in configuration/],
      [JSON.stringify([{ id: 'a', address: 'x:1', non_voter: 'yes' }]), /entry 0: "non_voter" is the string "yes", not true or false/],
      [JSON.stringify([{ id: 7, address: 'x:1' }]), /entry 0: "id" is a number, not a string/],
    ];
    await withStorage(raftDir, async (s) => {
      for (const [body, want] of cases) {
        await fs.writeFile(peersJson, body);
        await assert.rejects(recover(raftDir, s), (e: unknown) => e instanceof Error && e.message.startsWith('recovery failed to parse peers.json: ') && want.test(e.message), body);
        assert.equal(await exists(peersJson), true, body);
      }
    });
  }));

test('§9.2(c): recovery on an empty Raft store is refused', () =>
  withTempDir(async (dir) => {
    const { raftDir, peersJson } = paths(dir);
    await ensurePeersInfo(raftDir);
    await fs.writeFile(peersJson, JSON.stringify([{ id: ID1, address: '10.0.0.1:4647' }]));
    await withStorage(raftDir, async (s) => {
      await assert.rejects(recover(raftDir, s), /recovery failed: refused to recover cluster with no initial state, this is probably an operator error/);
    });
    assert.equal(await exists(peersJson), true);
  }));

test('§9.2(b): recovery replays snapshot + log, snapshots with the new configuration, empties the log, deletes peers.json', () =>
  withTempDir(async (dir) => {
    const { raftDir, peersJson } = paths(dir);
    await seed(raftDir);
    await ensurePeersInfo(raftDir);
    // Keys in any case, unknown keys ignored, non_voter optional.
    await fs.writeFile(peersJson, JSON.stringify([
      { ID: ID1, Address: '10.0.0.1:4647', extra: 1 },
      { id: ID2, address: '10.0.0.2:4647', Non_Voter: true },
    ]));
    const { lines, logger } = recordingLogger();
    const r = await withStorage(raftDir, (s) => recover(raftDir, s, logger, 'someone-else'));
    const config = { voters: [ID1], nonVoters: [ID2], addresses: { [ID1]: '10.0.0.1:4647', [ID2]: '10.0.0.2:4647' } };
    assert.deepEqual(r, { recovered: true, config });
    assert.equal(await exists(peersJson), false);
    assert.ok(lines.some((l) => l.level === 'warn' && /does not list this server/.test(l.msg ?? '')), 'warns about the missing local ID');
    assert.ok(lines.some((l) => /found peers.json file, recovering/.test(l.msg ?? '')));
    assert.ok(lines.some((l) => /deleted peers.json file after successful recovery/.test(l.msg ?? '')));
    await withStorage(raftDir, async (s) => {
      const got = await s.log.load();
      assert.deepEqual(got.entries, []);
      assert.deepEqual(got.snapshotMeta, { index: 15, term: 2, config });
      assert.ok(got.hardState.commit >= 15);
      assert.equal(got.hardState.term, 2);
      const snap = await s.snapshots.loadLatest();
      assert.deepEqual(snap?.meta, { index: 15, term: 2, config });
      assert.deepEqual(JSON.parse(Buffer.from(snap!.data).toString()), allCommands);
      assert.equal((await s.snapshots.list()).length, 2);
      // Nothing left to recover on the next start.
      assert.deepEqual(await recover(raftDir, s), { recovered: false });
    });
  }));

test('recovery falls back to an older snapshot when the newest is damaged, and replays more log', () =>
  withTempDir(async (dir) => {
    const { raftDir, peersJson } = paths(dir);
    await seed(raftDir);
    await ensurePeersInfo(raftDir);
    await withStorage(raftDir, async (s) => {
      const newest = (await s.snapshots.list())[0]!;
      const bytes = await fs.readFile(newest.path);
      bytes[bytes.length - 35] ^= 1;
      await fs.writeFile(newest.path, bytes);
    });
    await fs.writeFile(peersJson, JSON.stringify([{ id: ID1, address: '10.0.0.1:4647' }]));
    await withStorage(raftDir, async (s) => {
      const r = await recover(raftDir, s);
      assert.equal(r.recovered, true);
      const snap = await s.snapshots.loadLatest();
      assert.equal(snap?.meta.index, 15);
      assert.deepEqual(JSON.parse(Buffer.from(snap!.data).toString()), allCommands);
    });
  }));

test('recovery with every snapshot unreadable fails and leaves peers.json', () =>
  withTempDir(async (dir) => {
    const { raftDir, peersJson } = paths(dir);
    await seed(raftDir);
    await ensurePeersInfo(raftDir);
    await withStorage(raftDir, async (s) => {
      for (const info of await s.snapshots.list()) await fs.truncate(info.path, 10);
    });
    await fs.writeFile(peersJson, JSON.stringify([{ id: ID1, address: '10.0.0.1:4647' }]));
    await withStorage(raftDir, async (s) => {
      await assert.rejects(recover(raftDir, s), /recovery failed: failed to restore any of the available snapshots/);
    });
    assert.equal(await exists(peersJson), true);
  }));
