// Unit tests of the core's small modules: log, progress, quorum, membership, read queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftLog, InvariantError } from '../../src/raft/log.ts';
import { Progress } from '../../src/raft/progress.ts';
import { committedIndex, quorumSize, tallyVotes } from '../../src/raft/quorum.ts';
import { applyChange, validateChange } from '../../src/raft/membership.ts';
import { ReadIndexQueue, roundContext } from '../../src/raft/read-index.ts';
import { EntryType, ProposalError, type Entry } from '../../src/raft/index.ts';

const e = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array(0) });
const snap0 = { meta: { index: 0, term: 0, config: { voters: ['a'], nonVoters: [] } }, data: new Uint8Array(0) };

test('log: terms, conflicts and conflict-by-term hints', () => {
  const log = new RaftLog(snap0, [e(1, 1), e(2, 1), e(3, 2), e(4, 3)], 0, 0);
  assert.equal(log.lastIndex, 4);
  assert.equal(log.termAt(0), 0);
  assert.equal(log.termAt(5), undefined);
  assert.equal(log.findConflict([e(2, 1), e(3, 2)]), 0);
  assert.equal(log.findConflict([e(3, 2), e(4, 4)]), 4);
  assert.equal(log.findConflict([e(5, 3)]), 5);
  assert.deepEqual(log.findConflictByTerm(4, 2), { index: 3, term: 2 });
  assert.deepEqual(log.findConflictByTerm(10, 1), { index: 2, term: 1 });
  assert.deepEqual(log.findConflictByTerm(4, 0), { index: 0, term: 0 });
});

test('log: append truncates on conflict, never at or below commit', () => {
  const log = new RaftLog(snap0, [e(1, 1), e(2, 1), e(3, 1)], 1, 0);
  assert.equal(log.append([e(3, 2), e(4, 2)]), 3);
  assert.deepEqual([1, 2, 3, 4].map((i) => log.termAt(i)), [1, 1, 2, 2]);
  assert.equal(log.stable, 2, 'stable moves back to before the truncation');
  assert.throws(() => log.append([e(1, 5)]), InvariantError);
  assert.throws(() => log.append([e(7, 5)]), InvariantError, 'gaps are refused');
});

test('log: compaction keeps the suffix and the snapshot point', () => {
  const log = new RaftLog(snap0, [e(1, 1), e(2, 1), e(3, 2)], 3, 3);
  log.compact({ meta: { index: 2, term: 1, config: snap0.meta.config }, data: new Uint8Array([1]) });
  assert.equal(log.firstIndex, 3);
  assert.equal(log.termAt(2), 1);
  assert.equal(log.termAt(1), undefined);
  assert.deepEqual(log.slice(3, 4).map((x) => x.index), [3]);
  assert.throws(() => log.slice(2, 3), InvariantError);
});

test('log: slice honours the byte budget but always returns one entry', () => {
  const big = (i: number): Entry => ({ index: i, term: 1, type: EntryType.Normal, data: new Uint8Array(100) });
  const log = new RaftLog(snap0, [big(1), big(2), big(3)], 0, 0);
  assert.equal(log.slice(1, 4, 10).length, 1);
  assert.equal(log.slice(1, 4, 260).length, 2);
});

test('progress: probe sends one append at a time; reject hints move next back', () => {
  const pr = new Progress(11, 3, 0);
  assert.equal(pr.isPaused(), false);
  pr.sentEntries(11, 10, 1);
  assert.equal(pr.isPaused(), true);
  assert.equal(pr.maybeDecrTo(9, 5), false, 'a rejection of another append is stale');
  assert.equal(pr.maybeDecrTo(10, 5), true);
  assert.equal(pr.next, 6);
  assert.equal(pr.isPaused(), false);
});

test('progress: replicate window bounded by count and bytes', () => {
  const pr = new Progress(1, 2, 100);
  pr.becomeReplicate();
  pr.sentEntries(5, 10, 5);
  pr.sentEntries(6, 10, 1);
  assert.equal(pr.isPaused(), true, 'count limit');
  pr.freeTo(5);
  assert.equal(pr.isPaused(), false);
  pr.sentEntries(7, 95, 1);
  assert.equal(pr.isPaused(), true, 'byte limit');
  assert.equal(pr.maybeDecrTo(0, 0), false, 'rejection at or below match is stale');
});

test('quorum: commit index and vote tallies', () => {
  assert.equal(quorumSize(1), 1);
  assert.equal(quorumSize(4), 3);
  const m: Record<string, number> = { a: 5, b: 3, c: 9 };
  assert.equal(committedIndex(['a', 'b', 'c'], (id) => m[id]!), 5);
  assert.equal(tallyVotes(['a', 'b', 'c'], new Map([['a', true], ['b', true]])), 'won');
  assert.equal(tallyVotes(['a', 'b', 'c'], new Map([['a', true], ['b', false], ['c', false]])), 'lost');
  assert.equal(tallyVotes(['a', 'b', 'c', 'd'], new Map([['a', true], ['b', true], ['c', false]])), 'pending');
});

test('membership: valid and invalid single-server changes', () => {
  const c = { voters: ['a', 'b'], nonVoters: ['c'] };
  assert.deepEqual(applyChange(c, { type: 'promote', id: 'c' }), { voters: ['a', 'b', 'c'], nonVoters: [] });
  assert.deepEqual(applyChange(c, { type: 'addNonVoter', id: 'd' }), { voters: ['a', 'b'], nonVoters: ['c', 'd'] });
  assert.deepEqual(applyChange(c, { type: 'remove', id: 'a' }), { voters: ['b'], nonVoters: ['c'] });
  for (const bad of [
    { type: 'addVoter' as const, id: 'a' },
    { type: 'promote' as const, id: 'a' },
    { type: 'remove' as const, id: 'z' },
    { type: 'addNonVoter' as const, id: 'a' },
  ]) {
    assert.throws(() => validateChange(c, bad), ProposalError, `${bad.type} ${bad.id}`);
  }
  assert.throws(() => validateChange({ voters: ['a'], nonVoters: [] }, { type: 'remove', id: 'a' }), /last voter/);
});

test('read queue: a quorum for a later round releases earlier ones; duplicates ignored', () => {
  const q = new ReadIndexQueue();
  const r1 = q.add('a', 'x', 5, 'a')!;
  const r2 = q.add('b', 'y', 6, 'a')!;
  assert.equal(q.add('a', 'x', 7, 'a'), undefined);
  const quorum = (acks: Set<string>) => acks.size >= 2;
  assert.equal(r2, roundContext('b', 'y'));
  const done = q.ack('c', r2, quorum);
  assert.deepEqual(done.map((r) => [r.context, r.index]), [['x', 5], ['y', 6]]);
  assert.deepEqual(q.ack('c', r1, quorum), []);
});

test('bootstrap writes the configuration as a committed first entry, once', async () => {
  const { RaftCore, defaultRaftConfig } = await import('../../src/raft/index.ts');
  const mk = () => new RaftCore(defaultRaftConfig('a', () => 0.5), { hardState: { term: 0, vote: '', commit: 0 }, entries: [] });
  const c1 = mk();
  const c2 = mk();
  c1.bootstrap({ voters: ['b', 'a'], nonVoters: [] });
  c2.bootstrap({ voters: ['a', 'b'], nonVoters: [] });
  assert.deepEqual(c1.config, { voters: ['a', 'b'], nonVoters: [] });
  assert.equal(c1.commitIndex, 1);
  const r1 = c1.ready();
  const r2 = c2.ready();
  assert.deepEqual(r1.entries, r2.entries, 'identical bootstrap entries on every server');
  assert.deepEqual(r1.hardState, { term: 1, vote: '', commit: 1 });
  c1.advance();
  assert.throws(() => c1.bootstrap({ voters: ['a'], nonVoters: [] }), /already has Raft state/);
  assert.throws(() => mk().bootstrap({ voters: [], nonVoters: [] }), /without voters/);
});

test('membership: configurations carry member addresses through add, promote and remove', () => {
  let c = applyChange({ voters: ['a'], nonVoters: [], addresses: { a: '10.0.0.1:4647' } }, { type: 'addNonVoter', id: 'b', address: '10.0.0.2:4647' });
  assert.deepEqual(c, { voters: ['a'], nonVoters: ['b'], addresses: { a: '10.0.0.1:4647', b: '10.0.0.2:4647' } });
  c = applyChange(c, { type: 'promote', id: 'b' });
  assert.deepEqual(c.addresses, { a: '10.0.0.1:4647', b: '10.0.0.2:4647' });
  c = applyChange(c, { type: 'remove', id: 'a' });
  assert.deepEqual(c, { voters: ['b'], nonVoters: [], addresses: { b: '10.0.0.2:4647' } });
  assert.equal('addresses' in applyChange({ voters: ['a'], nonVoters: [] }, { type: 'addVoter', id: 'b' }), false);
});

test('RaftLog.lastConfigIndex agrees with a full scan through appends, truncations, compactions and restores', async () => {
  const fc = (await import('fast-check')).default;
  // Brute force: the newest Config entry still in the log.
  const scan = (log: RaftLog) => {
    for (let i = log.lastIndex; i >= log.firstIndex; i--) if (log.entryAt(i)!.type === EntryType.Config) return i;
    return 0;
  };
  const op = fc.oneof(
    fc.record({ kind: fc.constant('append' as const), back: fc.nat(4), types: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), uncommitted: fc.nat(4) }),
    fc.record({ kind: fc.constant('compact' as const), back: fc.nat(6) }),
    fc.record({ kind: fc.constant('restore' as const), ahead: fc.integer({ min: 1, max: 5 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const log = new RaftLog(snap0, [], 0, 0);
      let term = 1;
      for (const o of ops) {
        if (o.kind === 'append') {
          // Overwrite up to `back` uncommitted entries (a follower's truncation), never below the first index.
          const first = Math.max(log.firstIndex, log.commit + 1, log.lastIndex + 1 - o.back);
          term++;
          log.append(o.types.map((cfg, k) => ({ index: first + k, term, type: cfg ? EntryType.Config : EntryType.Normal, data: new Uint8Array() })));
          // Leave a few entries uncommitted, so later appends can truncate them.
          log.commitTo(Math.max(log.commit, log.lastIndex - o.uncommitted));
          log.applied = log.commit;
          log.stable = log.lastIndex;
        } else if (o.kind === 'compact') {
          const i = log.applied - o.back;
          if (i > log.snapshotMeta.index) log.compact({ meta: { ...log.snapshotMeta, index: i, term: log.termAt(i)! }, data: new Uint8Array() });
        } else {
          log.restore({ meta: { ...log.snapshotMeta, index: log.lastIndex + o.ahead, term: term + 1 }, data: new Uint8Array() });
          log.applied = log.commit;
          log.pendingSnapshot = undefined;
        }
        assert.equal(log.lastConfigIndex, scan(log));
      }
    }),
    { numRuns: 300 },
  );
});
