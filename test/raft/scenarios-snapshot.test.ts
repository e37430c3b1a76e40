// Catalogue §2.F (compaction and snapshots, #39–#41) and bug-log §4.11 (etcd#6368).
//
// The application state in these scenarios is the list of Normal entry payloads applied so far.
// A snapshot's data is that list as JSON, so a node's state is "snapshot data + entries applied
// after the snapshot index" (see appState), and the snapshot a follower installs can be checked
// against what the leader applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EntryType,
  RaftCore,
  defaultRaftConfig,
  type Entry,
  type Message,
  type Ready,
  type SnapshotMsg,
  type SnapshotRespMsg,
  type AppendMsg,
} from '../../src/raft/index.ts';
import { Net, enc, dec } from './harness.ts';

// ------------------------------------------------------------------ helpers

/** The application's state on a node: its last snapshot plus the entries applied after it. */
function appState(net: Net, id: string, upTo = Infinity): string[] {
  const n = net.node(id);
  const snap = n.storage.snapshot;
  const si = snap?.meta.index ?? 0;
  const base: string[] = snap ? (JSON.parse(dec(snap.data)) as string[]) : [];
  return base.concat(n.applied.filter((e) => e.index > si && e.index <= upTo).map((e) => dec(e.data)));
}

/** The application snapshots its state at `index` and compacts both the core and the durable storage. */
function compact(net: Net, id: string, index: number): void {
  const n = net.node(id);
  assert.ok(n.core.appliedIndex >= index, `${id} applied ${n.core.appliedIndex} < ${index}`);
  const data = enc(JSON.stringify(appState(net, id, index)));
  n.core.compact(index, data);
  n.storage.compact({ meta: n.core.snapshotMeta, data });
}

/** Messages in net.log from position `from` on, filtered. */
function sent<T extends Message['type']>(net: Net, from: number, type: T, src?: string, dst?: string): (Message & { type: T })[] {
  return net.log
    .slice(from)
    .filter((m) => m.type === type && (src === undefined || m.from === src) && (dst === undefined || m.to === dst)) as (Message & { type: T })[];
}

const ent = (index: number, term: number, data = ''): Entry => ({ index, term, type: EntryType.Normal, data: enc(data) });

function lone(id: string) {
  return defaultRaftConfig(id, () => 0.5);
}

function drain(core: RaftCore): Ready {
  const rd = core.ready();
  core.advance();
  return rd;
}

/** 3 nodes, n1 leader at term 1, proposals a..f at indices 2..7 with n3 cut off after b. */
function laggingN3(chunk: number): Net {
  const net = new Net(['n1', 'n2', 'n3'], { configure: (c) => (c.snapshotChunkSize = chunk) });
  net.campaign('n1');
  net.propose('n1', 'a');
  net.propose('n1', 'b');
  net.isolate('n3');
  for (const x of ['c', 'd', 'e', 'f']) net.propose('n1', x);
  assert.equal(net.core('n1').commitIndex, 7);
  assert.equal(net.core('n3').lastIndex, 3);
  compact(net, 'n1', 5);
  assert.equal(net.core('n1').firstIndex, 6);
  net.recover();
  return net;
}

// ------------------------------------------------------------------ #39

test('#39 snapshot to a lagging follower: chunks, install, back to replicate from snapshot index+1', () => {
  const net = laggingN3(8);
  const mark = net.log.length;
  net.tick('n1'); // heartbeat: n3 answers, the leader finds it behind its first index
  net.stabilize();

  // Nothing the leader no longer holds goes out as an append: the leader sends a snapshot instead.
  const apps = sent(net, mark, 'app', 'n1', 'n3');
  for (const a of apps) {
    if (a.entries.length > 0) assert.ok(a.entries[0]!.index >= 6, `append from ${a.entries[0]!.index} below first index 6`);
  }
  const snaps = sent(net, mark, 'snap', 'n1', 'n3');
  const expectData = JSON.stringify(['a', 'b', 'c', 'd']);
  assert.equal(snaps.length, Math.ceil(expectData.length / 8), 'one message per 8-byte chunk, each sent once');
  snaps.forEach((s, k) => {
    assert.deepEqual({ index: s.meta.index, term: s.meta.term }, { index: 5, term: 1 });
    assert.deepEqual(s.meta.config, { voters: ['n1', 'n2', 'n3'], nonVoters: [] });
    assert.equal(s.offset, 8 * k);
    assert.equal(s.totalSize, expectData.length);
    assert.equal(s.done, k === snaps.length - 1);
  });
  // One chunk at a time: between two chunks the follower acked the first with the next offset.
  const flow = net.log.slice(mark).filter((m) => (m.type === 'snap' && m.to === 'n3') || (m.type === 'snapResp' && m.from === 'n3'));
  assert.deepEqual(
    flow.map((m) => (m.type === 'snap' ? `snap@${m.offset}` : `resp@${(m as SnapshotRespMsg).offset}${(m as SnapshotRespMsg).done ? ' done' : ''}`)),
    ['snap@0', 'resp@8', 'snap@8', 'resp@16', 'snap@16', `resp@${expectData.length} done`],
  );

  // After the install the leader resumes appends right after the snapshot index.
  const lastSnapPos = net.log.lastIndexOf(flow[flow.length - 1]!);
  const after = net.log.slice(lastSnapPos).filter((m): m is AppendMsg => m.type === 'app' && m.to === 'n3');
  assert.ok(after.length > 0);
  assert.equal(after[0]!.prevIndex, 5);
  assert.equal(after[0]!.prevTerm, 1);
  assert.deepEqual(after[0]!.entries.map((e) => e.index), [6, 7]);

  const n3 = net.core('n3');
  assert.deepEqual(n3.snapshotMeta.index, 5);
  assert.equal(n3.firstIndex, 6);
  assert.equal(n3.lastIndex, 7);
  assert.equal(n3.commitIndex, 7);
  assert.deepEqual(net.node('n3').storage.snapshot?.meta.index, 5, 'the snapshot was persisted');
  assert.deepEqual(appState(net, 'n3'), ['a', 'b', 'c', 'd', 'e', 'f']);
  const pr = net.core('n1').progress('n3')!;
  assert.equal(pr.state, 'replicate');
  assert.equal(pr.match, 7);

  // Appends keep flowing normally.
  const m2 = net.log.length;
  net.propose('n1', 'g');
  const next = sent(net, m2, 'app', 'n1', 'n3').filter((a) => a.entries.length > 0);
  assert.deepEqual(next.map((a) => [a.prevIndex, a.entries.map((e) => e.index)]), [[7, [8]]]);
  assert.deepEqual(appState(net, 'n3'), ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  assert.equal(sent(net, m2, 'snap').length, 0);
});

test('#39 snapshot: a lost success response is recovered by the next heartbeat', () => {
  const net = laggingN3(8);
  let dropped = 0;
  net.hook = (m) => {
    if (m.type === 'snapResp' && m.done && dropped === 0) {
      dropped++;
      return false;
    }
    return true;
  };
  net.tick('n1');
  net.stabilize();
  assert.equal(dropped, 1);
  // The follower installed it, but the leader does not know.
  assert.equal(net.core('n3').snapshotMeta.index, 5);
  assert.equal(net.core('n1').progress('n3')!.state, 'snapshot');

  const mark = net.log.length;
  net.tick('n1');
  net.stabilize();
  // The heartbeat response makes the leader resend only the unacknowledged (last) chunk;
  // the follower answers "done" as it already holds the snapshot, and appends resume.
  const snaps = sent(net, mark, 'snap', 'n1', 'n3');
  assert.equal(snaps.length, 1);
  assert.equal(snaps[0]!.offset, 16);
  const resps = sent(net, mark, 'snapResp', 'n3', 'n1');
  assert.deepEqual(resps.map((r) => [r.index, r.done, r.reject]), [[5, true, false]]);
  const pr = net.core('n1').progress('n3')!;
  assert.equal(pr.state, 'replicate');
  assert.equal(pr.match, 7);
  assert.deepEqual(appState(net, 'n3'), ['a', 'b', 'c', 'd', 'e', 'f']);
});

test('#39 snapshot: a lost chunk is resent from the offset the follower reports', () => {
  const net = laggingN3(8);
  let dropped = 0;
  net.hook = (m) => {
    if (m.type === 'snap' && m.offset === 8 && dropped === 0) {
      dropped++;
      return false;
    }
    return true;
  };
  net.tick('n1');
  net.stabilize();
  assert.equal(dropped, 1);
  assert.equal(net.core('n3').snapshotMeta.index, 0, 'not installed: a chunk is missing');
  const mark = net.log.length;
  net.tick('n1');
  net.stabilize();
  assert.deepEqual(sent(net, mark, 'snap', 'n1', 'n3').map((m) => m.offset), [8, 16], 'resumed at the lost chunk, not from 0');
  assert.equal(net.core('n3').snapshotMeta.index, 5);
  assert.deepEqual(appState(net, 'n3'), ['a', 'b', 'c', 'd', 'e', 'f']);
  assert.equal(net.core('n1').progress('n3')!.state, 'replicate');
});

test('#39 snapshot at the leader\'s last index: follower returns to replicate and takes new appends', () => {
  const net = new Net(['n1', 'n2', 'n3'], { configure: (c) => (c.snapshotChunkSize = 1024) });
  net.campaign('n1');
  net.isolate('n3');
  for (const x of ['a', 'b', 'c']) net.propose('n1', x);
  compact(net, 'n1', 4);
  net.recover();
  net.tick('n1');
  net.stabilize();
  assert.equal(net.core('n3').snapshotMeta.index, 4);
  const pr = net.core('n1').progress('n3')!;
  assert.equal(pr.match, 4);
  assert.equal(pr.state, 'replicate');
  const mark = net.log.length;
  net.propose('n1', 'd');
  assert.deepEqual(
    sent(net, mark, 'app', 'n1', 'n3')
      .filter((a) => a.entries.length > 0)
      .map((a) => a.entries.map((e) => e.index)),
    [[5]],
    'the new entry goes out at once, not after the next heartbeat',
  );
  assert.deepEqual(appState(net, 'n3'), ['a', 'b', 'c', 'd']);
});

// ------------------------------------------------------------------ #40

function follower(entries: Entry[], commit: number, term = 1) {
  const core = new RaftCore(lone('n2'), {
    hardState: { term, vote: '', commit },
    entries,
    applied: commit,
    bootstrap: { voters: ['n1', 'n2', 'n3'], nonVoters: [] },
  });
  if (core.hasReady()) drain(core);
  return core;
}

function snapMsg(index: number, term: number, data = 'S', over: Partial<SnapshotMsg> = {}): SnapshotMsg {
  const d = enc(data);
  return {
    type: 'snap',
    from: 'n1',
    to: 'n2',
    term: 1,
    meta: { index, term, config: { voters: ['n1', 'n2', 'n3'], nonVoters: [] } },
    offset: 0,
    data: d,
    totalSize: d.length,
    done: true,
    ...over,
  };
}

test('#40 stale snapshot (index ≤ follower commit) is ignored and answered as installed', () => {
  const core = follower([ent(1, 1, 'a'), ent(2, 1, 'b'), ent(3, 1, 'c'), ent(4, 1, 'd'), ent(5, 1, 'e')], 5);
  core.step(snapMsg(3, 1));
  const rd = drain(core);
  assert.equal(rd.snapshot, undefined, 'nothing to persist');
  assert.deepEqual(rd.entries, []);
  assert.deepEqual(rd.committedEntries, []);
  assert.equal(core.firstIndex, 1);
  assert.equal(core.lastIndex, 5);
  assert.equal(core.commitIndex, 5);
  assert.equal(core.snapshotMeta.index, 0);
  // Our design answers "done" so the leader stops sending it (etcd answers with an append response).
  const resp = rd.messages.filter((m) => m.type === 'snapResp') as SnapshotRespMsg[];
  assert.deepEqual(resp.map((r) => [r.index, r.done, r.reject]), [[3, true, false]]);
});

test('#40 snapshot that matches the log (index, term) only fast-forwards commit', () => {
  const core = follower([ent(1, 1, 'a'), ent(2, 1, 'b'), ent(3, 1, 'c'), ent(4, 1, 'd'), ent(5, 1, 'e')], 2);
  core.step(snapMsg(4, 1));
  const rd = drain(core);
  assert.equal(rd.snapshot, undefined, 'the log is kept, no snapshot restored');
  assert.equal(core.firstIndex, 1);
  assert.equal(core.lastIndex, 5, 'entries after the snapshot index are kept');
  assert.equal(core.commitIndex, 4);
  assert.deepEqual(rd.committedEntries.map((e) => dec(e.data)), ['c', 'd']);
  assert.equal(rd.hardState?.commit, 4);
  const resp = rd.messages.filter((m) => m.type === 'snapResp') as SnapshotRespMsg[];
  assert.deepEqual(resp.map((r) => [r.index, r.done]), [[4, true]]);
});

test('#40 snapshot whose (index, term) conflicts with the uncommitted log replaces the log', () => {
  const core = follower([ent(1, 1, 'a'), ent(2, 1, 'b'), ent(3, 1, 'c')], 1);
  core.step({ ...snapMsg(4, 2, '["a","B","C","D"]'), term: 2 });
  const rd = drain(core);
  assert.ok(rd.snapshot);
  assert.equal(rd.snapshot.meta.index, 4);
  assert.equal(core.firstIndex, 5);
  assert.equal(core.lastIndex, 4);
  assert.equal(core.commitIndex, 4);
  assert.equal(core.termAt(3), undefined);
});

test('#40 snapshot from a stale term is ignored', () => {
  const core = follower([ent(1, 1, 'a')], 1, 3);
  core.step(snapMsg(5, 2, 'X'));
  assert.equal(core.term, 3);
  assert.equal(core.snapshotMeta.index, 0);
  assert.equal(core.lastIndex, 1);
  const rd = core.hasReady() ? drain(core) : undefined;
  assert.equal(rd?.snapshot, undefined);
});

test('#40 snapshot not containing the receiver: our design installs it (a joining server learns its membership from the log after it)', () => {
  // etcd ignores a snapshot whose ConfState lacks the receiver. In our design a joining server
  // starts with no configuration and catches up through whatever snapshot the leader holds, which
  // may predate the server's addition; its membership arrives in the config entry after it.
  // What must hold: it installs the snapshot, never campaigns while it is not a voter, and becomes
  // a voter once the config entry adding it commits.
  const net = new Net(['n1', 'n2', 'n3'], { configure: (c) => (c.snapshotChunkSize = 4) });
  net.campaign('n1');
  for (const x of ['a', 'b']) net.propose('n1', x);
  for (const id of ['n1', 'n2', 'n3']) compact(net, id, 3);
  net.addNode('n4');
  net.core('n1').proposeConfChange({ type: 'addVoter', id: 'n4' });
  let n4BeforeConfig: string[] | undefined;
  net.hook = (m) => {
    if (m.type === 'snap' && m.to === 'n4' && m.done) n4BeforeConfig = net.core('n4').config.voters;
    return true;
  };
  net.stabilize();
  net.run(3);
  const n4 = net.core('n4');
  assert.deepEqual(n4BeforeConfig, [], 'n4 knew no configuration when the snapshot arrived');
  assert.equal(n4.snapshotMeta.index, 3);
  assert.deepEqual(n4.snapshotMeta.config.voters, ['n1', 'n2', 'n3'], 'the snapshot predates n4');
  assert.deepEqual(n4.config.voters, ['n1', 'n2', 'n3', 'n4']);
  assert.deepEqual(appState(net, 'n4'), ['a', 'b']);
  assert.equal(sent(net, 0, 'vote', 'n4').length + sent(net, 0, 'preVote', 'n4').length, 0, 'n4 never campaigned');
  assert.deepEqual(net.leaders(), ['n1']);
  assert.equal(net.core('n1').term, 1);
});

// ------------------------------------------------------------------ #41

test('#41 restart of every node from snapshot + log: state, applied index and config come back', () => {
  const net = new Net(['n1', 'n2', 'n3']);
  net.campaign('n1');
  for (const x of ['a', 'b', 'c']) net.propose('n1', x);
  // A configuration change before the snapshot point: n4 joins as a non-voter. The leader
  // compacts first so n4 catches up through a snapshot (the next test covers a server that
  // catches up through the log alone).
  compact(net, 'n1', 4);
  net.addNode('n4');
  net.core('n1').proposeConfChange({ type: 'addNonVoter', id: 'n4' });
  net.stabilize();
  for (const x of ['d', 'e']) net.propose('n1', x);
  net.run(2);
  const all = ['n1', 'n2', 'n3', 'n4'];
  for (const id of all) assert.equal(net.core(id).commitIndex, 7, id);
  for (const id of all) compact(net, id, 6); // covers a, b, c, the config entry (5) and d
  net.propose('n1', 'f');
  net.propose('n1', 'g');
  net.run(2);
  const before = new Map(all.map((id) => [id, { state: appState(net, id), terms: net.logTerms(id), hs: { ...net.node(id).storage.hardState } }]));
  for (const id of all) assert.deepEqual(before.get(id)!.state, ['a', 'b', 'c', 'd', 'e', 'f', 'g'], id);

  for (const id of all) net.restart(id);
  for (const id of all) {
    const c = net.core(id);
    assert.equal(c.snapshotMeta.index, 6, id);
    assert.equal(c.firstIndex, 7, id);
    assert.equal(c.appliedIndex, 6, `${id}: applied resumes at the snapshot, never below it`);
    assert.deepEqual(c.config, { voters: ['n1', 'n2', 'n3'], nonVoters: ['n4'] }, `${id}: config from the snapshot`);
    assert.deepEqual(net.logTerms(id), before.get(id)!.terms, id);
    assert.deepEqual({ term: c.term, vote: c.vote, commit: c.commitIndex }, before.get(id)!.hs, id);
  }
  net.stabilize(); // replay committed entries after the snapshot
  for (const id of all) {
    assert.deepEqual(appState(net, id), ['a', 'b', 'c', 'd', 'e', 'f', 'g'], `${id}: snapshot + replay`);
    assert.deepEqual(net.appliedData(id), ['e', 'f', 'g'], `${id}: only entries after the snapshot are replayed`);
    assert.equal(net.core(id).appliedIndex, 9, id);
  }
  // The cluster carries on.
  net.campaign('n2');
  assert.deepEqual(net.leaders(), ['n2']);
  net.propose('n2', 'h');
  net.run(2);
  for (const id of all) assert.deepEqual(appState(net, id), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], id);
  assert.equal(net.core('n4').isVoter('n4'), false);
});

test('#41 a server that joined through log replication learns the full configuration (it never elects itself alone)', () => {
  // Regression: the bootstrap configuration is not a log entry, so a server that starts with no
  // configuration and receives the log from index 1 (no snapshot) used to derive its membership
  // from the config changes alone; added as a voter it believed it was the only voter and, cut
  // off, elected itself and committed alone. Config entries now carry the whole configuration.
  const net = new Net(['n1', 'n2', 'n3']);
  net.campaign('n1');
  net.propose('n1', 'a');
  net.addNode('n4');
  net.core('n1').proposeConfChange({ type: 'addVoter', id: 'n4' });
  net.stabilize();
  net.run(2);
  assert.equal(net.core('n4').firstIndex, 1, 'n4 caught up through the log, not a snapshot');
  const n4 = net.core('n4');
  net.isolate('n4');
  for (let i = 0; i < 30; i++) {
    net.tick('n4');
    net.stabilize();
  }
  assert.notEqual(n4.role, 'leader', 'n4 must not win an election alone');
  assert.deepEqual(net.core('n4').config, net.core('n1').config);
});

test('#41 restart with a persisted applied index resumes after it; applied never regresses', () => {
  // The application persists its applied index atomically with its state (see etcd#13766);
  // the core then hands out only the entries after it.
  const entries = [ent(1, 1, 'a'), ent(2, 1, 'b'), ent(3, 1, 'c'), ent(4, 1, 'd'), ent(5, 1, 'e')];
  const snapshot = { meta: { index: 2, term: 1, config: { voters: ['n1'], nonVoters: [] } }, data: enc('["a","b"]') };
  const core = new RaftCore(lone('n1'), {
    hardState: { term: 1, vote: 'n1', commit: 5 },
    snapshot,
    entries: entries.slice(2),
    applied: 4,
  });
  assert.equal(core.appliedIndex, 4);
  const rd = drain(core);
  assert.deepEqual(rd.committedEntries.map((e) => e.index), [5]);
  assert.equal(core.appliedIndex, 5);
  assert.deepEqual(core.config.voters, ['n1']);
});

// ------------------------------------------------------------------ §4.11

/** n3 lags, then receives the snapshot with a slow disk; returns the net with the Ready holding it. */
function snapshotWithSlowDisk() {
  const net = laggingN3(8);
  const n3 = net.node('n3');
  n3.manualSync = true;
  const old = {
    entries: n3.storage.entries.map((e) => [e.index, e.term, dec(e.data)]),
    hs: { ...n3.storage.hardState },
    state: appState(net, 'n3'),
  };
  net.tick('n1');
  // Drive the transfer, syncing n3's disk for every Ready except the one holding the snapshot.
  for (let i = 0; i < 100; i++) {
    const moved = net.processAll();
    if (n3.unsynced && !n3.unsynced.snapshot) {
      net.sync('n3');
      continue;
    }
    if (n3.unsynced?.snapshot) break;
    if (!moved && net.queue.length === 0) break;
    net.deliver();
  }
  assert.ok(n3.unsynced?.snapshot, 'the Ready carrying the received snapshot is held by the slow disk');
  return { net, old };
}

test('bug etcd#6368 crash losing the Ready that holds a received snapshot leaves the old complete state', () => {
  const { net, old } = snapshotWithSlowDisk();
  const n3 = net.node('n3');
  net.restart('n3');
  n3.manualSync = false;
  // Old complete state: log, hard state and application state exactly as before the transfer.
  assert.equal(n3.storage.snapshot, undefined);
  assert.deepEqual(n3.storage.entries.map((e) => [e.index, e.term, dec(e.data)]), old.entries);
  assert.deepEqual(n3.storage.hardState, old.hs);
  assert.equal(net.core('n3').lastIndex, 3);
  net.stabilize();
  const st = appState(net, 'n3');
  assert.deepEqual(st, old.state.slice(0, st.length), 'a prefix of the committed sequence, nothing half-installed');
  // The leader never heard "done" for it, so the transfer completes later.
  assert.equal(net.core('n1').progress('n3')!.state, 'snapshot');
  net.run(3);
  assert.equal(net.core('n3').snapshotMeta.index, 5);
  assert.deepEqual(appState(net, 'n3'), ['a', 'b', 'c', 'd', 'e', 'f']);
  net.restart('n3');
  net.stabilize();
  assert.deepEqual(appState(net, 'n3'), ['a', 'b', 'c', 'd', 'e', 'f'], 'and it survives a further restart');
});

test('bug etcd#6368 crash after the snapshot Ready synced leaves the new complete state', () => {
  const { net } = snapshotWithSlowDisk();
  const n3 = net.node('n3');
  net.sync('n3');
  net.restart('n3');
  n3.manualSync = false;
  assert.equal(n3.storage.snapshot?.meta.index, 5);
  assert.deepEqual(n3.storage.entries, [], 'the old log was replaced, not merged');
  assert.equal(net.core('n3').snapshotMeta.index, 5);
  assert.equal(net.core('n3').commitIndex, 5);
  net.stabilize();
  assert.deepEqual(appState(net, 'n3'), ['a', 'b', 'c', 'd']);
  net.run(3);
  assert.deepEqual(appState(net, 'n3'), ['a', 'b', 'c', 'd', 'e', 'f']);
});
