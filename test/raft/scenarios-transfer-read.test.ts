// Catalogue §2.G (leadership transfer, #42), §2.H (reads, #43) and bug-log §4.7
// (RedisLabs/redisraft#18/#19: stale reads for lack of a term-start no-op).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProposalError, Role, type BrokenVariant, type Message } from '../../src/raft/index.ts';
import { Net, enc, dec } from './harness.ts';

// ------------------------------------------------------------------ helpers

function sent<T extends Message['type']>(net: Net, from: number, type: T, src?: string, dst?: string): (Message & { type: T })[] {
  return net.log
    .slice(from)
    .filter((m) => m.type === type && (src === undefined || m.from === src) && (dst === undefined || m.to === dst)) as (Message & { type: T })[];
}

function proposalError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProposalError) return e.code;
    throw e;
  }
  return 'no error';
}

/** One Ready round for every node and one delivery, without stabilizing. */
function step(net: Net): void {
  net.processAll();
  net.deliver();
}

function threeWithLeader(opts: { preVote?: boolean; checkQuorum?: boolean } = { preVote: true, checkQuorum: true }): Net {
  const net = new Net(['n1', 'n2', 'n3'], opts);
  net.campaign('n1');
  assert.deepEqual(net.leaders(), ['n1']);
  return net;
}

// ------------------------------------------------------------------ #42

test('#42 transfer to an up-to-date follower: TimeoutNow at once, it wins without pre-vote, despite check-quorum stickiness', () => {
  const net = threeWithLeader();
  net.propose('n1', 'a');
  net.tick('n1'); // a heartbeat round: everyone knows the leader and its commit
  net.stabilize();
  assert.equal(net.core('n3').leader, 'n1', 'n3 is inside its leader lease (stickiness applies)');
  const mark = net.log.length;
  net.core('n1').transferLeadership('n2');
  assert.equal(net.core('n1').leadTransferee, 'n2');
  const rd = net.core('n1').ready();
  assert.deepEqual(
    rd.eagerMessages.map((m) => [m.type, m.to]),
    [['timeoutNow', 'n2']],
    'the target already matches: TimeoutNow goes out in the same Ready',
  );
  net.queue.push(...rd.eagerMessages, ...rd.messages);
  net.core('n1').advance();
  net.stabilize();
  assert.deepEqual(net.leaders(), ['n2']);
  assert.equal(net.core('n2').term, 2);
  assert.equal(sent(net, mark, 'preVote', 'n2').length, 0, 'no pre-vote round');
  const votes = sent(net, mark, 'vote', 'n2');
  assert.deepEqual(votes.map((v) => [v.to, v.term, v.transfer]).sort(), [['n1', 2, true], ['n3', 2, true]]);
  assert.deepEqual(sent(net, mark, 'voteResp', 'n3', 'n2').map((r) => r.reject), [false], 'n3 granted despite its lease');
  assert.equal(net.core('n1').role, Role.Follower);
  assert.equal(net.core('n1').leader, 'n2');
  net.propose('n2', 'b');
  for (const id of ['n1', 'n2', 'n3']) assert.deepEqual(net.appliedData(id), ['a', 'b'], id);
});

test('#42 transfer to a lagging follower catches it up first, then sends TimeoutNow', () => {
  const net = threeWithLeader();
  net.cut('n1', 'n3');
  net.propose('n1', 'a');
  net.propose('n1', 'b');
  net.recover();
  assert.equal(net.core('n3').lastIndex, 1);
  const mark = net.log.length;
  net.core('n1').transferLeadership('n3');
  const rd = net.core('n1').ready();
  assert.ok(!rd.eagerMessages.some((m) => m.type === 'timeoutNow'), 'no TimeoutNow before the target caught up');
  assert.ok(rd.eagerMessages.some((m) => m.type === 'app' && m.to === 'n3'));
  net.queue.push(...rd.eagerMessages, ...rd.messages);
  net.core('n1').advance();
  net.stabilize();
  const tn = net.log.findIndex((m, i) => i >= mark && m.type === 'timeoutNow');
  assert.ok(tn > 0, 'TimeoutNow sent');
  assert.equal(net.log[tn]!.to, 'n3');
  const acks = net.log.slice(mark, tn).filter((m) => m.type === 'appResp' && m.from === 'n3' && !m.reject);
  assert.ok(acks.some((m) => m.type === 'appResp' && m.index === 3), 'n3 acked the leader\'s last index before TimeoutNow');
  assert.deepEqual(net.leaders(), ['n3']);
  assert.equal(net.core('n3').term, 2);
  net.propose('n3', 'c');
  for (const id of ['n1', 'n2', 'n3']) assert.deepEqual(net.appliedData(id), ['a', 'b', 'c'], id);
});

/** Transfer to n3, which needs a snapshot first (the leader compacted at its last index). */
function transferAfterSnapshot(): Net {
  const net = threeWithLeader();
  net.isolate('n3');
  net.propose('n1', 'a');
  net.propose('n1', 'b');
  const n1 = net.node('n1');
  n1.core.compact(3, enc('["a","b"]'));
  n1.storage.compact({ meta: n1.core.snapshotMeta, data: enc('["a","b"]') });
  net.recover();
  net.core('n1').transferLeadership('n3');
  net.stabilize();
  for (let i = 0; i < 3; i++) net.run(1); // a few heartbeats, well within the election timeout
  return net;
}

test('#42 transfer to a follower that needs a snapshot, snapshot at an older index: catch-up then TimeoutNow', () => {
  const net = threeWithLeader();
  net.isolate('n3');
  net.propose('n1', 'a');
  net.propose('n1', 'b');
  const n1 = net.node('n1');
  n1.core.compact(2, enc('["a"]'));
  n1.storage.compact({ meta: n1.core.snapshotMeta, data: enc('["a"]') });
  net.recover();
  const mark = net.log.length;
  net.core('n1').transferLeadership('n3');
  net.stabilize();
  net.run(3);
  assert.ok(sent(net, mark, 'snap', 'n1', 'n3').length > 0, 'caught up through a snapshot');
  assert.equal(sent(net, mark, 'timeoutNow', 'n1', 'n3').length, 1);
  assert.deepEqual(net.leaders(), ['n3']);
});

test('#42 transfer to a follower that needs a snapshot at the leader\'s last index completes', () => {
  const net = transferAfterSnapshot();
  assert.equal(net.core('n3').snapshotMeta.index, 3, 'n3 installed the snapshot');
  assert.equal(sent(net, 0, 'timeoutNow').length, 1, 'TimeoutNow sent to the caught-up transferee');
  assert.deepEqual(net.leaders(), ['n3']);
});

test('#42 transfer guards: self is a no-op, unknown node and non-voter are invalid, a follower cannot transfer', () => {
  const net = new Net(['n1', 'n2', 'n3'], { preVote: true, checkQuorum: true });
  net.addNode('n4');
  net.campaign('n1');
  net.core('n1').proposeConfChange({ type: 'addNonVoter', id: 'n4' });
  net.stabilize();
  assert.deepEqual(net.core('n1').config.nonVoters, ['n4']);
  const n1 = net.core('n1');
  const mark = net.log.length;
  // Our API throws where etcd silently ignores the request (self: a no-op in both).
  n1.transferLeadership('n1');
  assert.equal(n1.leadTransferee, '');
  assert.equal(proposalError(() => n1.transferLeadership('n9')), 'invalid');
  assert.equal(proposalError(() => n1.transferLeadership('n4')), 'invalid', 'a learner cannot take over');
  assert.equal(n1.leadTransferee, '');
  assert.equal(proposalError(() => net.core('n2').transferLeadership('n3')), 'not-leader');
  net.stabilize();
  assert.equal(sent(net, mark, 'timeoutNow').length, 0);
  assert.deepEqual(net.leaders(), ['n1']);
  assert.equal(n1.term, 1);
  net.propose('n1', 'still works');
  assert.deepEqual(net.appliedData('n3'), ['still works']);
  // A non-voter that somehow gets TimeoutNow does not campaign.
  net.core('n4').step({ type: 'timeoutNow', from: 'n1', to: 'n4', term: 1 });
  net.stabilize();
  assert.equal(net.core('n4').role, Role.Follower);
  assert.equal(net.core('n4').term, 1);
});

test('#42 proposals are rejected while a transfer runs; an unfinished transfer aborts after an election timeout', () => {
  const net = threeWithLeader();
  net.isolate('n3');
  const n1 = net.core('n1');
  n1.transferLeadership('n3');
  assert.equal(n1.leadTransferee, 'n3');
  assert.equal(proposalError(() => n1.propose(enc('x'))), 'transferring');
  assert.equal(proposalError(() => n1.proposeConfChange({ type: 'remove', id: 'n2' })), 'transferring');
  net.stabilize();
  // Only the leader and n2 run the clock (n3 is unreachable and silent).
  for (let i = 0; i < 9; i++) {
    net.tick('n1');
    net.tick('n2');
    net.stabilize();
  }
  assert.equal(n1.leadTransferee, 'n3', 'still trying before the timeout');
  net.tick('n1');
  net.tick('n2');
  net.stabilize();
  assert.equal(n1.leadTransferee, '', 'aborted after one election timeout');
  assert.equal(n1.role, Role.Leader, 'and still leader');
  assert.equal(n1.term, 1);
  // n3 was up to date, so TimeoutNow went out at once, but it was lost on the way.
  assert.deepEqual(sent(net, 0, 'timeoutNow').map((m) => m.to), ['n3']);
  assert.equal(net.core('n3').term, 1);
  net.propose('n1', 'after');
  assert.deepEqual(net.appliedData('n2'), ['after']);
});

test('#42 transferee removed mid-transfer: the transfer aborts', () => {
  const net = threeWithLeader();
  net.propose('n1', 'a'); // commit an entry of the term so a config change may be proposed
  net.cut('n1', 'n3');
  const n1 = net.core('n1');
  n1.proposeConfChange({ type: 'remove', id: 'n3' });
  n1.transferLeadership('n3'); // n3 is still a voter until the removal commits
  assert.equal(n1.leadTransferee, 'n3');
  net.stabilize();
  assert.deepEqual(n1.config.voters, ['n1', 'n2']);
  assert.equal(n1.leadTransferee, '', 'the transfer to a removed server is abandoned');
  assert.equal(n1.role, Role.Leader);
  assert.equal(sent(net, 0, 'timeoutNow').length, 0);
  net.propose('n1', 'b');
  assert.deepEqual(net.appliedData('n2'), ['a', 'b']);
});

// ------------------------------------------------------------------ #43

test('#43 ReadIndex (safe): answered at the commit index only after a quorum acked a heartbeat round', () => {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const net = new Net(ids, { preVote: true, checkQuorum: true });
  net.campaign('n1');
  net.propose('n1', 'a');
  const commit = net.core('n1').commitIndex;
  const n1 = net.node('n1');
  n1.core.readIndex('r1');
  net.processReady('n1');
  const hbs = net.queue.filter((m) => m.type === 'heartbeat');
  assert.equal(hbs.length, 4, 'one heartbeat round to every follower');
  const ctx = (hbs[0] as Extract<Message, { type: 'heartbeat' }>).context;
  assert.notEqual(ctx, '');
  assert.ok(hbs.every((m) => m.type === 'heartbeat' && m.context === ctx));
  assert.equal(n1.readStates.length, 0, 'not answered before any ack');
  // Acks arrive one at a time: the leader + 1 follower is not a quorum of 5.
  let allow = new Set(['n2']);
  net.hook = (m) => m.type !== 'heartbeatResp' || allow.has(m.from);
  net.deliver(); // heartbeats
  net.processAll();
  net.deliver(); // n2's ack only
  assert.equal(n1.readStates.length, 0);
  // n3's ack makes three of five.
  net.hook = undefined;
  n1.core.step({ type: 'heartbeatResp', from: 'n3', to: 'n1', term: 1, context: ctx });
  net.processReady('n1');
  assert.deepEqual(n1.readStates, [{ context: 'r1', index: commit }]);
  allow = new Set();
  net.stabilize();
  assert.equal(n1.readStates.length, 1, 'late acks do not answer twice');
  // A later read after a write returns the later commit index.
  net.propose('n1', 'b');
  net.core('n1').readIndex('r2');
  net.stabilize();
  assert.deepEqual(n1.readStates[1], { context: 'r2', index: commit + 1 });
});

test('#43 ReadIndex: a new leader queues reads until it commits an entry of its term; refused if it loses leadership first', () => {
  const net = threeWithLeader({});
  net.propose('n1', 'a');
  net.isolate('n1');
  const n2 = net.node('n2');
  n2.core.campaign();
  // Run the election, stopping as soon as n2 is leader (its no-op not yet replicated).
  for (let i = 0; i < 10 && n2.core.role !== Role.Leader; i++) step(net);
  assert.equal(n2.core.role, Role.Leader);
  assert.notEqual(n2.core.termAt(n2.core.commitIndex), n2.core.term, 'nothing of its term committed yet');
  const mark = net.log.length;
  n2.core.readIndex('early');
  n2.core.readIndex('early2');
  // The no-op does not reach n3 yet: nothing may answer.
  net.cut('n2', 'n3');
  net.stabilize();
  assert.equal(n2.readStates.length, 0);
  assert.ok(sent(net, mark, 'heartbeat').every((h) => h.context === ''), 'no read round before the term commits');
  net.recover();
  net.isolate('n1');
  net.tick('n2');
  net.stabilize();
  const noop = n2.core.commitIndex;
  assert.equal(n2.core.termAt(noop), 2);
  assert.deepEqual(n2.readStates, [
    { context: 'early', index: noop },
    { context: 'early2', index: noop },
  ]);

  // Second act: a queued read on a leader that steps down before committing is refused.
  const net2 = threeWithLeader({});
  net2.isolate('n1');
  const m2 = net2.node('n2');
  m2.core.campaign();
  for (let i = 0; i < 10 && m2.core.role !== Role.Leader; i++) step(net2);
  net2.isolate('n2');
  m2.core.readIndex('doomed');
  net2.stabilize();
  m2.core.step({ type: 'app', from: 'n3', to: 'n2', term: 5, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
  net2.stabilize();
  assert.equal(m2.core.role, Role.Follower);
  assert.equal(m2.readStates.length, 0);
  assert.deepEqual(m2.readFailures.map((f) => f.context), ['doomed']);
});

test('#43 ReadIndex from a follower is forwarded and served once the follower applied up to the index', () => {
  const net = threeWithLeader();
  net.propose('n1', 'a');
  // n2 stops receiving appends: it will lag behind the commit index.
  net.hook = (m) => !(m.type === 'app' && m.to === 'n2');
  net.propose('n1', 'b');
  const commit = net.core('n1').commitIndex;
  const n2 = net.node('n2');
  assert.ok(n2.core.appliedIndex < commit);
  const mark = net.log.length;
  n2.core.readIndex('f1');
  net.stabilize();
  assert.deepEqual(sent(net, mark, 'readIndex').map((m) => [m.from, m.to, m.context]), [['n2', 'n1', 'f1']]);
  assert.deepEqual(n2.readStates, [{ context: 'f1', index: commit }]);
  // The read may not be served yet: n2 has not applied up to the index (b is missing).
  assert.ok(n2.core.appliedIndex < commit);
  assert.deepEqual(net.appliedData('n2'), ['a']);
  net.hook = undefined;
  net.run(2);
  assert.ok(n2.core.appliedIndex >= commit);
  assert.deepEqual(net.appliedData('n2'), ['a', 'b'], 'served now: the read sees b');
});

test('#43 ReadIndex: duplicate contexts are not confused', () => {
  const net = threeWithLeader();
  net.propose('n1', 'a');
  const commit = net.core('n1').commitIndex;
  // The same context twice from the leader's client (a retry) and once from a follower's client.
  net.core('n1').readIndex('same');
  net.core('n1').readIndex('same');
  net.core('n2').readIndex('same');
  net.stabilize();
  assert.deepEqual(net.node('n1').readStates, [{ context: 'same', index: commit }], 'the duplicate request is ignored');
  assert.deepEqual(net.node('n2').readStates, [{ context: 'same', index: commit }], 'the follower gets its own answer');
  assert.equal(net.node('n3').readStates.length, 0);
  // The same context after the first was answered is a new read, answered again.
  net.core('n1').readIndex('same');
  net.stabilize();
  assert.equal(net.node('n1').readStates.length, 2);
});

test('#43 ReadIndex: our core has no lease reads; even with check-quorum a read needs a quorum round', () => {
  // etcd's ReadOnlyLeaseBased answers locally; §5 of the catalogue allows lease reads only if the
  // lease is invalidated on transfer, and our core implements ReadIndex only.
  const net = threeWithLeader({ preVote: true, checkQuorum: true });
  net.propose('n1', 'a');
  net.ignore('heartbeatResp');
  net.core('n1').readIndex('lease?');
  net.stabilize();
  assert.equal(net.node('n1').readStates.length, 0);
});

/**
 * #43 / I14: a leader cut off from the majority, which has since elected a new leader and
 * committed a newer write, must not answer a ReadIndex read (it would answer at a stale index).
 */
function scenario43(opts: { broken?: BrokenVariant } = {}): void {
  const net = new Net(['n1', 'n2', 'n3'], { configure: (c) => (opts.broken ? (c.broken = opts.broken) : undefined) });
  net.campaign('n1');
  net.propose('n1', 'x');
  const oldCommit = net.core('n1').commitIndex;
  net.isolate('n1');
  net.campaign('n2');
  assert.equal(net.core('n2').role, Role.Leader);
  net.propose('n2', 'y');
  const newCommit = net.core('n2').commitIndex;
  assert.ok(newCommit > oldCommit);
  assert.equal(net.core('n1').role, Role.Leader, 'n1 still believes it leads term 1');
  const n1 = net.node('n1');
  n1.core.readIndex('stale?');
  net.stabilize();
  net.tick('n1');
  net.stabilize();
  for (const rs of n1.readStates) {
    assert.ok(rs.index >= newCommit, `read answered at ${rs.index}, below the newest commit ${newCommit} (I14)`);
  }
  assert.equal(n1.readStates.length, 0, 'no answer while cut off from the majority');
  // Healed: the new leader's heartbeat deposes n1 and the pending read is refused.
  net.recover();
  net.tick('n2');
  net.stabilize();
  assert.equal(n1.core.role, Role.Follower);
  assert.deepEqual(n1.readFailures.map((f) => f.context), ['stale?']);
  assert.equal(n1.readStates.length, 0);
}

test('#43 ReadIndex: a leader partitioned from the majority does not answer reads', () => {
  scenario43();
});

test('#43 catches broken variant readIndexWithoutQuorum', () => {
  assert.throws(() => scenario43({ broken: 'readIndexWithoutQuorum' }), assert.AssertionError);
});

// ------------------------------------------------------------------ §4.7

test('bug redisraft#18 a new leader whose commit index lags its log does not answer reads until its term commits', () => {
  const net = threeWithLeader({});
  // x=1 reaches every log and commits on n1, which applies it (the client is told "ok"),
  // but the news of the commit never leaves n1.
  net.core('n1').propose(enc('x=1'));
  net.processReady('n1');
  net.deliver(); // appends to n2, n3
  net.processAll();
  net.deliver(); // acks to n1: commits
  net.processReady('n1');
  assert.deepEqual(net.appliedData('n1'), ['x=1'], 'acknowledged to the client');
  const xIndex = net.core('n1').commitIndex;
  net.queue = [];
  net.isolate('n1'); // the old leader is gone
  const n2 = net.node('n2');
  assert.ok(n2.core.commitIndex < xIndex, 'n2 holds x=1 but has not learnt it is committed');
  n2.core.campaign();
  for (let i = 0; i < 10 && n2.core.role !== Role.Leader; i++) step(net);
  assert.equal(n2.core.role, Role.Leader);
  // Read immediately: the commit index n2 knows (below x) must not be used.
  n2.core.readIndex('get x');
  net.processReady('n2');
  assert.equal(n2.readStates.length, 0);
  net.stabilize();
  assert.equal(n2.readStates.length, 1);
  const rs = n2.readStates[0]!;
  assert.ok(rs.index > xIndex, `read index ${rs.index} covers x=1 at ${xIndex} and the term-start no-op`);
  assert.equal(n2.core.termAt(rs.index), 2);
  assert.ok(n2.core.appliedIndex >= rs.index);
  assert.deepEqual(net.appliedData('n2'), ['x=1'], 'the read sees x=1');
});

test('bug redisraft#19 a freshly restarted cluster does not serve reads from a stale persisted commit index', () => {
  const net = threeWithLeader();
  net.core('n1').propose(enc('x=1'));
  net.processReady('n1');
  net.deliver();
  net.processAll();
  net.deliver();
  net.processReady('n1');
  assert.deepEqual(net.appliedData('n1'), ['x=1']);
  const xIndex = net.core('n1').commitIndex;
  net.queue = [];
  for (const id of ['n1', 'n2', 'n3']) net.restart(id);
  net.isolate('n1');
  const n2 = net.node('n2');
  assert.ok(n2.core.commitIndex < xIndex, 'restarted with a persisted commit below x=1');
  n2.core.campaign();
  for (let i = 0; i < 10 && n2.core.role !== Role.Leader; i++) step(net);
  assert.equal(n2.core.role, Role.Leader);
  n2.core.readIndex('get x');
  net.processReady('n2');
  assert.equal(n2.readStates.length, 0);
  net.stabilize();
  assert.equal(n2.readStates.length, 1);
  assert.ok(n2.readStates[0]!.index > xIndex);
  assert.ok(n2.core.appliedIndex >= n2.readStates[0]!.index);
  assert.deepEqual(net.appliedData('n2'), ['x=1']);
  assert.equal(dec(n2.applied[0]!.data), 'x=1');
});
