// Catalogue section C (commitment): #22–#24, and bug-log regression logcabin#44 (Figure 8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, enc, dec } from './harness.ts';
import {
  RaftCore,
  defaultRaftConfig,
  EntryType,
  Role,
  type BrokenVariant,
  type Entry,
  type Message,
  type NodeId,
} from '../../src/raft/index.ts';

// ------------------------------------------------------------------ helpers

/** Normal entries with the given terms, indexes from 1, data `e<index>` unless given. */
function ents(terms: number[], data?: string[]): Entry[] {
  return terms.map((term, k) => ({ index: k + 1, term, type: EntryType.Normal, data: enc(data?.[k] ?? `e${k + 1}`) }));
}

/** Runs one Ready cycle of a lone core (as if persisted at once); returns every message it sent. */
function drain(core: RaftCore): Message[] {
  if (!core.hasReady()) return [];
  const rd = core.ready();
  core.advance();
  return [...rd.eagerMessages, ...rd.messages];
}

/** Sets a node's durable state and restarts it from there. */
function seed(net: Net, id: NodeId, entries: Entry[], term: number, vote = '', commit = 0): void {
  const n = net.node(id);
  n.storage.entries = entries;
  n.storage.hardState = { term, vote, commit };
  net.restart(id);
}

/** Each node applied every entry at most once, in index order, with no gaps. */
function assertAppliedInOrder(net: Net, id: NodeId): void {
  const idx = net.node(id).appliedAll.map((e) => e.index);
  idx.forEach((v, k) => assert.equal(v, k + 1, `${id} applied indexes ${idx.join(',')}`));
  assert.equal(idx.length, net.core(id).appliedIndex, `${id}: applied count matches appliedIndex`);
}

/** Delivers only the queued messages matching pred; the others stay queued. */
function deliverOnly(net: Net, pred: (m: Message) => boolean): void {
  const keep = net.queue.filter((m) => !pred(m));
  net.queue = net.queue.filter(pred);
  net.deliver();
  net.queue.unshift(...keep);
}

// ------------------------------------------------------------------ #22

test('#22 majority commit and in-order apply: 3/5 acks commit, followers learn commit via the next append', () => {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const net = new Net(ids);
  net.campaign('n1');
  for (const id of ids) assert.equal(net.core(id).commitIndex, 1, `${id} committed the no-op`);

  net.cut('n1', 'n4');
  net.cut('n1', 'n5');
  const { index } = net.core('n1').propose(enc('x'));
  assert.equal(index, 2);
  net.processReady('n1'); // leader persists x (counts itself) and sends the appends
  net.deliver(); // reaches n2 and n3 only
  assert.equal(net.core('n1').commitIndex, 1, 'leader alone: not committed');

  net.processReady('n2');
  net.processReady('n3');
  deliverOnly(net, (m) => m.from === 'n2'); // 2 of 5 (leader + n2)
  assert.equal(net.core('n1').commitIndex, 1, '2/5 acks do not commit');
  deliverOnly(net, (m) => m.from === 'n3'); // 3 of 5
  assert.equal(net.core('n1').commitIndex, 2, '3/5 acks commit');

  // Followers hold x but learn that it committed only from the leader's next message.
  assert.equal(net.core('n2').commitIndex, 1);
  assert.equal(net.core('n3').commitIndex, 1);
  assert.deepEqual(net.appliedData('n2'), []);
  net.stabilize();
  for (const id of ['n1', 'n2', 'n3']) {
    assert.equal(net.core(id).commitIndex, 2, id);
    assert.deepEqual(net.appliedData(id), ['x'], id);
  }
  for (const id of ['n4', 'n5']) assert.deepEqual(net.appliedData(id), [], `${id} is cut off`);

  net.recover();
  net.propose('n1', 'y');
  net.run(3);
  for (const id of ids) {
    assert.deepEqual(net.appliedData(id), ['x', 'y'], id);
    assertAppliedInOrder(net, id);
  }
});

test('#22 leader commit covers all earlier entries, including those of prior terms', () => {
  const ids = ['n1', 'n2', 'n3'];
  const net = new Net(ids);
  for (const id of ids) seed(net, id, ents([1, 2, 2], ['a', 'b', 'c']), 2);
  net.campaign('n1');
  assert.deepEqual(net.leaders(), ['n1']);
  assert.equal(net.core('n1').term, 3);
  for (const id of ids) {
    assert.deepEqual(net.logTerms(id), [1, 2, 2, 3], id);
    assert.equal(net.core(id).commitIndex, 4, `${id}: committing the term-3 no-op commits indexes 1..3 too`);
    assert.deepEqual(net.appliedData(id), ['a', 'b', 'c'], id);
    assertAppliedInOrder(net, id);
  }
});

// ------------------------------------------------------------------ #23

function scenario23(opts: { broken?: BrokenVariant } = {}): void {
  // (a) 2-node group, log [(1,t1),(2,t2)]; n1 becomes leader at t3 and appends (3,t3) (its no-op).
  const cfg = defaultRaftConfig('n1', () => 0.5);
  cfg.preVote = false;
  cfg.checkQuorum = false;
  if (opts.broken) cfg.broken = opts.broken;
  const l = new RaftCore(cfg, {
    hardState: { term: 2, vote: '', commit: 0 },
    entries: ents([1, 2]),
    bootstrap: { voters: ['n1', 'n2'], nonVoters: [] },
  });
  l.campaign();
  const votes = drain(l);
  assert.deepEqual(votes.map((m) => [m.type, m.to, m.term]), [['vote', 'n2', 3]]);
  l.step({ type: 'voteResp', from: 'n2', to: 'n1', term: 3, reject: false });
  assert.equal(l.role, Role.Leader);
  drain(l); // the no-op (3,t3) becomes durable; the leader counts itself up to 3
  assert.deepEqual(l.entries(1, 4).map((e) => e.term), [1, 2, 3]);
  const ack = (index: number) => {
    l.step({ type: 'appResp', from: 'n2', to: 'n1', term: 3, index, reject: false, hintIndex: 0, hintTerm: 0 });
    drain(l);
  };
  ack(1);
  assert.equal(l.commitIndex, 0, 'a quorum holds index 1 (t1) but it is not of the current term');
  ack(2);
  assert.equal(l.commitIndex, 0, 'a quorum holds index 2 (t2) but it is not of the current term');
  ack(3);
  assert.equal(l.commitIndex, 3, 'index 3 is of term 3: it and everything before it commit');

  // (b) 5 nodes: leader n1, cut from n3–n5, appends 2 entries that reach only n2.
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const net = new Net(ids, { configure: (c) => (opts.broken ? (c.broken = opts.broken) : undefined) });
  net.campaign('n1');
  for (const p of ['n3', 'n4', 'n5']) net.cut('n1', p);
  net.propose('n1', 'p');
  net.propose('n1', 'q');
  assert.deepEqual(net.logTerms('n1'), [1, 1, 1]);
  assert.deepEqual(net.logTerms('n2'), [1, 1, 1]);
  assert.equal(net.core('n1').commitIndex, 1);
  // Heal, suppress appends, elect n2 at t2: the old entries must stay uncommitted.
  net.recover();
  net.ignore('app');
  net.campaign('n2');
  assert.deepEqual(net.leaders(), ['n2']);
  assert.equal(net.core('n2').term, 2);
  assert.deepEqual(net.logTerms('n2'), [1, 1, 1, 2]);
  for (const id of ids) assert.equal(net.core(id).commitIndex, 1, `${id}: t1 entries 2..3 not committed`);
  // Let appends through: once n2's t2 no-op is on a majority, everything up to it commits.
  net.recover();
  net.run(1);
  for (const id of ids) {
    assert.deepEqual(net.logTerms(id), [1, 1, 1, 2], id);
    assert.equal(net.core(id).commitIndex, 4, id);
    assert.deepEqual(net.appliedData(id), ['p', 'q'], id);
  }
}

test('#23 Figure 8: a leader counts replicas only for entries of its current term', () => scenario23());

test('#23 catches broken variant commitOldTermByCounting', () => {
  assert.throws(() => scenario23({ broken: 'commitOldTermByCounting' }), assert.AssertionError);
});

// ------------------------------------------------------------------ #24

test('#24 a partitioned old leader cannot commit; its entries are truncated after the heal', () => {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const net = new Net(ids);
  net.campaign('n1');
  net.propose('n1', 'base');
  for (const a of ['n1', 'n2']) for (const b of ['n3', 'n4', 'n5']) net.cut(a, b);

  // The old leader still accepts proposals: they reach n2 only and never commit.
  const r1 = net.propose('n1', 'lost1');
  const r2 = net.propose('n1', 'lost2');
  assert.deepEqual([r1.index, r2.index], [3, 4]);
  net.run(5); // (no check-quorum: n1 stays leader of its minority)
  assert.equal(net.core('n1').role, Role.Leader);
  assert.deepEqual(net.logTerms('n2'), [1, 1, 1, 1]);
  assert.equal(net.core('n1').commitIndex, 2);

  // The majority elects n3 and commits new entries.
  net.campaign('n3');
  assert.equal(net.core('n3').role, Role.Leader);
  assert.equal(net.core('n3').term, 2);
  net.propose('n3', 'new1');
  net.propose('n3', 'new2');
  for (const id of ['n3', 'n4', 'n5']) {
    assert.equal(net.core(id).commitIndex, 5, id);
    assert.deepEqual(net.appliedData(id), ['base', 'new1', 'new2'], id);
  }

  // Heal. The first higher-term message n1 receives makes it step down.
  net.recover();
  net.tick('n3'); // heartbeat round
  net.processReady('n3');
  deliverOnly(net, (m) => m.to === 'n1');
  assert.equal(net.core('n1').role, Role.Follower);
  assert.equal(net.core('n1').term, 2);
  assert.equal(net.core('n1').leader, 'n3');
  net.stabilize();
  net.run(2);
  for (const id of ids) {
    assert.deepEqual(net.logTerms(id), [1, 1, 2, 2, 2], `${id}: uncommitted t1 entries 3..4 truncated`);
    const data = net.core(id).entries(1, 6).map((e) => dec(e.data));
    assert.ok(!data.includes('lost1') && !data.includes('lost2'), id);
    assert.deepEqual(net.appliedData(id), ['base', 'new1', 'new2'], `${id}: clients of the old leader never saw success`);
    assertAppliedInOrder(net, id);
  }
  assert.deepEqual(net.leaders(), ['n3']);
});

// ------------------------------------------------------------------ logcabin#44

/**
 * Figure 8 (c): s1 is leader at t4 with [t1, t2, t4(no-op)]; s2 holds [t1, t2]; s3, s4 hold [t1]
 * and voted for s5 at t3; s5 holds [t1, t3]. Appends that would deliver s1's t4 entry are lost, so
 * s1 replicates its t2 entry (index 2) to s3 and s4 but nothing of t4 — index 2 is then on a majority.
 */
function figure8(broken?: BrokenVariant): Net {
  const ids = ['s1', 's2', 's3', 's4', 's5'];
  const net = new Net(ids, {
    configure: (c) => {
      c.maxSizePerMsg = 1; // one entry per append, so index 2 travels alone
      if (broken) c.broken = broken;
    },
  });
  seed(net, 's1', ents([1, 2], ['a', 'b']), 3, '', 1);
  seed(net, 's2', ents([1, 2], ['a', 'b']), 2, '', 1);
  seed(net, 's3', ents([1], ['a']), 3, 's5', 1);
  seed(net, 's4', ents([1], ['a']), 3, 's5', 1);
  seed(net, 's5', ents([1, 3], ['a', 'c']), 3, 's5', 1);
  net.cut('s1', 's5');
  // Lose exactly the appends that would install a t4 entry on their receiver.
  net.hook = (m) =>
    !(m.type === 'app' && m.entries.some((e) => e.term === 4) && net.core(m.to).termAt(m.prevIndex) === m.prevTerm);
  net.campaign('s1');
  assert.deepEqual(net.leaders(), ['s1']);
  assert.equal(net.core('s1').term, 4);
  return net;
}

function everAppliedT2AtIndex2(net: Net): NodeId[] {
  return [...net.nodes.values()].filter((n) => n.appliedAll.some((e) => e.index === 2 && e.term === 2)).map((n) => n.id);
}

function scenarioLogcabin44(opts: { broken?: BrokenVariant } = {}): void {
  const net = figure8(opts.broken);
  assert.deepEqual(net.logTerms('s1'), [1, 2, 4]);
  for (const id of ['s2', 's3', 's4']) assert.deepEqual(net.logTerms(id), [1, 2], `${id} holds (2,t2)`);
  assert.equal(net.core('s1').progress('s3')!.match, 2);
  assert.equal(net.core('s1').progress('s4')!.match, 2);
  // Index 2 (t2) is on s1, s3, s4 (and s2): a majority, but no entry of t4 is.
  for (const id of ['s1', 's2', 's3', 's4', 's5']) assert.equal(net.core(id).commitIndex, 1, `${id} must not commit index 2`);
  assert.deepEqual(everAppliedT2AtIndex2(net), []);

  // s1 crashes; s5 wins again (t5, with s2–s4's votes) and overwrites index 2 with its t3 entry.
  net.recover();
  net.isolate('s1');
  net.campaign('s5'); // t4: s2–s4 already voted for s1 in t4
  if (net.core('s5').role !== Role.Leader) net.campaign('s5');
  assert.equal(net.core('s5').role, Role.Leader);
  assert.equal(net.core('s5').term, 5);
  net.run(1);
  for (const id of ['s2', 's3', 's4', 's5']) {
    assert.deepEqual(net.logTerms(id), [1, 3, 5], `${id}: index 2 is now (2,t3)`);
    assert.equal(net.core(id).commitIndex, 3, id);
    assert.deepEqual(net.appliedData(id), ['a', 'c'], id);
  }
  // s1 returns and is brought in line; nobody ever applied (2,t2).
  net.recover();
  net.run(2);
  assert.deepEqual(net.leaders(), ['s5']);
  assert.deepEqual(net.logTerms('s1'), [1, 3, 5]);
  assert.deepEqual(net.appliedData('s1'), ['a', 'c']);
  assert.deepEqual(everAppliedT2AtIndex2(net), [], 'no client ever saw (2,t2) committed');
}

test('bug logcabin#44 Figure 8: an old-term entry on a majority is not committed and may be overwritten', () =>
  scenarioLogcabin44());

test('bug logcabin#44 catches broken variant commitOldTermByCounting', () => {
  assert.throws(() => scenarioLogcabin44({ broken: 'commitOldTermByCounting' }), assert.AssertionError);
});

test('bug logcabin#44 Figure 8 (e): once a t4 entry reaches a majority, index 2 commits with it', () => {
  const net = figure8();
  assert.equal(net.core('s1').commitIndex, 1);
  net.recover(); // appends flow again (s5 rejoins too)
  net.run(2);
  assert.deepEqual(net.leaders(), ['s1']);
  for (const id of ['s1', 's2', 's3', 's4', 's5']) {
    assert.deepEqual(net.logTerms(id), [1, 2, 4], id);
    assert.equal(net.core(id).commitIndex, 3, id);
    assert.deepEqual(net.appliedData(id), ['a', 'b'], id);
  }
});
