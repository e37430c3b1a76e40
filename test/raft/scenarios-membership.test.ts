// Catalogue section E (membership): #33–#38. Our changes are single-server and take effect in
// every node's `config` when the entry COMMITS (not when it is appended).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, enc } from './harness.ts';
import {
  EntryType,
  ProposalError,
  Role,
  type BrokenVariant,
  type Message,
  type NodeId,
  type RaftCore,
} from '../../src/raft/index.ts';

const ET = 10;

// ------------------------------------------------------------------ helpers

function uncommittedConfigEntries(c: RaftCore): number {
  return c.entries(c.commitIndex + 1, c.lastIndex + 1).filter((e) => e.type === EntryType.Config).length;
}

function proposalError(fn: () => unknown): ProposalError | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProposalError) return e;
    throw e;
  }
  return undefined;
}

function runUntilStableLeader(net: Net, among: NodeId[], maxTicks: number, watch: () => void = () => {}): number {
  for (let i = 1; i <= maxTicks; i++) {
    net.run(1);
    watch();
    const ls = net.leaders().filter((id) => among.includes(id));
    if (ls.length !== 1) continue;
    const l = net.core(ls[0]!);
    if (among.every((id) => net.core(id).term === l.term && net.core(id).leader === l.id)) return i;
  }
  assert.fail(`no stable leader among ${among.join(',')} within ${maxTicks} ticks`);
}

const isElectionMsg = (m: Message) => m.type === 'vote' || m.type === 'preVote';

// ------------------------------------------------------------------ #33

function scenario33(opts: { broken?: BrokenVariant } = {}): void {
  const net = new Net(['n1', 'n2', 'n3'], { configure: (c) => (opts.broken ? (c.broken = opts.broken) : undefined) });
  const joiner = net.addNode('n4'); // no bootstrap: learns the configuration from the leader
  assert.deepEqual(joiner.core.config, { voters: [], nonVoters: [] });
  net.campaign('n1');
  const l = net.core('n1');
  assert.deepEqual(l.proposeConfChange({ type: 'addVoter', id: 'n4' }), { index: 2, term: 1 });

  // A second change while the first is uncommitted must be refused.
  const err = proposalError(() => l.proposeConfChange({ type: 'addNonVoter', id: 'n5' }));
  assert.ok(uncommittedConfigEntries(l) <= 1, `at most one uncommitted config entry (found ${uncommittedConfigEntries(l)})`);
  assert.equal(err?.code, 'conf-change-pending');
  assert.equal(l.lastIndex, 2, 'the refused change left no entry');

  // Appended (even on the followers) is not in force: configs change only at commit.
  net.processReady('n1');
  net.deliver();
  net.processAll();
  for (const id of ['n1', 'n2', 'n3']) {
    assert.equal(net.core(id).termAt(2), 1, `${id} holds the entry`);
    assert.deepEqual(net.core(id).config.voters, ['n1', 'n2', 'n3'], `${id}: not in force before commit`);
  }
  net.stabilize();
  for (const id of ['n1', 'n2', 'n3']) {
    assert.equal(net.core(id).commitIndex >= 2, true, id);
    assert.deepEqual(net.core(id).config, { voters: ['n1', 'n2', 'n3', 'n4'], nonVoters: [] }, id);
  }
  assert.deepEqual(net.logTerms('n4'), [1, 1], 'the joiner received the log');
  assert.equal(l.progress('n4')!.match, 2);

  // Once the change has committed, the next one is accepted.
  assert.deepEqual(l.proposeConfChange({ type: 'addNonVoter', id: 'n5' }), { index: 3, term: 1 });
  assert.equal(uncommittedConfigEntries(l), 1);
}

test('#33 add one voter; a second change while one is uncommitted is refused', () => scenario33());

test('#33 catches broken variant twoConfChangesInFlight', () => {
  assert.throws(() => scenario33({ broken: 'twoConfChangesInFlight' }), assert.AssertionError);
});

test('#33 a new leader refuses changes until it commits an entry of its term, and treats its uncommitted tail as a pending change', () => {
  const net = new Net(['n1', 'n2', 'n3']);
  net.campaign('n1');
  // A change reaches n2 only, and n1 never hears n2's ack: it stays uncommitted.
  net.cut('n1', 'n3');
  net.hook = (m) => !(m.type === 'appResp' && m.from === 'n2');
  net.core('n1').proposeConfChange({ type: 'addNonVoter', id: 'n4' });
  net.stabilize();
  assert.equal(net.core('n2').entries(2, 3)[0]?.type, EntryType.Config);
  for (const id of ['n1', 'n2', 'n3']) assert.equal(net.core(id).commitIndex, 1, id);

  // n1 dies; n2 wins (n3's vote) but its appends are held back, so nothing of term 2 commits yet.
  net.recover();
  net.isolate('n1');
  net.ignore('app');
  net.campaign('n2');
  const l = net.core('n2');
  assert.equal(l.role, Role.Leader);
  assert.equal(l.term, 2);
  assert.deepEqual(net.logTerms('n2'), [1, 1, 2]);
  const e1 = proposalError(() => l.proposeConfChange({ type: 'addVoter', id: 'n5' }));
  assert.equal(e1?.code, 'conf-change-pending');
  // (Our leader refuses any change until it has committed an entry of its term, which also covers
  // the tail; the message tells which check fired: the uncommitted config entry at index 2.)
  assert.match(e1!.message, /index 2/);
  assert.equal(l.lastIndex, 3);

  // Once the no-op commits, so does the inherited change, and new changes are accepted.
  net.recover();
  net.isolate('n1');
  net.run(1);
  assert.equal(l.commitIndex, 3);
  assert.deepEqual(l.config, { voters: ['n1', 'n2', 'n3'], nonVoters: ['n4'] });
  assert.deepEqual(l.proposeConfChange({ type: 'addVoter', id: 'n5' }), { index: 4, term: 2 });

  // Without any config entry in the tail, a fresh leader still refuses until its no-op commits.
  const net2 = new Net(['n1', 'n2', 'n3']);
  net2.ignore('app');
  net2.campaign('n1');
  const e2 = proposalError(() => net2.core('n1').proposeConfChange({ type: 'addVoter', id: 'n4' }));
  assert.equal(e2?.code, 'conf-change-pending');
  assert.match(e2!.message, /not yet committed/);
  net2.recover();
  net2.run(1);
  assert.deepEqual(net2.core('n1').proposeConfChange({ type: 'addVoter', id: 'n4' }), { index: 2, term: 1 });
});

test('#33 a joining node learns the configuration from a snapshot', () => {
  const net = new Net(['n1', 'n2', 'n3']);
  net.addNode('n4');
  net.campaign('n1');
  net.propose('n1', 'a');
  const l = net.core('n1');
  l.compact(2, enc('state@2'));
  l.proposeConfChange({ type: 'addVoter', id: 'n4' });
  net.stabilize();
  net.run(2);
  assert.ok(net.log.some((m) => m.type === 'snap' && m.to === 'n4'), 'n4 was sent the snapshot');
  const n4 = net.core('n4');
  assert.equal(n4.snapshotMeta.index, 2);
  assert.deepEqual(n4.config, { voters: ['n1', 'n2', 'n3', 'n4'], nonVoters: [] });
  assert.equal(n4.commitIndex, 3);
});

test(
  '#33 a joining node learns the configuration from the leader log',
  () => {
    const net = new Net(['n1', 'n2', 'n3'], { seed: 2 });
    net.addNode('n4');
    net.campaign('n1');
    net.core('n1').proposeConfChange({ type: 'addVoter', id: 'n4' });
    net.stabilize();
    assert.deepEqual(net.logTerms('n4'), [1, 1]);
    assert.deepEqual(net.core('n4').config, { voters: ['n1', 'n2', 'n3', 'n4'], nonVoters: [] });
    // It must not be able to elect itself alone.
    net.isolate('n1');
    net.cut('n4', 'n2');
    net.cut('n4', 'n3');
    net.run(5 * ET);
    assert.notEqual(net.core('n4').role, Role.Leader);
    assert.equal(net.core('n4').commitIndex, 2);
  },
);

// ------------------------------------------------------------------ #34

test('#34 removing a node lowers the quorum for pending entries', () => {
  const net = new Net(['n1', 'n2']);
  net.campaign('n1');
  const l = net.core('n1');
  assert.deepEqual(l.proposeConfChange({ type: 'remove', id: 'n2' }), { index: 2, term: 1 });
  net.processReady('n1'); // the removal goes out to n2
  assert.deepEqual(l.propose(enc('x')), { index: 3, term: 1 });
  net.processReady('n1'); // x goes out too ...
  net.queue = net.queue.filter((m) => !(m.type === 'app' && m.entries.some((e) => e.index === 3))); // ... and is lost
  assert.equal(l.commitIndex, 1, 'x needs both voters while the removal is pending');
  net.stabilize(); // n2 acks the removal (index 2) only
  assert.equal(l.progress('n2'), undefined, 'n2 is no longer tracked');
  assert.deepEqual(l.config, { voters: ['n1'], nonVoters: [] });
  assert.equal(l.commitIndex, 3, 'with the removal committed, x commits on the leader alone');
  assert.deepEqual(net.appliedData('n1'), ['x']);
  assert.equal(l.role, Role.Leader);
});

// ------------------------------------------------------------------ #35

test('#35 removing the leader: it replicates until the change commits, broadcasts the commit, then steps down', () => {
  const ids = ['n1', 'n2', 'n3'];
  const net = new Net(ids, { preVote: true, checkQuorum: true, seed: 4 });
  net.campaign('n1');
  net.propose('n1', 'a');
  const l = net.core('n1');
  const { index } = l.proposeConfChange({ type: 'remove', id: 'n1' });
  assert.equal(index, 3);
  net.processReady('n1');
  assert.equal(l.role, Role.Leader, 'still leading while the change is uncommitted');
  assert.deepEqual(
    net.queue.filter((m) => m.type === 'app').map((m) => m.to).sort(),
    ['n2', 'n3'],
    'it replicates the removal',
  );
  net.deliver();
  net.processAll();
  net.deliver(); // the acks: the removal commits on the leader
  assert.equal(l.commitIndex, 3);
  assert.equal(l.role, Role.Follower, 'stepped down once its removal committed');
  assert.deepEqual(l.config, { voters: ['n2', 'n3'], nonVoters: [] });
  net.processReady('n1');
  const bcast = net.queue.filter((m) => m.from === 'n1' && m.type === 'app');
  assert.deepEqual(bcast.map((m) => [m.to, m.type === 'app' && m.commit]).sort(), [['n2', 3], ['n3', 3]], 'commit broadcast');
  net.stabilize();
  for (const id of ['n2', 'n3']) assert.deepEqual(net.core(id).config, { voters: ['n2', 'n3'], nonVoters: [] }, id);

  const from = net.log.length;
  let n1Led = false;
  runUntilStableLeader(net, ['n2', 'n3'], 10 * ET, () => {
    if (net.core('n1').role !== Role.Follower) n1Led = true;
  });
  const [nl] = net.leaders();
  assert.ok(nl === 'n2' || nl === 'n3');
  net.propose(nl!, 'b');
  net.run(5 * ET);
  assert.ok(!n1Led, 'the removed node never stood');
  assert.ok(!net.log.slice(from).some((m) => m.from === 'n1' && isElectionMsg(m)), 'nor asked for votes');
  l.campaign();
  assert.equal(l.role, Role.Follower, 'campaign() is a no-op on a removed node');
  assert.deepEqual(net.leaders(), [nl]);
  for (const id of ['n2', 'n3']) assert.deepEqual(net.appliedData(id), ['a', 'b'], id);
});

test('#35 removing the leader when its commit broadcast is lost: the rest elect a leader that commits the removal', () => {
  const ids = ['n1', 'n2', 'n3'];
  const net = new Net(ids, { preVote: true, checkQuorum: true, seed: 6 });
  net.campaign('n1');
  const l = net.core('n1');
  l.proposeConfChange({ type: 'remove', id: 'n1' });
  net.processReady('n1');
  net.deliver();
  net.processAll();
  net.deliver();
  assert.equal(l.role, Role.Follower);
  net.isolate('n1'); // the commit broadcast is lost
  net.stabilize();
  for (const id of ['n2', 'n3']) {
    assert.equal(net.core(id).commitIndex, 1, `${id} did not learn the commit`);
    assert.deepEqual(net.core(id).config.voters, ids, id);
  }
  let n1Led = false;
  runUntilStableLeader(net, ['n2', 'n3'], 10 * ET, () => {
    if (net.core('n1').role !== Role.Follower) n1Led = true;
  });
  for (const id of ['n2', 'n3']) {
    assert.ok(net.core(id).commitIndex >= 2, id);
    assert.deepEqual(net.core(id).config.voters, ['n2', 'n3'], id);
  }
  net.recover();
  runUntilStableLeader(net, ['n2', 'n3'], 10 * ET, () => {
    if (net.core('n1').role !== Role.Follower) n1Led = true;
  });
  assert.ok(!n1Led);
});

// ------------------------------------------------------------------ #36

test('#36 a configuration change needs the old quorum', () => {
  const ids = ['n1', 'n2', 'n3', 'n4'];
  const net = new Net(ids, { preVote: true, seed: 8 });
  net.campaign('n1');
  net.isolate('n3');
  net.isolate('n4');
  const l = net.core('n1');
  assert.deepEqual(l.proposeConfChange({ type: 'remove', id: 'n2' }), { index: 2, term: 1 });
  net.run(5 * ET);
  assert.equal(l.role, Role.Leader);
  assert.equal(net.core('n2').lastIndex, 2, 'n2 holds the change');
  assert.equal(l.commitIndex, 1, 'leader + n2 are 2 of 4 old voters: never commits');
  for (const id of ids) assert.deepEqual(net.core(id).config.voters, ids, id);
  assert.equal(proposalError(() => l.proposeConfChange({ type: 'addNonVoter', id: 'n5' }))?.code, 'conf-change-pending');

  net.recover();
  net.run(2);
  assert.equal(l.commitIndex, 2, 'with the old quorum back, it commits');
  for (const id of ['n1', 'n3', 'n4']) assert.deepEqual(net.core(id).config.voters, ['n1', 'n3', 'n4'], id);
});

// ------------------------------------------------------------------ #37

test('#37 joint consensus', { skip: 'joint consensus not implemented (optional)' }, () => {});

// ------------------------------------------------------------------ #38

test('#38 a learner receives and applies entries but never campaigns (timeout, TimeoutNow, campaign())', () => {
  const net = new Net(['n1', 'n2', 'n3'], {
    preVote: true,
    checkQuorum: true,
    seed: 10,
    bootstrap: { voters: ['n1', 'n2'], nonVoters: ['n3'] },
  });
  net.campaign('n1');
  net.propose('n1', 'a');
  net.propose('n1', 'b');
  net.run(1);
  assert.deepEqual(net.appliedData('n3'), ['a', 'b']);
  assert.equal(net.core('n1').progress('n3')!.match, 3);
  assert.throws(
    () => net.core('n1').transferLeadership('n3'),
    (e: unknown) => e instanceof ProposalError && e.code === 'invalid',
  );

  net.isolate('n1');
  const from = net.log.length;
  net.tick('n3', 10 * ET);
  net.stabilize();
  const n3 = net.core('n3');
  assert.equal(n3.role, Role.Follower);
  assert.equal(n3.term, 1);
  n3.step({ type: 'timeoutNow', from: 'n1', to: 'n3', term: 1 });
  n3.campaign();
  net.stabilize();
  assert.equal(n3.role, Role.Follower);
  assert.equal(n3.term, 1);
  assert.ok(!net.log.slice(from).some((m) => m.from === 'n3' && isElectionMsg(m)), 'n3 never asked for votes');
});

test('#38 a promoted-but-unaware learner must vote; then it can lead', () => {
  const net = new Net(['n1', 'n2', 'n3'], { seed: 12, bootstrap: { voters: ['n1', 'n2'], nonVoters: ['n3'] } });
  net.campaign('n1');
  net.propose('n1', 'a');
  // Promote n3, but n3 hears nothing of it.
  net.hook = (m) => m.to !== 'n3';
  net.core('n1').proposeConfChange({ type: 'promote', id: 'n3' });
  net.stabilize();
  for (const id of ['n1', 'n2']) assert.deepEqual(net.core(id).config, { voters: ['n1', 'n2', 'n3'], nonVoters: [] }, id);
  assert.deepEqual(net.core('n3').config, { voters: ['n1', 'n2'], nonVoters: ['n3'] });

  // The leader dies; n2 needs n3's vote (2 of 3), and n3 — still a learner in its own eyes — grants it.
  net.recover();
  net.isolate('n1');
  net.campaign('n2');
  assert.ok(net.log.some((m) => m.type === 'voteResp' && m.from === 'n3' && m.to === 'n2' && !m.reject));
  assert.equal(net.core('n2').role, Role.Leader);
  assert.equal(net.core('n2').term, 2);
  assert.deepEqual(net.core('n3').config, { voters: ['n1', 'n2', 'n3'], nonVoters: [] }, 'n3 learned its promotion');

  // Now a voter, it can lead.
  net.core('n2').transferLeadership('n3');
  net.stabilize();
  assert.equal(net.core('n3').role, Role.Leader);
  assert.equal(net.core('n3').term, 3);
  net.propose('n3', 'b');
  for (const id of ['n2', 'n3']) assert.deepEqual(net.appliedData(id), ['a', 'b'], id);
});
