// Catalogue section D (pre-vote, check-quorum, disruption): #25–#32, and bug-log regressions
// logcabin#56 (removed-server disruption) and hashicorp/raft#524 (non-voter with a higher term).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, enc } from './harness.ts';
import {
  RaftCore,
  defaultRaftConfig,
  EntryType,
  Role,
  type Configuration,
  type Entry,
  type Message,
  type NodeId,
  type VoteMsg,
} from '../../src/raft/index.ts';

// ------------------------------------------------------------------ helpers

const ET = 10; // electionTick used throughout

function ents(terms: number[]): Entry[] {
  return terms.map((term, k) => ({ index: k + 1, term, type: EntryType.Normal, data: enc(`e${k + 1}`) }));
}

interface LoneOpts {
  voters: NodeId[];
  nonVoters?: NodeId[];
  term?: number;
  vote?: NodeId;
  entries?: Entry[];
  preVote?: boolean;
  checkQuorum?: boolean;
}

/** A single core driven by hand-written messages; jitter fixed so the election timeout is 1.5×ET. */
function lone(id: NodeId, o: LoneOpts): RaftCore {
  const cfg = defaultRaftConfig(id, () => 0.5);
  cfg.electionTick = ET;
  cfg.preVote = o.preVote ?? false;
  cfg.checkQuorum = o.checkQuorum ?? false;
  const bootstrap: Configuration = { voters: o.voters, nonVoters: o.nonVoters ?? [] };
  return new RaftCore(cfg, { hardState: { term: o.term ?? 0, vote: o.vote ?? '', commit: 0 }, entries: o.entries ?? [], bootstrap });
}

function drain(core: RaftCore): Message[] {
  if (!core.hasReady()) return [];
  const rd = core.ready();
  core.advance();
  return [...rd.eagerMessages, ...rd.messages];
}

function voteMsg(type: 'vote' | 'preVote', from: NodeId, to: NodeId, term: number, lastIndex: number, lastTerm: number, transfer = false): VoteMsg {
  return { type, from, to, term, lastIndex, lastTerm, transfer };
}

/** [type, to, term, reject?] of each message, for compact assertions. */
function brief(msgs: Message[]): unknown[] {
  return msgs.map((m) => ('reject' in m ? [m.type, m.to, m.term, m.reject] : [m.type, m.to, m.term]));
}

function seed(net: Net, id: NodeId, entries: Entry[], term: number, vote = ''): void {
  const n = net.node(id);
  n.storage.entries = entries;
  n.storage.hardState = { term, vote, commit: 0 };
  net.restart(id);
}

/** Ticks every node k times (stabilizing after each), calling watch after every tick. */
function runWatching(net: Net, k: number, watch: () => void): void {
  for (let i = 0; i < k; i++) {
    net.run(1);
    watch();
  }
}

/** Ticks until exactly one leader exists among `among` and every one of them follows it; returns ticks used. */
function runUntilStableLeader(net: Net, among: NodeId[], maxTicks: number, watch: () => void = () => {}): number {
  for (let i = 1; i <= maxTicks; i++) {
    net.run(1);
    watch();
    const ls = net.leaders().filter((id) => among.includes(id));
    if (ls.length !== 1) continue;
    const l = net.core(ls[0]!);
    if (among.every((id) => net.core(id).term === l.term && net.core(id).leader === l.id)) return i;
  }
  assert.fail(`no stable leader among ${among.join(',')} within ${maxTicks} ticks: ${among.map((id) => `${id}=${net.core(id).role}@${net.core(id).term}`).join(' ')}`);
}

// ------------------------------------------------------------------ #25

test('#25 without pre-vote, a rejoining partitioned node deposes the healthy leader (the problem)', () => {
  const net = new Net(['n1', 'n2', 'n3'], { checkQuorum: true, seed: 3 });
  net.campaign('n1');
  net.isolate('n3');
  net.run(5 * ET);
  assert.deepEqual(net.leaders(), ['n1']);
  assert.equal(net.core('n1').term, 1);
  const t3 = net.core('n3').term;
  assert.ok(t3 > 1, `isolated n3's term climbs (${t3})`);
  net.recover();
  // The leader's next heartbeat reaches n3, whose answer carries its higher term: the leader steps down.
  const from = net.log.length;
  net.tick('n1');
  net.stabilize();
  assert.equal(net.core('n1').role, Role.Follower);
  assert.ok(net.core('n1').term >= t3);
  assert.ok(net.log.slice(from).some((m) => m.type === 'appResp' && m.from === 'n3' && m.to === 'n1' && m.term === t3));
});

test('#25 with pre-vote, a rejoining partitioned node leaves leader and term unchanged', () => {
  const net = new Net(['n1', 'n2', 'n3'], { checkQuorum: true, preVote: true, seed: 3 });
  net.campaign('n1');
  net.isolate('n3');
  let sawPreCandidate = false;
  runWatching(net, 5 * ET, () => {
    if (net.core('n3').role === Role.PreCandidate) sawPreCandidate = true;
  });
  assert.ok(sawPreCandidate, 'n3 did try pre-elections');
  assert.equal(net.core('n3').term, 1, "n3's term is unchanged by failed pre-elections");
  net.recover();
  runWatching(net, 5 * ET, () => {
    assert.deepEqual(net.leaders(), ['n1']);
    for (const id of ['n1', 'n2', 'n3']) assert.equal(net.core(id).term, 1, id);
  });
  assert.equal(net.core('n3').leader, 'n1');
  assert.equal(net.core('n3').role, Role.Follower);
});

// ------------------------------------------------------------------ #26

test('#26 pre-vote mechanics: request at term+1 without changing the pre-candidate term', () => {
  const c = lone('n1', { voters: ['n1', 'n2', 'n3', 'n4', 'n5'], term: 1, entries: ents([1]), preVote: true });
  c.campaign();
  assert.equal(c.role, Role.PreCandidate);
  assert.equal(c.term, 1, 'a pre-candidate keeps its term');
  assert.equal(c.vote, '', 'and its vote');
  const rd = c.ready();
  assert.equal(rd.hardState, undefined, 'nothing to persist for a pre-election');
  c.advance();
  const sent = [...rd.eagerMessages, ...rd.messages];
  assert.deepEqual(brief(sent), ['n2', 'n3', 'n4', 'n5'].map((to) => ['preVote', to, 2]));
  for (const m of sent) assert.deepEqual([(m as VoteMsg).lastIndex, (m as VoteMsg).lastTerm], [1, 1]);

  // One grant (2 of 5 with itself) is not a quorum: still a pre-candidate at term 1.
  c.step({ type: 'preVoteResp', from: 'n2', to: 'n1', term: 2, reject: false });
  assert.equal(c.role, Role.PreCandidate);
  assert.equal(c.term, 1);
  assert.deepEqual(drain(c), []);
  // A quorum of pre-votes: only now does it bump its term and ask for real votes.
  c.step({ type: 'preVoteResp', from: 'n3', to: 'n1', term: 2, reject: false });
  assert.equal(c.role, Role.Candidate);
  assert.equal(c.term, 2);
  assert.equal(c.vote, 'n1');
  assert.deepEqual(brief(drain(c)), ['n2', 'n3', 'n4', 'n5'].map((to) => ['vote', to, 2]));
});

test('#26 pre-vote mechanics: a quorum of pre-vote rejections ends the pre-election at the same term', () => {
  const c = lone('n1', { voters: ['n1', 'n2', 'n3'], term: 1, preVote: true });
  c.campaign();
  drain(c);
  c.step({ type: 'preVoteResp', from: 'n2', to: 'n1', term: 1, reject: true });
  c.step({ type: 'preVoteResp', from: 'n3', to: 'n1', term: 1, reject: true });
  assert.equal(c.role, Role.Follower);
  assert.equal(c.term, 1);
  assert.equal(c.vote, '');
});

test('#26 pre-vote mechanics: receivers grant without changing their term, even after voting in T', () => {
  // A follower at term 1 that voted for n3 in term 1 still grants n1 a pre-vote for term 2.
  const f = lone('n2', { voters: ['n1', 'n2', 'n3'], term: 1, vote: 'n3', entries: ents([1]), preVote: true });
  f.step(voteMsg('preVote', 'n1', 'n2', 2, 1, 1));
  assert.deepEqual(brief(drain(f)), [['preVoteResp', 'n1', 2, false]], 'granted at the requested term');
  assert.equal(f.term, 1, 'term unchanged');
  assert.equal(f.vote, 'n3', 'vote unchanged');
  assert.equal(f.role, Role.Follower);
  // Contrast: a real vote for term 1 from n1 is refused (it already voted for n3 in term 1).
  f.step(voteMsg('vote', 'n1', 'n2', 1, 1, 1));
  assert.deepEqual(brief(drain(f)), [['voteResp', 'n1', 1, true]]);

  // A candidate and a leader also answer pre-votes without changing term or role.
  const cand = lone('n3', { voters: ['n1', 'n2', 'n3'], term: 1, entries: ents([1]) });
  cand.campaign();
  drain(cand);
  assert.equal(cand.role, Role.Candidate);
  cand.step(voteMsg('preVote', 'n1', 'n3', 3, 1, 1));
  assert.deepEqual(brief(drain(cand)), [['preVoteResp', 'n1', 3, false]]);
  assert.deepEqual([cand.role, cand.term, cand.vote], [Role.Candidate, 2, 'n3']);

  const lead = lone('n3', { voters: ['n1', 'n2', 'n3'], term: 1, entries: ents([1]) });
  lead.campaign();
  drain(lead);
  lead.step({ type: 'voteResp', from: 'n2', to: 'n3', term: 2, reject: false });
  drain(lead);
  assert.equal(lead.role, Role.Leader);
  lead.step(voteMsg('preVote', 'n1', 'n3', 3, 2, 2));
  assert.deepEqual(brief(drain(lead)), [['preVoteResp', 'n1', 3, false]]);
  assert.deepEqual([lead.role, lead.term], [Role.Leader, 2]);
});

test('#26 pre-vote mechanics: a pre-candidate with a shorter log is rejected, term unchanged', () => {
  const f = lone('n2', { voters: ['n1', 'n2', 'n3'], term: 1, entries: ents([1, 1]), preVote: true });
  f.step(voteMsg('preVote', 'n1', 'n2', 2, 1, 1)); // n1's log ends at (1,t1); n2's at (2,t1)
  assert.deepEqual(brief(drain(f)), [['preVoteResp', 'n1', 1, true]], 'rejected at the receiver term');
  assert.equal(f.term, 1);
  f.step(voteMsg('preVote', 'n3', 'n2', 2, 5, 0)); // a longer log but a lower last term
  assert.deepEqual(brief(drain(f)), [['preVoteResp', 'n3', 1, true]]);
  assert.equal(f.term, 1);
});

// ------------------------------------------------------------------ #27

test('#27 a node with a smaller term can still complete an election (etcd#8243)', () => {
  const net = new Net(['n1', 'n2', 'n3'], { preVote: true, seed: 5 });
  net.campaign('n1');
  net.isolate('n3');
  net.campaign('n2'); // term 2
  net.campaign('n1'); // term 3
  assert.deepEqual(net.leaders(), ['n1']);
  assert.deepEqual(['n1', 'n2', 'n3'].map((id) => net.core(id).term), [3, 3, 1]);

  // Heal n3 and crash the leader at the same moment.
  net.recover();
  net.isolate('n1');
  const from = net.log.length;
  net.campaign('n3'); // pre-vote at term 2, lower than n2's term 3
  assert.ok(
    net.log.slice(from).some((m) => m.type === 'preVoteResp' && m.from === 'n2' && m.to === 'n3' && m.reject && m.term === 3),
    "n2's rejection carries its higher term",
  );
  assert.equal(net.core('n3').term, 3, 'n3 caught up to term 3 from the rejection');
  assert.equal(net.core('n3').role, Role.Follower);

  const ticks = runUntilStableLeader(net, ['n2', 'n3'], 5 * 2 * ET);
  const l = net.leaders().find((id) => id !== 'n1')!;
  assert.equal(l, 'n2', 'n2 (the longer log) is elected');
  assert.ok(net.core('n2').term >= 4);
  assert.ok(ticks <= 4 * 2 * ET, `elected within a few ETs (${ticks} ticks)`);
});

// ------------------------------------------------------------------ #28

/** n1, n2 run pre-vote; n3 does not, and reaches term 3 with a shorter log while partitioned. */
function mixedCluster(): Net {
  const net = new Net(['n1', 'n2', 'n3'], { seed: 11, configure: (c) => (c.preVote = c.id !== 'n3') });
  net.campaign('n1');
  net.propose('n1', 'a');
  net.isolate('n3');
  net.propose('n1', 'b');
  net.core('n3').campaign();
  net.stabilize();
  net.core('n3').campaign();
  net.stabilize();
  assert.deepEqual(['n1', 'n2', 'n3'].map((id) => net.core(id).term), [1, 1, 3]);
  assert.equal(net.core('n3').role, Role.Candidate);
  assert.ok(net.core('n3').lastIndex < net.core('n2').lastIndex);
  return net;
}

test('#28 mixed pre-vote cluster: a higher-term node with a shorter log does not wedge the group', () => {
  const net = mixedCluster();
  net.recover();
  net.isolate('n1'); // the leader dies
  runUntilStableLeader(net, ['n2', 'n3'], 20 * ET);
  const l = net.leaders().filter((id) => id !== 'n1');
  assert.deepEqual(l, ['n2'], 'only the node with the longest log can win');
  net.propose('n2', 'c');
  net.run(2);
  assert.deepEqual(net.appliedData('n3'), ['a', 'b', 'c']);
  assert.deepEqual(net.appliedData('n2'), ['a', 'b', 'c']);
});

test('#28 migrating to pre-vote: a stuck higher-term pre-candidate is freed with the leader alive', () => {
  const net = mixedCluster();
  // Rolling upgrade: n3 restarts with pre-vote enabled (its term 3 survives), then the partition heals.
  net.opts.configure = (c) => (c.preVote = true);
  net.restart('n3');
  assert.equal(net.core('n3').term, 3);
  net.recover();
  const ticks = runUntilStableLeader(net, ['n1', 'n2', 'n3'], 20 * ET);
  const [l] = net.leaders();
  assert.ok(l === 'n1' || l === 'n2', `a node with the longest log leads (${l})`);
  assert.ok(net.core(l!).term > 3, 'at a term above the stuck node');
  assert.ok(ticks <= 10 * ET, `within a few ETs (${ticks} ticks)`);
  net.propose(l!, 'c');
  net.run(2);
  for (const id of ['n1', 'n2', 'n3']) assert.deepEqual(net.appliedData(id), ['a', 'b', 'c'], id);
});

// ------------------------------------------------------------------ #29

test('#29 check-quorum: a leader cut off from both followers steps down within 2 ETs', () => {
  const net = new Net(['n1', 'n2', 'n3'], { checkQuorum: true });
  net.campaign('n1');
  net.isolate('n1');
  net.tick('n1', ET - 1);
  net.stabilize();
  assert.equal(net.core('n1').role, Role.Leader, 'no step-down before an election timeout passes');
  net.tick('n1', ET + 1);
  net.stabilize();
  assert.equal(net.core('n1').role, Role.Follower);
  assert.equal(net.core('n1').term, 1, 'stepping down does not change the term');
  assert.equal(net.core('n1').leader, '');
});

test('#29 check-quorum: a leader with one reachable follower stays leader', () => {
  const net = new Net(['n1', 'n2', 'n3'], { checkQuorum: true });
  net.campaign('n1');
  net.cut('n1', 'n3');
  for (let i = 0; i < 5 * ET; i++) {
    net.tick('n1');
    net.tick('n2');
    net.stabilize();
    assert.equal(net.core('n1').role, Role.Leader);
  }
  assert.equal(net.core('n1').term, 1);
  assert.equal(net.core('n2').leader, 'n1');
});

// ------------------------------------------------------------------ #30

test('#30 leader stickiness: a follower in its lease ignores a higher-term vote; after ET it grants', () => {
  const f = lone('n2', { voters: ['n1', 'n2', 'n3'], term: 1, checkQuorum: true });
  f.step({ type: 'heartbeat', from: 'n1', to: 'n2', term: 1, commit: 0, context: '' });
  drain(f);
  assert.equal(f.leader, 'n1');
  f.step(voteMsg('vote', 'n3', 'n2', 2, 0, 0));
  assert.deepEqual(drain(f), [], 'ignored: no answer at all');
  assert.deepEqual([f.term, f.vote, f.leader], [1, '', 'n1']);
  for (let i = 0; i < ET - 1; i++) f.tick();
  f.step(voteMsg('vote', 'n3', 'n2', 2, 0, 0));
  assert.deepEqual(drain(f), [], 'still within the lease after ET-1 ticks');
  assert.equal(f.term, 1);
  f.tick(); // ET ticks without hearing from the leader (randomized timeout is 1.5×ET: no campaign yet)
  assert.equal(f.role, Role.Follower);
  f.step(voteMsg('vote', 'n3', 'n2', 2, 0, 0));
  assert.deepEqual(brief(drain(f)), [['voteResp', 'n3', 2, false]]);
  assert.deepEqual([f.term, f.vote], [2, 'n3']);
});

test('#30 leader stickiness: transfer-flagged votes are always considered', () => {
  const f = lone('n2', { voters: ['n1', 'n2', 'n3'], term: 1, checkQuorum: true });
  f.step({ type: 'heartbeat', from: 'n1', to: 'n2', term: 1, commit: 0, context: '' });
  drain(f);
  f.step(voteMsg('vote', 'n3', 'n2', 2, 0, 0, true));
  assert.deepEqual(brief(drain(f)), [['voteResp', 'n3', 2, false]]);
  assert.deepEqual([f.term, f.vote], [2, 'n3']);
  // Also for pre-votes.
  const g = lone('n2', { voters: ['n1', 'n2', 'n3'], term: 1, checkQuorum: true, preVote: true });
  g.step({ type: 'heartbeat', from: 'n1', to: 'n2', term: 1, commit: 0, context: '' });
  drain(g);
  g.step(voteMsg('preVote', 'n3', 'n2', 2, 0, 0));
  assert.deepEqual(drain(g), [], 'plain pre-vote ignored in the lease');
  g.step(voteMsg('preVote', 'n3', 'n2', 2, 0, 0, true));
  assert.deepEqual(brief(drain(g)), [['preVoteResp', 'n3', 2, false]]);
  assert.equal(g.term, 1);
});

test('#30 leader stickiness in a cluster: a campaigning follower cannot depose a live leader', () => {
  const net = new Net(['n1', 'n2', 'n3'], { checkQuorum: true });
  net.campaign('n1');
  net.campaign('n3');
  assert.equal(net.core('n3').role, Role.Candidate);
  assert.equal(net.core('n3').term, 2);
  assert.deepEqual(net.leaders(), ['n1']);
  assert.equal(net.core('n1').term, 1);
  assert.equal(net.core('n2').term, 1);
  assert.ok(!net.log.some((m) => m.type === 'voteResp' && m.to === 'n3'), 'nobody answered n3');
});

// ------------------------------------------------------------------ #31

test('#31 a stuck higher-term candidate is freed: the leader steps down on its answer', () => {
  const net = new Net(['n1', 'n2', 'n3'], { checkQuorum: true });
  net.campaign('n1');
  net.isolate('n1');
  net.campaign('n3');
  net.campaign('n3');
  assert.equal(net.core('n3').role, Role.Candidate);
  assert.equal(net.core('n3').term, 3);
  assert.equal(net.core('n2').term, 1, 'the sticky n2 ignored both');
  assert.equal(net.core('n2').leader, 'n1');
  net.recover();
  const before = net.log.length;
  net.tick('n1'); // heartbeat
  net.stabilize();
  const answer = net.log.slice(before).find((m) => m.from === 'n3' && m.to === 'n1');
  assert.ok(answer && answer.type === 'appResp' && answer.term === 3, 'n3 answers the stale heartbeat with its term');
  assert.equal(net.core('n1').role, Role.Follower);
  assert.equal(net.core('n1').term, 3);
  net.campaign('n3');
  assert.deepEqual(net.leaders(), ['n3']);
  for (const id of ['n1', 'n2', 'n3']) {
    assert.equal(net.core(id).term, 4, id);
    assert.equal(net.core(id).leader, 'n3', id);
  }
});

// ------------------------------------------------------------------ #32

test('#32 vote requests from a non-member or a non-voter are rejected without touching the term', () => {
  for (const kind of ['vote', 'preVote'] as const) {
    const f = lone('n1', { voters: ['n1', 'n2', 'n3'], nonVoters: ['n5'], term: 1, preVote: true });
    for (const from of ['n4', 'n5']) {
      // A removed server's log stops growing, so its log is never ahead of ours.
      f.step(voteMsg(kind, from, 'n1', 9, f.lastIndex, f.lastTerm, true));
      const resp = kind === 'vote' ? 'voteResp' : 'preVoteResp';
      assert.deepEqual(brief(drain(f)), [[resp, from, 1, true]], `${kind} from ${from}`);
      assert.deepEqual([f.term, f.vote, f.role], [1, '', Role.Follower]);
    }
  }
});

test('#38 a candidate we do not know as a voter but whose log is ahead of ours is heard (we may lag its promotion)', () => {
  const f = lone('n1', { voters: ['n1', 'n2', 'n3'], term: 1 });
  f.step(voteMsg('vote', 'n4', 'n1', 9, f.lastIndex + 5, f.lastTerm));
  assert.deepEqual(brief(drain(f)), [['voteResp', 'n4', 9, false]]);
  assert.deepEqual([f.term, f.vote], [9, 'n4']);
});

test('#32 a non-member does not campaign on TimeoutNow (etcd TestTransferNonMember)', () => {
  const c = lone('n1', { voters: ['n2', 'n3', 'n4'] });
  c.step({ type: 'timeoutNow', from: 'n2', to: 'n1', term: 0 });
  c.step({ type: 'voteResp', from: 'n2', to: 'n1', term: 1, reject: false });
  c.step({ type: 'voteResp', from: 'n3', to: 'n1', term: 1, reject: false });
  assert.equal(c.role, Role.Follower);
  assert.equal(c.vote, '', 'it never voted for itself');
  assert.ok(!drain(c).some((m) => m.type === 'vote' || m.type === 'preVote'));
  c.campaign();
  assert.equal(c.role, Role.Follower);
  assert.ok(!drain(c).some((m) => m.type === 'vote' || m.type === 'preVote'));
});

test('#32 a non-voter with a higher term: the cluster regains a stable leader and keeps replicating to it', () => {
  const ids = ['n1', 'n2', 'n3', 'n4'];
  const net = new Net(ids, { preVote: true, checkQuorum: true, seed: 9, bootstrap: { voters: ['n1', 'n2', 'n3'], nonVoters: ['n4'] } });
  seed(net, 'n4', [], 10);
  net.campaign('n1');
  // n4 answered the leader's append with term 10: the leader stepped down.
  assert.ok(net.log.some((m) => m.from === 'n4' && m.to === 'n1' && m.term === 10));
  assert.deepEqual(net.leaders(), []);
  runUntilStableLeader(net, ids.filter((id) => id !== 'n4'), 10 * ET);
  const [l] = net.leaders();
  assert.ok(l && l !== 'n4');
  net.run(2);
  for (const id of ids) assert.equal(net.core(id).term, net.core(l!).term, `${id} at the cluster term`);
  assert.equal(net.core('n4').leader, l);
  assert.ok(!net.log.some((m) => m.from === 'n4' && (m.type === 'vote' || m.type === 'preVote')), 'n4 never campaigned');
  net.propose(l!, 'z');
  net.run(2);
  assert.deepEqual(net.appliedData('n4'), ['z'], 'replication to the non-voter continues');
  assert.deepEqual(net.leaders(), [l]);
});

// ------------------------------------------------------------------ logcabin#56

for (const [preVote, checkQuorum] of [
  [true, true],
  [false, true],
  [true, false],
  [false, false],
] as const) {
  test(`bug logcabin#56 a removed server that keeps campaigning does not disrupt the cluster (preVote=${preVote}, checkQuorum=${checkQuorum})`, () => {
    // Our design rejects (pre)votes from non-voters outright (hashicorp/raft#526), so even without
    // pre-vote or stickiness the remaining members are undisturbed.
    const net = new Net(['n1', 'n2', 'n3', 'n4'], { preVote, checkQuorum, seed: 21 });
    net.campaign('n1');
    net.propose('n1', 'a');
    net.cutOneWay('n1', 'n4'); // n4 receives no more appends but can still send
    net.core('n1').proposeConfChange({ type: 'remove', id: 'n4' });
    net.stabilize();
    for (const id of ['n1', 'n2', 'n3']) assert.deepEqual(net.core(id).config.voters, ['n1', 'n2', 'n3'], id);
    assert.deepEqual(net.core('n4').config.voters, ['n1', 'n2', 'n3', 'n4'], 'n4 never learned of its removal');
    const term = net.core('n1').term;
    const sent0 = net.log.length;
    runWatching(net, 20 * ET, () => {
      assert.deepEqual(net.leaders(), ['n1']);
      for (const id of ['n1', 'n2', 'n3']) {
        assert.equal(net.core(id).term, term, `${id} term`);
        assert.equal(net.core(id).leader, 'n1', `${id} leader`);
      }
    });
    const requests = net.log.slice(sent0).filter((m) => m.from === 'n4' && (m.type === 'vote' || m.type === 'preVote'));
    assert.ok(requests.length > 0, 'n4 did campaign');
    if (!preVote) assert.ok(net.core('n4').term > term + 5, `n4's term climbed (${net.core('n4').term})`);
    const answers = net.log.slice(sent0).filter((m) => m.to === 'n4');
    assert.ok(answers.every((m) => 'reject' in m && m.reject && m.term === term), 'every answer to n4 is a rejection at the cluster term');
    net.propose('n1', 'b');
    for (const id of ['n1', 'n2', 'n3']) assert.deepEqual(net.appliedData(id), ['a', 'b'], id);
  });
}

// ------------------------------------------------------------------ hashicorp/raft#524

for (const preVote of [false, true]) {
  test(`bug hashicorp#524 a re-added non-voter with a higher term does not destabilize the cluster (preVote=${preVote})`, () => {
    // Check-quorum is on: it makes n0 answer the leader's stale appends with its term, which is how
    // n0 (and the cluster) converge; with neither check-quorum nor pre-vote, a node ignores
    // lower-term appends silently and n0 could never catch up.
    const ids = ['n0', 'n1', 'n2'];
    const net = new Net(ids, { preVote: false, checkQuorum: true, seed: 17 });
    net.campaign('n1');
    net.propose('n1', 'a');
    net.isolate('n0');
    net.core('n1').proposeConfChange({ type: 'remove', id: 'n0' });
    net.stabilize();
    net.run(1);
    for (const id of ['n1', 'n2']) assert.deepEqual(net.core(id).config, { voters: ['n1', 'n2'], nonVoters: [] }, id);
    const base = net.core('n1').term;
    if (preVote) {
      // With pre-vote an isolated node cannot raise its term: give it term+10 through its storage,
      // and run everyone with pre-vote from here on.
      net.opts.configure = (c) => (c.preVote = true);
      for (const id of ids) {
        if (id === 'n0') net.node(id).storage.hardState = { ...net.node(id).storage.hardState, term: base + 10, vote: '' };
        net.restart(id);
      }
      net.campaign('n1');
    } else {
      for (let i = 0; i < 10; i++) {
        net.core('n0').campaign();
        net.stabilize();
      }
    }
    assert.equal(net.core('n0').term, base + 10);
    net.propose(net.leaders().find((id) => id !== 'n0')!, 'b');

    net.recover();
    let n0Led = false;
    const watch = () => {
      if (net.core('n0').role === Role.Leader) n0Led = true;
    };
    runWatching(net, 2, watch); // n0's vote requests are now delivered (and refused)
    const l0 = net.leaders().find((id) => id !== 'n0')!;
    net.core(l0).proposeConfChange({ type: 'addNonVoter', id: 'n0' });
    net.stabilize();
    const ticks = runUntilStableLeader(net, ['n1', 'n2', 'n0'], 10 * 2 * ET, watch);
    assert.ok(ticks <= 6 * 2 * ET, `a stable leader within a few ETs (${ticks} ticks)`);
    const l = net.leaders()[0]!;
    assert.notEqual(l, 'n0');
    const term = net.core(l).term;
    assert.ok(term >= base + 10, 'the cluster term is at least the term n0 reached');
    runWatching(net, 5 * ET, () => {
      watch();
      assert.deepEqual(net.leaders(), [l], 'the leader stays');
      for (const id of ids) assert.equal(net.core(id).term, term, `${id} keeps the cluster term`);
    });
    assert.ok(!n0Led, 'n0 never led');
    assert.deepEqual(net.core('n0').config, { voters: ['n1', 'n2'], nonVoters: ['n0'] }, 'n0 learned it is a non-voter');
    assert.deepEqual(net.logTerms('n0'), net.logTerms(l), 'n0 caught up');
    net.propose(l, 'c');
    net.run(1);
    assert.deepEqual(net.appliedData('n0').slice(-2), ['b', 'c']);
  });
}
