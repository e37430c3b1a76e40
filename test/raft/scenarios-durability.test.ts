// Catalogue §2.I (crash and durability, #44), §2.J (a deterministic, seeded, bounded nemesis run,
// #45) and bug-log regressions §4.8 (redisraft#14), §4.9 (etcd#14370), §4.10 (etcd#13766) and
// §4.13 (etcd#14633).
//
// The application state in these scenarios is the list of Normal entry payloads applied so far;
// a snapshot's data is that list as JSON (see appState / compact).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ProposalError,
  RaftCore,
  Role,
  type BrokenVariant,
  type ConfChange,
  type Entry,
  type Message,
  type NodeId,
} from '../../src/raft/index.ts';
import { seededRng } from '../../src/util/random.ts';
import { Net, enc, dec, type TestNode } from './harness.ts';

// ------------------------------------------------------------------ helpers

const ENTRY_OVERHEAD = 24; // entrySize(e) = data.length + 24 (src/raft/log.ts)

function appState(net: Net, id: NodeId, upTo = Infinity): string[] {
  const n = net.node(id);
  const snap = n.storage.snapshot;
  const si = snap?.meta.index ?? 0;
  const base: string[] = snap ? (JSON.parse(dec(snap.data)) as string[]) : [];
  return base.concat(n.applied.filter((e) => e.index > si && e.index <= upTo).map((e) => dec(e.data)));
}

function compact(net: Net, id: NodeId, index: number): void {
  const n = net.node(id);
  const data = enc(JSON.stringify(appState(net, id, index)));
  n.core.compact(index, data);
  n.storage.compact({ meta: n.core.snapshotMeta, data });
}

function sent<T extends Message['type']>(net: Net, from: number, type: T, src?: string, dst?: string): (Message & { type: T })[] {
  return net.log
    .slice(from)
    .filter((m) => m.type === type && (src === undefined || m.from === src) && (dst === undefined || m.to === dst)) as (Message & { type: T })[];
}

const show = (e: Entry) => `${e.index}/${e.term}/${e.type}/${dec(e.data)}`;

/**
 * The protocol invariants of catalogue §3.1 that a test can observe from outside the core,
 * checked with ledgers that survive crashes: I1 (one leader per term, from who sent appends),
 * I2/I3 (persisted vote and term), I5 (log matching), I6 (leader completeness w.r.t. applied
 * entries), I7 (state-machine safety), I8 (local ordering).
 */
class Invariants {
  private senderOfTerm = new Map<number, NodeId>();
  private logPos = 0;
  private appliedAt = new Map<number, string>();
  private cursors = new Map<NodeId, { arr: Entry[]; pos: number }>();
  private hard = new Map<NodeId, { term: number; vote: NodeId }>();
  private checkedLeader = new Map<NodeId, number>();
  private maxCommit = new Map<NodeId, { core: RaftCore; commit: number; held: number }>();
  private maxApplied = 0;

  constructor(private readonly net: Net) {}

  /** `light`: the per-step subset (I1, I2/I3, I7, I8, I9); the full check adds I5 and I6. */
  check(where = '', light = false): void {
    const net = this.net;
    const at = where ? ` (${where})` : '';
    for (; this.logPos < net.log.length; this.logPos++) {
      const m = net.log[this.logPos]!;
      if (m.type !== 'app' && m.type !== 'heartbeat' && m.type !== 'snap' && m.type !== 'timeoutNow') continue;
      const prev = this.senderOfTerm.get(m.term);
      if (prev === undefined) this.senderOfTerm.set(m.term, m.from);
      else assert.equal(m.from, prev, `I1: two leaders in term ${m.term}${at}`);
    }
    for (const n of net.nodes.values()) {
      const c = n.core;
      // I8
      assert.equal(c.firstIndex, c.snapshotMeta.index + 1, `I8 ${n.id}${at}`);
      assert.ok(c.snapshotMeta.index <= c.appliedIndex, `I8 ${n.id}: snapshot ≤ applied${at}`);
      assert.ok(c.appliedIndex <= c.commitIndex, `I8 ${n.id}: applied ≤ commit${at}`);
      assert.ok(c.commitIndex <= c.lastIndex, `I8 ${n.id}: commit ≤ last${at}`);
      // I9 (and commit monotonicity): within one incarnation the commit index never moves back
      // and the log never loses an index at or below the highest commit the node has had.
      const mc = this.maxCommit.get(n.id);
      if (mc && mc.core === c) {
        assert.ok(c.commitIndex >= mc.commit, `I9 ${n.id}: commit went back from ${mc.commit} to ${c.commitIndex}${at}`);
        assert.ok(c.lastIndex >= mc.commit, `I9 ${n.id}: log truncated below commit ${mc.commit}${at}`);
      }
      // I9 against the global ledger: once a node's log holds an entry applied somewhere, it never loses it.
      let held = mc && mc.core === c ? mc.held : 0;
      if (held > c.snapshotMeta.index) {
        const want = this.appliedAt.get(held)!;
        const e = c.entries(held, held + 1)[0];
        assert.ok(e && `${e.term}/${e.type}/${dec(e.data)}` === want, `I9 ${n.id}: lost committed index ${held}${at}`);
      }
      for (let i = Math.min(c.lastIndex, this.maxApplied); i > held; i--) {
        const want = this.appliedAt.get(i);
        const e = c.entries(i, i + 1)[0];
        if (want && e && `${e.term}/${e.type}/${dec(e.data)}` === want) {
          held = i;
          break;
        }
      }
      this.maxCommit.set(n.id, { core: c, commit: Math.max(c.commitIndex, mc && mc.core === c ? mc.commit : 0), held });
      if (c.role === Role.Leader) {
        const prev = this.senderOfTerm.get(c.term);
        if (prev === undefined) this.senderOfTerm.set(c.term, n.id);
        else assert.equal(n.id, prev, `I1: two leaders in term ${c.term}${at}`);
      }
      // I2, I3 on persisted state
      const hs = n.storage.hardState;
      const h = this.hard.get(n.id);
      if (h) {
        assert.ok(hs.term >= h.term, `I3 ${n.id}: persisted term went from ${h.term} to ${hs.term}${at}`);
        if (hs.term === h.term && h.vote !== '') assert.equal(hs.vote, h.vote, `I2 ${n.id}: vote changed in term ${hs.term}${at}`);
      }
      this.hard.set(n.id, { term: hs.term, vote: hs.vote });
      // I7
      let cur = this.cursors.get(n.id);
      if (!cur || cur.arr !== n.appliedAll) {
        cur = { arr: n.appliedAll, pos: 0 };
        this.cursors.set(n.id, cur);
      }
      for (; cur.pos < cur.arr.length; cur.pos++) {
        const e: Entry = cur.arr[cur.pos]!;
        const s: string = `${e.term}/${e.type}/${dec(e.data)}`;
        const prev = this.appliedAt.get(e.index);
        if (prev === undefined) {
          this.appliedAt.set(e.index, s);
          this.maxApplied = Math.max(this.maxApplied, e.index);
        }
        else assert.equal(s, prev, `I7 ${n.id}: applied ${s} at ${e.index}, elsewhere ${prev}${at}`);
      }
    }
    if (light) return;
    // I6: a node that just became leader holds every entry applied anywhere (above its snapshot)
    // whose term is not above its own. (A deposed leader that has not noticed yet is exempt:
    // entries committed in later terms need not be in its log.)
    for (const n of net.nodes.values()) {
      if (n.core.role !== Role.Leader) continue;
      if (this.checkedLeader.get(n.id) === n.core.term) continue;
      this.checkedLeader.set(n.id, n.core.term);
      for (const [i, s] of this.appliedAt) {
        if (i <= n.core.snapshotMeta.index || Number(s.split('/')[0]) > n.core.term) continue;
        const e = n.core.entries(i, i + 1)[0];
        assert.ok(e, `I6 leader ${n.id} lacks applied index ${i}${at}`);
        assert.equal(`${e.term}/${e.type}/${dec(e.data)}`, s, `I6 leader ${n.id} at ${i}${at}`);
      }
    }
    // I5: log matching for every pair, over the indices both still hold.
    const ids = [...net.nodes.keys()];
    for (let a = 0; a < ids.length; a++) {
      for (let b = a + 1; b < ids.length; b++) {
        const x = net.core(ids[a]!);
        const y = net.core(ids[b]!);
        const lo = Math.max(x.firstIndex, y.firstIndex);
        let hi = Math.min(x.lastIndex, y.lastIndex);
        while (hi >= lo && x.termAt(hi) !== y.termAt(hi)) hi--;
        if (hi < lo) continue;
        const ex = x.entries(lo, hi + 1).map(show);
        const ey = y.entries(lo, hi + 1).map(show);
        assert.deepEqual(ex, ey, `I5 ${ids[a]} vs ${ids[b]} up to ${hi}${at}`);
      }
    }
  }
}

/** A restart reproduces {term, vote, commit, log, snapshot} of a quiescent node. */
function assertRestartReproduces(net: Net, id: NodeId): void {
  const before = (c: RaftCore) => ({
    term: c.term,
    vote: c.vote,
    commit: c.commitIndex,
    snapshot: c.snapshotMeta.index,
    log: c.entries(c.firstIndex, c.lastIndex + 1).map(show),
  });
  const b = before(net.core(id));
  const state = appState(net, id);
  net.restart(id);
  assert.deepEqual(before(net.core(id)), b, `${id}: restart reproduces the durable state`);
  net.stabilize();
  assert.deepEqual(appState(net, id), state, `${id}: replay rebuilds the application state`);
}

// ------------------------------------------------------------------ #44

const ids3 = ['n1', 'n2', 'n3'];

function finish(net: Net, inv: Invariants, acked: string[]): void {
  net.recover();
  net.run(25);
  inv.check('after heal');
  assert.equal(net.leaders().length, 1);
  const leader = net.leaders()[0]!;
  net.propose(leader, 'final');
  net.run(2);
  inv.check('final');
  const want = appState(net, leader);
  for (const id of net.nodes.keys()) assert.deepEqual(appState(net, id), want, `${id} applied the same sequence`);
  for (const w of acked) assert.equal(want.filter((x) => x === w).length, 1, `acknowledged ${w} is in the state exactly once`);
  for (const id of net.nodes.keys()) assertRestartReproduces(net, id);
  inv.check('after restarts');
}

test('#44 crash after append, before sync (follower): the unsynced entry is lost locally, never acked, the write survives', () => {
  const net = new Net(ids3);
  const inv = new Invariants(net);
  net.campaign('n1');
  net.propose('n1', 'a');
  for (const id of ['n2', 'n3']) net.node(id).manualSync = true;
  const x = net.core('n1').propose(enc('x'));
  for (let i = 0; i < 5; i++) {
    net.processAll();
    net.deliver();
  }
  assert.ok(net.node('n2').unsynced && net.node('n3').unsynced);
  assert.equal(sent(net, 0, 'appResp').filter((m) => m.index >= x.index).length, 0, 'no ack before the sync');
  assert.ok(net.core('n1').commitIndex < x.index);
  net.restart('n2');
  net.node('n2').manualSync = false;
  assert.equal(net.node('n2').storage.entries.length, x.index - 1, 'n2 lost the unsynced x');
  inv.check('n2 crashed');
  net.sync('n3');
  net.node('n3').manualSync = false;
  net.stabilize();
  assert.equal(net.core('n1').commitIndex, x.index, 'committed by n1 + n3');
  assert.deepEqual(net.appliedData('n1'), ['a', 'x']);
  inv.check();
  finish(net, inv, ['a', 'x']);
});

test('#44 crash after append, before sync (leader): committed by the followers, the write survives the leader\'s loss', () => {
  const net = new Net(ids3);
  const inv = new Invariants(net);
  net.campaign('n1');
  net.propose('n1', 'a');
  const n1 = net.node('n1');
  n1.manualSync = true;
  const x = n1.core.propose(enc('x'));
  for (let i = 0; i < 5; i++) {
    net.processAll();
    net.deliver();
  }
  // The appends left eagerly; the followers' acks committed x although the leader has not synced
  // (the leader counts itself only after its own sync, but n2 + n3 are a quorum).
  assert.equal(n1.core.commitIndex, x.index);
  assert.equal(n1.core.progress('n1')!.match, x.index - 1, 'the leader does not count its unsynced entry');
  net.restart('n1');
  n1.manualSync = false;
  assert.equal(n1.storage.entries.length, x.index - 1, 'the leader lost x');
  inv.check('leader crashed');
  net.isolate('n1');
  net.campaign('n2');
  assert.deepEqual(net.leaders(), ['n2']);
  net.stabilize();
  assert.deepEqual(appState(net, 'n2'), ['a', 'x']);
  inv.check();
  finish(net, inv, ['a', 'x']);
});

test('#44 crash after sync, before send: the synced entry and vote survive, the unsent ack is recovered', () => {
  const net = new Net(ids3);
  const inv = new Invariants(net);
  net.campaign('n1');
  net.propose('n1', 'a');
  const n2 = net.node('n2');
  n2.manualSync = true;
  const x = net.core('n1').propose(enc('x'));
  for (let i = 0; i < 5; i++) {
    net.processAll();
    net.deliver();
  }
  n2.storage.persist(n2.unsynced!); // synced, then the process dies before sending the ack
  net.restart('n2');
  n2.manualSync = false;
  assert.equal(net.core('n2').lastIndex, x.index, 'x is durable on n2');
  net.stabilize();
  net.tick('n1');
  net.stabilize();
  assert.equal(net.core('n1').progress('n2')!.match, x.index, 'the leader learns n2 holds x');
  inv.check();

  // The same for a vote: granted and synced, the grant never sent; after the restart the vote holds.
  n2.manualSync = true;
  net.isolate('n1');
  net.core('n3').campaign();
  for (let i = 0; i < 3; i++) {
    net.processAll();
    net.deliver();
  }
  const rd = n2.unsynced!;
  assert.equal(rd.hardState?.vote, 'n3');
  assert.ok(rd.messages.some((m) => m.type === 'voteResp' && !m.reject), 'the grant waits for the sync');
  n2.storage.persist(rd);
  net.restart('n2');
  n2.manualSync = false;
  assert.equal(net.core('n2').vote, 'n3');
  const term = net.core('n2').term;
  net.core('n2').step({ type: 'vote', from: 'n1', to: 'n2', term, lastIndex: 99, lastTerm: 99, transfer: false });
  net.processReady('n2');
  const resp = net.queue.filter((m) => m.type === 'voteResp' && m.from === 'n2');
  assert.deepEqual(resp.map((m) => m.type === 'voteResp' && m.reject), [true], 'no second vote in the same term');
  net.queue = [];
  inv.check();
  finish(net, inv, ['a', 'x']);
});

test('#44 crash after send, before apply: committed entries are re-applied once from the log after restart', () => {
  const net = new Net(ids3);
  const inv = new Invariants(net);
  net.campaign('n1');
  net.propose('n1', 'a');
  const n2 = net.node('n2');
  net.core('n1').propose(enc('x'));
  net.processAll();
  net.deliver(); // appends
  net.processAll(); // n2, n3 persist x and ack
  n2.manualSync = true; // from here n2's disk is slow
  net.deliver(); // acks: n1 commits x
  net.processAll();
  net.deliver(); // the commit reaches n2
  net.processAll();
  const rd = n2.unsynced!;
  assert.deepEqual(rd.committedEntries.map((e) => dec(e.data)), ['x']);
  n2.storage.persist(rd);
  net.queue.push(...rd.messages);
  net.deliver(); // sent, but the process dies before applying and advancing
  net.restart('n2');
  n2.manualSync = false;
  net.stabilize();
  assert.deepEqual(net.appliedData('n2'), ['a', 'x'], 'replayed from the log, each entry once');
  inv.check();
  finish(net, inv, ['a', 'x']);
});

test('#44 crash during snapshot install: the partial transfer is discarded and restarts from offset 0', () => {
  const net = new Net(ids3, { configure: (c) => (c.snapshotChunkSize = 8) });
  const inv = new Invariants(net);
  net.campaign('n1');
  net.propose('n1', 'a');
  net.isolate('n3');
  for (const d of ['b', 'c', 'd']) net.propose('n1', d);
  compact(net, 'n1', 4);
  net.recover();
  net.tick('n1');
  const mark = net.log.length;
  for (let i = 0; i < 10 && sent(net, mark, 'snap', 'n1', 'n3').length < 2; i++) {
    net.processAll();
    net.deliver();
  }
  assert.equal(sent(net, mark, 'snap', 'n1', 'n3').length, 2, 'two chunks received');
  net.restart('n3'); // the in-memory partial snapshot is gone
  assert.equal(net.core('n3').snapshotMeta.index, 0);
  inv.check();
  const m2 = net.log.length;
  net.run(3);
  const resp = sent(net, m2, 'snapResp', 'n3');
  assert.equal(resp[0]!.offset, 0, 'n3 asks for the snapshot from the start');
  const offs = sent(net, m2, 'snap', 'n1', 'n3').map((m) => m.offset);
  assert.ok(offs.indexOf(0) > 0, `the leader restarted the transfer from 0 (offsets ${offs})`);
  assert.equal(net.core('n3').snapshotMeta.index, 4);
  assert.deepEqual(appState(net, 'n3'), ['a', 'b', 'c', 'd']);
  inv.check();
  finish(net, inv, ['a', 'b', 'c', 'd']);
});

test('#44 crash between log truncation and append: the node restarts with a prefix and catches up', () => {
  const net = new Net(ids3);
  const inv = new Invariants(net);
  net.campaign('n1');
  net.propose('n1', 'a');
  // n1, cut off, appends entries no one else has; n2 leads term 2 and commits others.
  net.isolate('n1');
  net.propose('n1', 'u1');
  net.propose('n1', 'u2');
  net.campaign('n2');
  net.propose('n2', 'v1');
  net.propose('n2', 'v2');
  assert.deepEqual(net.logTerms('n1'), [1, 1, 1, 1]);
  const n1 = net.node('n1');
  n1.manualSync = true;
  net.recover();
  net.tick('n2');
  for (let i = 0; i < 10 && !n1.unsynced?.entries.length; i++) {
    if (n1.unsynced) net.sync('n1'); // Readies without entries (term change, acks) sync normally
    net.processAll();
    net.deliver();
  }
  const rd = n1.unsynced!;
  assert.equal(rd.entries[0]!.index, 3, 'the Ready replaces n1\'s tail from index 3');
  // A torn write: the truncation reached the disk, the append did not; then the crash.
  n1.storage.entries = n1.storage.entries.slice(0, 2);
  net.restart('n1');
  n1.manualSync = false;
  assert.deepEqual(net.logTerms('n1'), [1, 1]);
  inv.check('torn write');
  net.run(3);
  assert.deepEqual(appState(net, 'n1'), ['a', 'v1', 'v2']);
  inv.check();
  finish(net, inv, ['a', 'v1', 'v2']);
});

/**
 * #44 / I11 with 3 nodes: the followers' disks are slow; an append ack must not leave before the
 * follower synced. If it does (ackBeforePersist), the leader commits and acknowledges an entry
 * that a crash of both followers erases from the majority, and the next leader lacks it.
 */
function scenario44(opts: { broken?: BrokenVariant } = {}): void {
  const net = new Net(ids3, { configure: (c) => (opts.broken ? (c.broken = opts.broken) : undefined) });
  net.campaign('n1');
  net.propose('n1', 'a');
  for (const id of ['n2', 'n3']) net.node(id).manualSync = true;
  net.core('n1').propose(enc('x'));
  for (let i = 0; i < 6; i++) {
    net.processAll();
    net.deliver();
  }
  // Whatever the leader reported committed (applied, i.e. acknowledged to the client):
  const acknowledged = net.node('n1').applied.map((e) => ({ index: e.index, term: e.term, data: dec(e.data) }));
  // Both followers crash before their disks synced: the held Readies are lost.
  for (const id of ['n2', 'n3']) {
    net.restart(id);
    net.node(id).manualSync = false;
  }
  net.isolate('n1');
  net.campaign('n2');
  assert.deepEqual(net.leaders().filter((l) => l !== 'n1'), ['n2']);
  const n2 = net.core('n2');
  for (const e of acknowledged) {
    const have = n2.entries(e.index, e.index + 1)[0];
    assert.ok(have && have.term === e.term && dec(have.data) === e.data, `acknowledged ${e.data} at ${e.index} is missing from the new leader`);
  }
  net.recover();
  net.run(20);
  assert.deepEqual(net.leaders(), ['n2']);
  for (const id of ids3) assert.deepEqual(appState(net, id), appState(net, 'n2'), id);
  for (const e of acknowledged) assert.ok(appState(net, 'n2').includes(e.data));
  // With acks after the sync, x was never acknowledged: the leader had no quorum for it.
  assert.deepEqual(acknowledged.map((e) => e.data), ['a']);
}

test('#44 an append ack waits for the follower\'s sync: nothing acknowledged is lost when the followers crash', () => {
  scenario44();
});

test('#44 catches broken variant ackBeforePersist', () => {
  assert.throws(() => scenario44({ broken: 'ackBeforePersist' }), assert.AssertionError);
});

// ------------------------------------------------------------------ #45

interface Proposal {
  node: NodeId;
  index: number;
  term: number;
  data: string;
  status: 'pending' | 'ok' | 'lost';
}

/**
 * A deterministic, seeded, bounded nemesis run (hashicorp fuzzy style) on the harness: five
 * voters under a constant stream of proposals while a nemesis, one phase at a time, partitions the
 * leader with one other node, slows vote requests to two nodes, slows vote responses from three,
 * adds two members, removes the leader, removes a partitioned follower and transfers leadership.
 * Invariants are checked after every delivery round (the per-step subset) and every tick (all);
 * at the end (all healed) the members' logs are equal, every acknowledged proposal is applied
 * exactly once everywhere, every member applied the same sequence and at most one node sent
 * appends in any term. `lossy` adds background message loss and reordering (delays).
 */
function nemesisRun(seed: number, opts: { broken?: BrokenVariant; lossy?: boolean } = {}): { acked: number; terms: number; phases: string[] } {
  const initial = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const net = new Net(initial, {
    preVote: true,
    checkQuorum: true,
    seed,
    configure: (c) => {
      c.snapshotChunkSize = 64;
      if (opts.broken) c.broken = opts.broken;
    },
  });
  const inv = new Invariants(net);
  const rng = seededRng(seed ^ 0x5eed);
  let now = 0;
  const delayed: { m: Message; at: number }[] = [];
  const released = new WeakSet<Message>();
  const cutPairs = new Set<string>();
  let slowReqTo = new Set<NodeId>();
  let slowRespFrom = new Set<NodeId>();
  const hook = (m: Message): boolean => {
    if (released.has(m)) return true;
    if ((m.type === 'vote' || m.type === 'preVote') && slowReqTo.has(m.to)) {
      delayed.push({ m, at: now + 4 + rng.int(8) });
      return false;
    }
    if ((m.type === 'voteResp' || m.type === 'preVoteResp') && slowRespFrom.has(m.from)) {
      delayed.push({ m, at: now + 4 + rng.int(8) });
      return false;
    }
    if (opts.lossy && !calm) {
      // Background faults: a few messages are lost, a few arrive late (out of order).
      const r = rng.next();
      if (r < 0.02) return false;
      if (r < 0.05) {
        delayed.push({ m, at: now + 1 + rng.int(4) });
        return false;
      }
    }
    return true;
  };
  let calm = false;
  const applyFaults = () => {
    net.recover();
    net.hook = hook;
    for (const p of cutPairs) {
      const [a, b] = p.split('|') as [string, string];
      net.cut(a, b);
    }
  };
  const heal = () => {
    cutPairs.clear();
    slowReqTo = new Set();
    slowRespFrom = new Set();
    applyFaults();
  };
  applyFaults();

  const members = () => {
    // The configuration as the most advanced node knows it.
    let best = net.core('n1');
    for (const n of net.nodes.values()) if (n.core.commitIndex > best.commitIndex) best = n.core;
    return best.config;
  };
  const leader = (): NodeId | undefined => {
    let best: NodeId | undefined;
    for (const n of net.nodes.values()) {
      if (n.core.role === Role.Leader && (!best || n.core.term > net.core(best).term)) best = n.id;
    }
    return best;
  };
  const proposals: Proposal[] = [];
  let seq = 0;
  const proposeOne = () => {
    const l = leader();
    if (!l) return;
    const data = `p${seq}`;
    try {
      const r = net.core(l).propose(enc(data));
      proposals.push({ node: l, index: r.index, term: r.term, data, status: 'pending' });
      seq++;
    } catch (e) {
      if (!(e instanceof ProposalError)) throw e;
    }
  };
  const settle = () => {
    for (const p of proposals) {
      if (p.status !== 'pending') continue;
      const n = net.node(p.node);
      const e = n.appliedAll.find((x) => x.index === p.index);
      if (!e) continue;
      p.status = e.term === p.term && dec(e.data) === p.data ? 'ok' : 'lost';
    }
  };
  /** net.stabilize() with the per-step invariants checked after every delivery round. */
  const stabilize = () => {
    for (let i = 0; i < 1000; i++) {
      const moved = net.processAll();
      // Checked once every node's Ready is processed (a snapshot a follower just received is
      // ahead of its applied index until then).
      inv.check(`seed ${seed} tick ${now} round ${i}`, true);
      if (!moved && net.queue.length === 0) return;
      net.deliver();
    }
    throw new Error('stabilize: did not quiesce');
  };
  const tick = () => {
    now++;
    for (let i = delayed.length - 1; i >= 0; i--) {
      if (delayed[i]!.at <= now) {
        released.add(delayed[i]!.m);
        net.queue.push(delayed[i]!.m);
        delayed.splice(i, 1);
      }
    }
    net.tickAll();
    if (now % 2 === 0) proposeOne();
    stabilize();
    settle();
    inv.check(`seed ${seed} tick ${now}`);
  };
  const ticks = (k: number) => {
    for (let i = 0; i < k; i++) tick();
  };
  /** Proposes a configuration change (chosen when a leader is there) and waits for it to commit (bounded). */
  const confChange = (ccFor: (leader: NodeId) => ConfChange | undefined): boolean => {
    for (let i = 0; i < 60; i++) {
      const l = leader();
      const cc = l ? ccFor(l) : undefined;
      if (l && cc) {
        try {
          const r = net.core(l).proposeConfChange(cc);
          for (let j = 0; j < 40; j++) {
            tick();
            const e = net.node(l).appliedAll.find((x) => x.index === r.index);
            if (e) return e.term === r.term;
          }
          return false;
        } catch (e) {
          if (!(e instanceof ProposalError)) throw e;
        }
      }
      tick();
    }
    return false;
  };
  const voters = () => members().voters;

  const added: NodeId[] = [];
  const phases: Record<string, () => void> = {
    partitionLeaderWithOne: () => {
      const l = leader();
      if (!l) return ticks(20);
      const others = [...net.nodes.keys()].filter((x) => x !== l);
      const buddy = rng.pick(others);
      for (const x of others) if (x !== buddy) cutPairs.add(`${l}|${x}`), cutPairs.add(`${buddy}|${x}`);
      applyFaults();
      ticks(40);
      heal();
    },
    slowVoteRequests: () => {
      const vs = voters();
      slowReqTo = new Set([rng.pick(vs), rng.pick(vs)]);
      const l = leader();
      if (l) for (const x of net.nodes.keys()) if (x !== l) cutPairs.add(`${l}|${x}`);
      applyFaults();
      ticks(30); // the leader is cut off: an election runs with slow vote requests
      cutPairs.clear();
      applyFaults();
      ticks(15);
      heal();
    },
    slowVoteResponses: () => {
      const vs = voters().slice();
      const from = new Set<NodeId>();
      while (from.size < Math.min(3, vs.length)) from.add(rng.pick(vs));
      slowRespFrom = from;
      const l = leader();
      if (l) for (const x of net.nodes.keys()) if (x !== l) cutPairs.add(`${l}|${x}`);
      applyFaults();
      ticks(30);
      cutPairs.clear();
      applyFaults();
      ticks(15);
      heal();
    },
    addTwoMembers: () => {
      for (const id of ['n6', 'n7']) {
        if (net.nodes.has(id)) continue;
        // Half the time (seeded) every member compacts first, so the new server catches up
        // through a (chunked) snapshot; otherwise it replays the log from index 1.
        if (rng.chance(0.5)) {
          for (const n of net.nodes.values()) {
            const c = n.core;
            if (c.appliedIndex > c.snapshotMeta.index && c.stableIndex >= c.appliedIndex) compact(net, n.id, c.appliedIndex);
          }
        }
        net.addNode(id);
        added.push(id);
        confChange(() => ({ type: 'addVoter', id }));
        ticks(10);
      }
    },
    removeLeader: () => {
      if (voters().length <= 3) return ticks(20);
      confChange((l) => ({ type: 'remove', id: l }));
      ticks(30);
    },
    removePartitionedFollower: () => {
      const l = leader();
      if (!l || voters().length <= 3) return ticks(20);
      const f = rng.pick(voters().filter((v) => v !== l));
      for (const x of net.nodes.keys()) if (x !== f) cutPairs.add(`${f}|${x}`);
      applyFaults();
      ticks(5);
      confChange(() => (voters().includes(f) ? { type: 'remove', id: f } : undefined));
      ticks(10);
      heal();
      ticks(20);
    },
    transfer: () => {
      const l = leader();
      if (!l) return ticks(20);
      const target = rng.pick(voters().filter((v) => v !== l));
      try {
        net.core(l).transferLeadership(target);
      } catch (e) {
        if (!(e instanceof ProposalError)) throw e;
      }
      ticks(25);
    },
  };

  ticks(30); // elect a first leader
  const order = Object.keys(phases);
  // A seeded shuffle: every action runs, in a seed-dependent order, twice.
  const plan = [...order, ...order];
  for (let i = plan.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  for (const name of plan) {
    phases[name]!();
    ticks(5);
  }

  // Heal everything, release held messages, stop the load and let the cluster converge.
  calm = true;
  heal();
  for (const d of delayed.splice(0)) {
    released.add(d.m);
    net.queue.push(d.m);
  }
  ticks(60);
  const stopAt = seq;
  for (let i = 0; i < 40; i++) {
    now++;
    net.tickAll();
    stabilize();
    settle();
    inv.check(`seed ${seed} converge ${i}`);
  }
  assert.equal(seq, stopAt);

  // ---- end checks
  const l = leader();
  assert.ok(l, `seed ${seed}: a leader after healing`);
  const leaders = net.leaders().filter((x) => net.core(x).term === net.core(l).term);
  assert.deepEqual(leaders, [l]);
  const cfg = net.core(l).config;
  const mem = [...cfg.voters, ...cfg.nonVoters];
  const L = net.core(l);
  for (const id of mem) {
    const c = net.core(id);
    assert.equal(c.lastIndex, L.lastIndex, `seed ${seed}: ${id} last index`);
    assert.equal(c.commitIndex, L.commitIndex, `seed ${seed}: ${id} commit`);
    const lo = Math.max(c.firstIndex, L.firstIndex);
    assert.deepEqual(c.entries(lo, c.lastIndex + 1).map(show), L.entries(lo, L.lastIndex + 1).map(show), `seed ${seed}: ${id} log = leader log`);
    assert.deepEqual(appState(net, id), appState(net, l), `seed ${seed}: ${id} applied the same sequence`);
  }
  const final = appState(net, l);
  const count = new Map<string, number>();
  for (const d of final) count.set(d, (count.get(d) ?? 0) + 1);
  for (const [d, k] of count) assert.equal(k, 1, `seed ${seed}: ${d} applied ${k} times`);
  const ok = proposals.filter((p) => p.status === 'ok');
  for (const p of ok) assert.ok(count.has(p.data), `seed ${seed}: acknowledged ${p.data} (index ${p.index}) missing`);
  // Removed or cut-off servers hold a prefix of the same history.
  for (const id of net.nodes.keys()) {
    const st = appState(net, id);
    assert.deepEqual(st, final.slice(0, st.length), `seed ${seed}: ${id} applied a prefix`);
  }
  // I1 over the whole run: the ledger in `inv` saw every append, heartbeat and snapshot.
  const appendTerms = new Map<number, Set<NodeId>>();
  for (const m of net.log) {
    if (m.type !== 'app') continue;
    if (!appendTerms.has(m.term)) appendTerms.set(m.term, new Set());
    appendTerms.get(m.term)!.add(m.from);
  }
  for (const [t, s] of appendTerms) assert.equal(s.size, 1, `seed ${seed}: term ${t} appends from ${[...s]}`);
  assert.ok(ok.length > 50, `seed ${seed}: only ${ok.length} proposals acknowledged`);
  assert.ok(added.length === 2, 'two members were added');
  if (process.env.NEMESIS_DEBUG) {
    console.log(
      JSON.stringify({
        seed,
        acked: ok.length,
        lost: proposals.filter((p) => p.status === 'lost').length,
        pending: proposals.filter((p) => p.status === 'pending').length,
        terms: [...appendTerms.keys()],
        leader: l,
        config: cfg,
        snaps: sent(net, 0, 'snap').length,
        timeoutNow: sent(net, 0, 'timeoutNow').length,
        delayedVotes: net.log.filter((m) => released.has(m)).length,
        plan,
        finalLen: final.length,
      }),
    );
  }
  return { acked: ok.length, terms: appendTerms.size, phases: plan };
}

for (const seed of [1, 2, 3]) {
  test(`#45 nemesis run with background load (seed ${seed})`, () => {
    const r = nemesisRun(seed);
    assert.ok(r.terms > 3, `seed ${seed}: the nemesis forced elections (${r.terms} terms)`);
  });
}

for (const seed of [4, 5]) {
  test(`#45 nemesis run with background load on a lossy, reordering network (seed ${seed})`, () => {
    const r = nemesisRun(seed, { lossy: true });
    assert.ok(r.terms > 3, `seed ${seed}: the nemesis forced elections (${r.terms} terms)`);
  });
}

// ------------------------------------------------------------------ §4.8

test('bug redisraft#14 no data loss on failover: a, b, c on every node after failover and after a full-cluster restart', () => {
  const net = new Net(ids3, { preVote: true, checkQuorum: true });
  const inv = new Invariants(net);
  net.campaign('n1');
  for (const d of ['a', 'b', 'c']) net.propose('n1', d);
  net.tick('n1');
  net.stabilize();
  // Failover: the leader is cut off, another is elected by timeout.
  net.isolate('n1');
  for (let i = 0; i < 40 && !net.leaders().some((l) => l !== 'n1'); i++) {
    net.tick('n2');
    net.tick('n3');
    net.stabilize();
  }
  const l2 = net.leaders().find((l) => l !== 'n1')!;
  assert.ok(l2);
  net.recover();
  net.run(25);
  assert.deepEqual(net.leaders(), [l2], 'the old leader stepped down');
  net.core(l2).readIndex('read');
  net.stabilize();
  const rs = net.node(l2).readStates.at(-1)!;
  assert.ok(net.core(l2).appliedIndex >= rs.index);
  for (const id of ids3) assert.deepEqual(appState(net, id), ['a', 'b', 'c'], `${id} after failover`);
  inv.check();
  // Full-cluster restart.
  for (const id of ids3) net.restart(id);
  net.run(40);
  assert.equal(net.leaders().length, 1);
  for (const id of ids3) assert.deepEqual(appState(net, id), ['a', 'b', 'c'], `${id} after a full restart`);
  inv.check();
});

test('bug redisraft#14 no data loss on failover with snapshots: the new leader serves from snapshot + log', () => {
  const net = new Net(ids3, { preVote: true, checkQuorum: true });
  const inv = new Invariants(net);
  net.campaign('n1');
  for (const d of ['a', 'b']) net.propose('n1', d);
  net.run(1);
  for (const id of ids3) compact(net, id, net.core(id).appliedIndex);
  net.propose('n1', 'c');
  net.run(1);
  net.core('n1').transferLeadership('n3');
  net.stabilize();
  assert.deepEqual(net.leaders(), ['n3']);
  net.run(2);
  for (const id of ids3) assert.deepEqual(appState(net, id), ['a', 'b', 'c'], `${id} after failover`);
  for (const id of ids3) net.restart(id);
  net.stabilize();
  for (const id of ids3) assert.equal(net.core(id).snapshotMeta.index, 3, id);
  net.run(40);
  for (const id of ids3) assert.deepEqual(appState(net, id), ['a', 'b', 'c'], `${id} after a full restart`);
  inv.check();
});

// ------------------------------------------------------------------ §4.9

test('bug etcd#14370 single node: nothing commits before the local sync; a crash after the client-visible apply loses nothing', () => {
  const net = new Net(['n1']);
  net.campaign('n1');
  net.propose('n1', 'a');
  const n1 = net.node('n1');
  n1.manualSync = true;
  const x = n1.core.propose(enc('x'));
  net.processReady('n1');
  const r1 = n1.unsynced!;
  assert.deepEqual(r1.entries.map((e) => dec(e.data)), ['x']);
  assert.deepEqual(r1.committedEntries, [], 'not committed in the same Ready that writes it');
  assert.ok(n1.core.commitIndex < x.index, 'self-ack counts only after the local sync');
  // Ticks and further steps while the disk is slow do not commit it either.
  net.tick('n1', 3);
  assert.ok(n1.core.commitIndex < x.index);
  net.sync('n1'); // x durable
  assert.equal(n1.core.commitIndex, x.index);
  net.processReady('n1');
  const r2 = n1.unsynced!;
  assert.deepEqual(r2.committedEntries.map((e) => dec(e.data)), ['x']);
  // The application applies x and answers the client, then the process dies before the
  // Ready's remaining writes (the commit index) reach the disk.
  const acked = r2.committedEntries.map((e) => dec(e.data));
  net.restart('n1');
  n1.manualSync = false;
  assert.ok(n1.storage.entries.some((e) => dec(e.data) === 'x'), 'x was durable before it was applied');
  net.campaign('n1');
  net.stabilize();
  assert.deepEqual(net.appliedData('n1'), ['a', ...acked]);
});

test('bug etcd#14370 generalised: a leader counts itself towards the quorum only after its sync', () => {
  const net = new Net(ids3);
  net.campaign('n1');
  net.propose('n1', 'a');
  const n1 = net.node('n1');
  n1.manualSync = true;
  net.ignore('appResp'); // only n2's ack will be let through below
  const x = n1.core.propose(enc('x'));
  for (let i = 0; i < 4; i++) {
    net.processAll();
    net.deliver();
  }
  net.recover();
  // One follower ack + the leader's unsynced copy is not a quorum.
  n1.core.step({ type: 'appResp', from: 'n2', to: 'n1', term: 1, index: x.index, reject: false, hintIndex: 0, hintTerm: 0 });
  assert.ok(n1.core.commitIndex < x.index);
  net.sync('n1');
  assert.equal(n1.core.commitIndex, x.index, 'after the sync: leader + n2');
  n1.manualSync = false;
  net.stabilize();
  assert.deepEqual(net.appliedData('n1'), ['a', 'x']);
});

// ------------------------------------------------------------------ §4.10

class Crash extends Error {}

/** A counter store on top of a node: `incr:<key>` entries, durable state + applied index. */
class CounterApp {
  disk = { state: {} as Record<string, number>, applied: 0 };
  private mem = { state: {} as Record<string, number>, applied: 0 };
  private cursor = 0;
  constructor(readonly twoWrites: boolean) {}

  restart(): void {
    this.mem = structuredClone(this.disk);
    this.cursor = 0;
  }

  /** Applies what the node handed out since the last call; dies while applying `crashAt`. */
  pump(node: TestNode, crashAt?: number): void {
    for (; this.cursor < node.applied.length; this.cursor++) {
      const e = node.applied[this.cursor]!;
      if (e.index <= this.mem.applied) continue; // replayed after a restart: already in the state
      const key = dec(e.data).split(':')[1]!;
      const state = { ...this.mem.state, [key]: (this.mem.state[key] ?? 0) + 1 };
      if (!this.twoWrites) {
        if (crashAt === e.index) throw new Crash();
        this.disk = { state: { ...state }, applied: e.index }; // one atomic batch
      } else {
        this.disk.state = { ...state }; // first write
        if (crashAt === e.index) throw new Crash(); // dies between the two writes
        this.disk.applied = e.index; // second write
      }
      this.mem = { state, applied: e.index };
    }
  }
}

function counterRun(twoWrites: boolean, crashAtNth: number): Record<string, Record<string, number>> {
  const net = new Net(ids3);
  const apps = new Map(ids3.map((id) => [id, new CounterApp(twoWrites)]));
  net.campaign('n1');
  const ops = ['a', 'b', 'a', 'c', 'a', 'b'];
  let crashIndex = 0;
  ops.forEach((k, i) => {
    const r = net.core('n1').propose(enc(`incr:${k}`));
    if (i === crashAtNth) crashIndex = r.index;
    net.stabilize();
    net.tick('n1');
    net.stabilize();
    for (const id of ids3) {
      try {
        apps.get(id)!.pump(net.node(id), id === 'n2' ? crashIndex || undefined : undefined);
      } catch (e) {
        if (!(e instanceof Crash)) throw e;
        crashIndex = 0;
        net.restart(id);
        apps.get(id)!.restart();
        net.stabilize(); // the node re-applies from its log
        apps.get(id)!.pump(net.node(id));
      }
    }
  });
  net.run(3);
  for (const id of ids3) apps.get(id)!.pump(net.node(id));
  return Object.fromEntries(ids3.map((id) => [id, apps.get(id)!.disk.state]));
}

test('bug etcd#13766 state and applied index written atomically: replicas agree after a crash mid-apply', () => {
  for (let nth = 0; nth < 6; nth++) {
    const states = counterRun(false, nth);
    assert.deepEqual(states.n2, { a: 3, b: 2, c: 1 }, `crash while applying op ${nth}`);
    assert.deepEqual(states.n1, states.n2);
    assert.deepEqual(states.n3, states.n2);
  }
  // Replay starts right after the persisted applied index when the core is told it.
  const net = new Net(['n1']);
  net.campaign('n1');
  for (const k of ['a', 'b', 'c']) net.propose('n1', `incr:${k}`);
  const st = net.node('n1').storage.load({ voters: ['n1'], nonVoters: [] });
  const core = new RaftCore(net.makeConfig('n1'), { ...st, applied: 3 });
  const rd = core.ready();
  assert.deepEqual(rd.committedEntries.map((e) => e.index), [4]);
});

test('bug etcd#13766 the two-write variant is caught: a crash between the writes double-applies an entry', () => {
  const states = counterRun(true, 2); // dies after writing the state of the 2nd `incr:a`
  assert.deepEqual(states.n1, { a: 3, b: 2, c: 1 });
  assert.notDeepEqual(states.n2, states.n1, 'the buggy design diverges (the agreement check detects it)');
  assert.equal(states.n2!.a, 4);
});

// ------------------------------------------------------------------ §4.13

function flowNet(maxSizePerMsg: number, maxInflightBytes: number): Net {
  const net = new Net(ids3, {
    configure: (c) => {
      c.maxSizePerMsg = maxSizePerMsg;
      c.maxInflightBytes = maxInflightBytes;
      c.maxInflightMsgs = 256;
    },
  });
  net.campaign('n1');
  net.propose('n1', 'warm-up');
  assert.equal(net.core('n1').progress('n3')!.state, 'replicate');
  assert.equal(net.core('n1').progress('n3')!.inflightBytes, 0);
  // From now on n3 receives everything but its append acks never arrive.
  net.hook = (m) => !(m.type === 'appResp' && m.from === 'n3');
  return net;
}

function entryBytesTo(net: Net, mark: number, to: NodeId): number {
  return sent(net, mark, 'app', 'n1', to).reduce((s, a) => s + a.entries.reduce((t, e) => t + e.data.length + ENTRY_OVERHEAD, 0), 0);
}

test('bug etcd#14633 a follower that never acks: bytes in flight stay within maxInflightBytes, later sends are empty probes', () => {
  const size = 60 + ENTRY_OVERHEAD;
  const limit = 5 * size;
  const net = flowNet(size, limit); // one entry per append
  const mark = net.log.length;
  const data = 'x'.repeat(60);
  for (let i = 0; i < 30; i++) {
    net.propose('n1', data);
    if (i % 3 === 2) {
      net.tick('n1');
      net.stabilize();
    }
    const pr = net.core('n1').progress('n3')!;
    assert.ok(pr.inflightBytes <= limit, `in flight ${pr.inflightBytes} > ${limit}`);
    assert.ok(entryBytesTo(net, mark, 'n3') <= limit, 'never more than the window in total: nothing is freed without acks');
  }
  const apps = sent(net, mark, 'app', 'n1', 'n3');
  const withEntries = apps.filter((a) => a.entries.length > 0);
  assert.equal(entryBytesTo(net, mark, 'n3'), limit, 'the window filled exactly');
  const filledAt = apps.indexOf(withEntries[withEntries.length - 1]!);
  const later = apps.slice(filledAt + 1);
  assert.ok(later.length > 0 && later.every((a) => a.entries.length === 0), 'once full, every later append is an empty probe');
  assert.ok(later.length <= 10, `at most one probe per heartbeat round (${later.length} in 10 rounds)`);
  // n2 is unaffected: everything commits with n1 + n2.
  assert.equal(net.core('n1').commitIndex, net.core('n1').lastIndex);
  assert.equal(net.core('n2').lastIndex, net.core('n1').lastIndex);
  // Acks flow again: n3 catches up.
  net.hook = undefined;
  net.run(5);
  assert.equal(net.core('n3').lastIndex, net.core('n1').lastIndex);
  assert.equal(net.appliedData('n3').length, 31);
});

test('bug etcd#14633 a single entry larger than maxInflightBytes goes out alone, then only empty probes', () => {
  const limit = 500;
  const net = flowNet(1 << 20, limit);
  const mark = net.log.length;
  net.propose('n1', 'h'.repeat(1000));
  for (let i = 0; i < 5; i++) {
    net.propose('n1', 'small');
    net.tick('n1');
    net.stabilize();
  }
  const apps = sent(net, mark, 'app', 'n1', 'n3');
  const withEntries = apps.filter((a) => a.entries.length > 0);
  assert.equal(withEntries.length, 1);
  assert.deepEqual(withEntries[0]!.entries.map((e) => e.data.length), [1000]);
  assert.equal(net.core('n1').progress('n3')!.inflightBytes, 1000 + ENTRY_OVERHEAD, 'one entry over the limit, no more');
  assert.ok(apps.slice(apps.indexOf(withEntries[0]!) + 1).every((a) => a.entries.length === 0));
});

test('bug etcd#14633 with batched appends the overshoot is at most one message (maxSizePerMsg), as in etcd', () => {
  // The window is checked before each append, so the last append sent into a nearly full window
  // may carry up to maxSizePerMsg bytes beyond it (etcd's inflights behave the same way).
  const size = 60 + ENTRY_OVERHEAD;
  const maxMsg = 3 * size;
  const limit = 5 * size;
  const net = flowNet(maxMsg, limit);
  const mark = net.log.length;
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 4; i++) net.core('n1').propose(enc('y'.repeat(60)));
    net.stabilize();
    net.tick('n1');
    net.stabilize();
    const pr = net.core('n1').progress('n3')!;
    assert.ok(pr.inflightBytes < limit + maxMsg, `in flight ${pr.inflightBytes}`);
  }
  const total = entryBytesTo(net, mark, 'n3');
  assert.ok(total >= limit && total < limit + maxMsg, `sent ${total}`);
  const apps = sent(net, mark, 'app', 'n1', 'n3');
  const lastFull = apps.map((a) => a.entries.length > 0).lastIndexOf(true);
  assert.ok(apps.slice(lastFull + 1).length > 0 && apps.slice(lastFull + 1).every((a) => a.entries.length === 0));
});
