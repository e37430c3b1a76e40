// Catalogue section A (terms and elections), scenarios #1–#12.
// See /work/shared/spec/raft-test-catalogue.md §2.A. Message-level scenarios step a lone core with
// hand-written messages; cluster-level ones use the synchronous test network in harness.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RaftCore,
  defaultRaftConfig,
  EntryType,
  Role,
  type BrokenVariant,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfig,
  type VoteMsg,
} from '../../src/raft/index.ts';
import { seededRng } from '../../src/util/random.ts';
import { Net, enc } from './harness.ts';

// ------------------------------------------------------------------ helpers

const V3 = ['n1', 'n2', 'n3'];
const ET = 10;

/** Entries 1..n with the given terms. */
function ents(terms: number[], start = 1): Entry[] {
  return terms.map((term, k) => ({ index: start + k, term, type: EntryType.Normal, data: enc(`e${start + k}`) }));
}

interface CoreOpts {
  voters?: NodeId[];
  term?: number;
  vote?: NodeId;
  commit?: number;
  terms?: number[];
  preVote?: boolean;
  checkQuorum?: boolean;
  broken?: BrokenVariant;
  seed?: number;
  tweak?: (c: RaftConfig) => void;
}

/** A lone core restarted from hand-built durable state. */
function mkCore(id: NodeId, o: CoreOpts = {}): RaftCore {
  const rng = seededRng(o.seed ?? 1);
  const cfg = defaultRaftConfig(id, () => rng.next());
  cfg.electionTick = ET;
  cfg.preVote = o.preVote ?? false;
  cfg.checkQuorum = o.checkQuorum ?? false;
  if (o.broken) cfg.broken = o.broken;
  o.tweak?.(cfg);
  return new RaftCore(cfg, {
    hardState: { term: o.term ?? 0, vote: o.vote ?? '', commit: o.commit ?? 0 },
    entries: ents(o.terms ?? []),
    bootstrap: { voters: o.voters ?? V3, nonVoters: [] },
  });
}

/** Runs one Ready cycle (as if persisted at once) and returns every message it sent. */
function take(core: RaftCore): Message[] {
  if (!core.hasReady()) return [];
  const rd = core.ready();
  core.advance();
  return [...rd.eagerMessages, ...rd.messages];
}

function ofType<T extends Message['type']>(msgs: Message[], t: T): Array<Message & { type: T }> {
  return msgs.filter((m) => m.type === t) as Array<Message & { type: T }>;
}

function voteReq(from: NodeId, to: NodeId, term: number, lastIndex: number, lastTerm: number, type: 'vote' | 'preVote' = 'vote'): VoteMsg {
  return { type, from, to, term, lastIndex, lastTerm, transfer: false };
}

/** Makes a lone n1 (voters n1..n3) leader of term 1 from an empty log; drains its messages. */
function lonelyLeader(o: CoreOpts = {}): RaftCore {
  const c = mkCore('n1', o);
  c.campaign();
  take(c);
  if (c.role === Role.PreCandidate) {
    c.step({ type: 'preVoteResp', from: 'n2', to: 'n1', term: c.term + 1, reject: false });
    take(c);
  }
  c.step({ type: 'voteResp', from: 'n2', to: 'n1', term: c.term, reject: false });
  take(c);
  assert.equal(c.role, Role.Leader);
  return c;
}

// ------------------------------------------------------------------ #1

test('#1 stale node adopts a higher term and steps down (follower, candidate, leader; every message type)', () => {
  type Maker = () => RaftCore;
  const makers: Record<string, Maker> = {
    // Follower at term 1 that knows leader n2, with log [(1,1)].
    follower: () => {
      const c = mkCore('n1', { term: 1, terms: [1] });
      c.step({ type: 'heartbeat', from: 'n2', to: 'n1', term: 1, commit: 0, context: '' });
      take(c);
      assert.equal(c.leader, 'n2');
      return c;
    },
    // Candidate at term 1 (voted for itself), empty log.
    candidate: () => {
      const c = mkCore('n1');
      c.campaign();
      take(c);
      assert.equal(c.role, Role.Candidate);
      assert.equal(c.vote, 'n1');
      return c;
    },
    // Leader at term 1 with its no-op (1,1).
    leader: () => {
      const c = lonelyLeader();
      assert.equal(c.term, 1);
      assert.equal(c.vote, 'n1');
      return c;
    },
  };
  const msgs: Record<string, Message> = {
    app: { type: 'app', from: 'n2', to: 'n1', term: 2, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 },
    heartbeat: { type: 'heartbeat', from: 'n2', to: 'n1', term: 2, commit: 0, context: '' },
    snap: {
      type: 'snap', from: 'n2', to: 'n1', term: 2,
      meta: { index: 0, term: 0, config: { voters: V3, nonVoters: [] } },
      offset: 0, data: new Uint8Array(0), totalSize: 0, done: true,
    },
    appResp: { type: 'appResp', from: 'n2', to: 'n1', term: 2, index: 0, reject: false, hintIndex: 0, hintTerm: 0 },
    heartbeatResp: { type: 'heartbeatResp', from: 'n2', to: 'n1', term: 2, context: '' },
    voteResp: { type: 'voteResp', from: 'n2', to: 'n1', term: 2, reject: true },
    // A vote request from a candidate with an empty log: granted only by a node whose log is empty too.
    vote: voteReq('n3', 'n1', 2, 0, 0),
  };
  const fromLeader = new Set(['app', 'heartbeat', 'snap']);
  for (const [role, make] of Object.entries(makers)) {
    for (const [kind, m] of Object.entries(msgs)) {
      const c = make();
      const emptyLog = c.lastIndex === 0;
      c.step(m);
      const what = `${role} <- ${kind}@2`;
      assert.equal(c.term, 2, what);
      assert.equal(c.role, Role.Follower, what);
      assert.equal(c.leader, fromLeader.has(kind) ? 'n2' : '', what);
      // The term-1 vote is gone; the only possible vote in term 2 is for the requester.
      assert.equal(c.vote, kind === 'vote' && emptyLog ? 'n3' : '', what);
      const rd = c.ready();
      assert.deepEqual(rd.hardState, { term: 2, vote: c.vote, commit: c.commitIndex }, what);
      c.advance();
    }
    // Pre-vote traffic is the exception (by design, as etcd): a higher-term pre-vote changes nothing.
    const c = make();
    const before = { term: c.term, role: c.role, vote: c.vote, leader: c.leader };
    c.step(voteReq('n3', 'n1', 2, 5, 1, 'preVote'));
    assert.deepEqual({ term: c.term, role: c.role, vote: c.vote, leader: c.leader }, before, `${role} <- preVote@2`);
  }
});

// ------------------------------------------------------------------ #2

test('#2 lower-term messages are ignored; the stale sender is told the term (always, not only with CheckQuorum or PreVote)', () => {
  for (const flags of [
    { preVote: false, checkQuorum: false },
    { preVote: false, checkQuorum: true },
    { preVote: true, checkQuorum: false },
    { preVote: true, checkQuorum: true },
  ]) {
    const what = JSON.stringify(flags);
    const c = mkCore('n1', { term: 2, terms: [1, 2], ...flags });
    c.step({ type: 'heartbeat', from: 'n2', to: 'n1', term: 2, commit: 0, context: '' });
    take(c);
    const snapshot = () => ({
      term: c.term, role: c.role, vote: c.vote, leader: c.leader, commit: c.commitIndex,
      log: c.entries(1, c.lastIndex + 1).map((e) => [e.index, e.term]),
    });
    const before = snapshot();
    // A stale leader of term 1 whose append would truncate index 2 if it were accepted.
    c.step({ type: 'app', from: 'n3', to: 'n1', term: 1, prevIndex: 1, prevTerm: 1, entries: ents([1], 2), commit: 2 });
    assert.deepEqual(snapshot(), before, what);
    const out = take(c);
    assert.equal(out.length, 1, what);
    const r = out[0]!;
    assert.equal(r.type, 'appResp', what);
    assert.equal(r.to, 'n3', what);
    assert.equal(r.term, 2, what);
    // A stale heartbeat behaves the same way.
    c.step({ type: 'heartbeat', from: 'n3', to: 'n1', term: 1, commit: 2, context: '' });
    assert.deepEqual(snapshot(), before, what);
    const hb = take(c);
    assert.deepEqual(hb.map((m) => [m.type, m.to, m.term]), [['appResp', 'n3', 2]], what);
    // A stale vote or pre-vote request is rejected with our term (etcd#8243), so the candidate catches up.
    c.step(voteReq('n3', 'n1', 1, 9, 1));
    assert.deepEqual(snapshot(), before, what);
    assert.deepEqual(take(c).map((m) => [m.type, m.to, m.term, 'reject' in m ? m.reject : undefined]), [['voteResp', 'n3', 2, true]], what);
    c.step(voteReq('n3', 'n1', 1, 9, 1, 'preVote'));
    assert.deepEqual(snapshot(), before, what);
    assert.deepEqual(take(c).map((m) => [m.type, m.to, m.term, 'reject' in m ? m.reject : undefined]), [['preVoteResp', 'n3', 2, true]], what);
    // Stale responses change nothing and draw no reply.
    for (const m of [
      { type: 'appResp', from: 'n3', to: 'n1', term: 1, index: 5, reject: false, hintIndex: 0, hintTerm: 0 },
      { type: 'voteResp', from: 'n3', to: 'n1', term: 1, reject: false },
    ] as Message[]) {
      c.step(m);
      assert.deepEqual(snapshot(), before, what);
      assert.deepEqual(take(c), [], what);
    }
  }
});

// ------------------------------------------------------------------ #3

test('#3 boot as follower, time out to candidate; vote persisted before requests; re-timeout bumps the term', () => {
  for (const terms of [[], [1, 1]]) {
    const what = `log ${JSON.stringify(terms)}`;
    const term0 = terms.length ? 1 : 0;
    const c = mkCore('n1', { term: term0, terms, seed: 11 });
    assert.equal(c.role, Role.Follower, what);
    assert.equal(c.leader, '', what);
    for (let round = 1; round <= 3; round++) {
      let ticks = 0;
      const start = c.term;
      while (c.term === start) {
        c.tick();
        ticks++;
        assert.ok(ticks < 2 * ET, `${what}: no election within 2*ET ticks`);
      }
      assert.ok(ticks >= ET, `${what}: election after ${ticks} < ET ticks`);
      assert.equal(c.term, term0 + round, what);
      assert.equal(c.role, Role.Candidate, what);
      assert.equal(c.vote, 'n1', what);
      const rd = c.ready();
      // The self-vote is in this Ready's hard state, and the requests wait for it to be persisted.
      assert.deepEqual(rd.hardState, { term: term0 + round, vote: 'n1', commit: 0 }, what);
      assert.deepEqual(ofType(rd.eagerMessages, 'vote'), [], what);
      assert.deepEqual(
        rd.messages,
        ['n2', 'n3'].map((to) => voteReq('n1', to, term0 + round, terms.length, terms.at(-1) ?? 0)),
        what,
      );
      c.advance();
    }
  }
});

test('#3 (network) a candidate\'s vote requests leave only after its vote is on disk', () => {
  const net = new Net(V3, { seed: 5 });
  const n1 = net.node('n1');
  n1.manualSync = true;
  let ticks = 0;
  while (n1.core.role === Role.Follower) {
    net.tick('n1');
    ticks++;
  }
  assert.ok(ticks >= ET && ticks < 2 * ET);
  net.processReady('n1');
  assert.equal(net.queue.length, 0, 'nothing may leave before the sync');
  assert.deepEqual(n1.storage.hardState, { term: 0, vote: '', commit: 0 });
  // A crash now loses the vote and the requests together: no one ever saw them.
  net.sync('n1');
  assert.deepEqual(n1.storage.hardState, { term: 1, vote: 'n1', commit: 0 });
  assert.deepEqual(net.queue.map((m) => [m.type, m.to, m.term]), [['vote', 'n2', 1], ['vote', 'n3', 1]]);
});

// ------------------------------------------------------------------ #4

test('#4 one-round election outcomes for cluster sizes 1-5', () => {
  type Case = [size: number, votes: Record<string, boolean>, want: Role];
  const cases: Case[] = [
    [1, {}, Role.Leader],
    [2, { n2: true }, Role.Leader],
    [2, { n2: false }, Role.Follower],
    [2, {}, Role.Candidate],
    [3, { n2: true, n3: true }, Role.Leader],
    [3, { n2: true }, Role.Leader],
    [3, { n2: false, n3: false }, Role.Follower],
    [3, { n2: false }, Role.Candidate],
    [3, {}, Role.Candidate],
    [4, { n2: true, n3: true }, Role.Leader],
    [4, { n2: true }, Role.Candidate],
    [4, { n2: false, n3: false }, Role.Follower],
    [4, { n2: true, n3: false }, Role.Candidate],
    [5, { n2: true, n3: true, n4: true, n5: true }, Role.Leader],
    [5, { n2: true, n3: true, n4: true }, Role.Leader],
    [5, { n2: true, n3: true }, Role.Leader],
    [5, { n2: false, n3: false, n4: false, n5: false }, Role.Follower],
    [5, { n2: true, n3: false, n4: false, n5: false }, Role.Follower],
    [5, { n2: false, n3: false, n4: false }, Role.Follower],
    [5, {}, Role.Candidate],
    [5, { n2: true }, Role.Candidate],
    [5, { n2: false, n3: false }, Role.Candidate],
    [5, { n2: true, n3: false, n4: false }, Role.Candidate],
  ];
  for (const [size, votes, want] of cases) {
    const voters = Array.from({ length: size }, (_, k) => `n${k + 1}`);
    const c = mkCore('n1', { voters });
    c.campaign();
    const reqs = ofType(take(c), 'vote');
    assert.deepEqual(reqs.map((m) => m.to), voters.slice(1));
    for (const [from, grant] of Object.entries(votes)) {
      c.step({ type: 'voteResp', from, to: 'n1', term: 1, reject: !grant });
    }
    assert.equal(c.role, want, `size ${size} votes ${JSON.stringify(votes)}`);
    assert.equal(c.term, 1);
    assert.equal(c.leader, want === Role.Leader ? 'n1' : '');
  }
});

// ------------------------------------------------------------------ #5

/** #5: one vote per term, first come first served, repeat re-granted, and the vote survives a crash. */
export function scenario5(opts: { broken?: BrokenVariant } = {}): void {
  const net = new Net(V3, { configure: (c) => { if (opts.broken) c.broken = opts.broken; } });
  const n1 = net.node('n1');
  n1.storage.hardState = { term: 1, vote: '', commit: 0 };
  n1.restart();
  const ask = (from: NodeId): boolean => {
    n1.core.step(voteReq(from, 'n1', 1, 0, 0));
    net.processReady('n1');
    const out = net.queue.splice(0);
    assert.equal(out.length, 1);
    const r = out[0]!;
    assert.ok(r.type === 'voteResp' && r.to === from && r.term === 1);
    return !r.reject;
  };
  assert.equal(n1.core.vote, '');
  assert.equal(ask('n2'), true, 'first request of the term is granted');
  assert.equal(n1.core.vote, 'n2');
  assert.deepEqual(n1.storage.hardState, { term: 1, vote: 'n2', commit: 0 });
  assert.equal(ask('n3'), false, 'a second candidate in the same term is refused');
  assert.equal(ask('n2'), true, 'a repeated request from the same candidate is re-granted');
  assert.equal(n1.core.vote, 'n2');

  net.restart('n1');
  assert.equal(n1.core.term, 1);
  assert.equal(n1.core.vote, 'n2', 'the vote survives crash+restart');
  assert.equal(ask('n3'), false, 'after restart the other candidate is still refused');
  assert.equal(ask('n2'), true);
  assert.equal(n1.core.vote, 'n2');
}

test('#5 one vote per term, first come first served, idempotent repeat, durable across restart', () => {
  scenario5();
});

test('#5 catches broken variant forgetVoteOnRestart', () => {
  assert.throws(() => scenario5({ broken: 'forgetVoteOnRestart' }), assert.AssertionError);
});

// ------------------------------------------------------------------ #6

/** #6: the election restriction (§5.4.1) for vote and pre-vote requests. */
export function scenario6(opts: { broken?: BrokenVariant } = {}): void {
  // Voter's log ends at (index 2, term 2).
  const cases: Array<[lastIndex: number, lastTerm: number, grant: boolean]> = [
    [3, 2, true],
    [2, 2, true],
    [1, 2, false],
    [1, 3, true],
    [5, 1, false], // longer but older: the case skiff and liferaft get wrong
    [0, 0, false],
    [2, 1, false],
  ];
  for (const type of ['vote', 'preVote'] as const) {
    for (const [lastIndex, lastTerm, grant] of cases) {
      const what = `${type} (idx ${lastIndex}, term ${lastTerm})`;
      const c = mkCore('n1', { term: 2, terms: [1, 2], preVote: type === 'preVote', broken: opts.broken });
      c.step(voteReq('n2', 'n1', 3, lastIndex, lastTerm, type));
      const out = take(c);
      assert.equal(out.length, 1, what);
      const r = out[0]!;
      assert.equal(r.type, type === 'vote' ? 'voteResp' : 'preVoteResp', what);
      assert.equal(r.type !== 'voteResp' && r.type !== 'preVoteResp' ? undefined : r.reject, !grant, what);
      if (type === 'vote') {
        assert.equal(c.term, 3, what);
        assert.equal(c.vote, grant ? 'n2' : '', what);
      } else {
        assert.equal(c.term, 2, `${what}: pre-vote leaves the term alone`);
        assert.equal(c.vote, '', what);
      }
    }
  }
}

test('#6 election restriction: grant only to candidates at least as up to date', () => {
  scenario6();
});

test('#6 catches broken variant skipElectionRestriction', () => {
  assert.throws(() => scenario6({ broken: 'skipElectionRestriction' }), assert.AssertionError);
});

// ------------------------------------------------------------------ #7

test('#7 candidate (and pre-candidate) yields to a leader of its own term', () => {
  for (const kind of ['app', 'heartbeat'] as const) {
    const c = mkCore('n1');
    c.campaign();
    take(c);
    assert.equal(c.role, Role.Candidate);
    const m: Message =
      kind === 'app'
        ? { type: 'app', from: 'n2', to: 'n1', term: 1, prevIndex: 0, prevTerm: 0, entries: ents([1]), commit: 0 }
        : { type: 'heartbeat', from: 'n2', to: 'n1', term: 1, commit: 0, context: '' };
    c.step(m);
    assert.equal(c.role, Role.Follower, kind);
    assert.equal(c.leader, 'n2', kind);
    assert.equal(c.term, 1, kind);
    assert.equal(c.vote, 'n1', `${kind}: the term-1 vote is kept (one vote per term)`);
    // ... and it handled the message as a follower.
    const out = take(c);
    if (kind === 'app') {
      assert.equal(c.lastIndex, 1);
      assert.deepEqual(out.map((r) => [r.type, r.to, r.term, r.type === 'appResp' ? r.index : -1]), [['appResp', 'n2', 1, 1]]);
    } else {
      assert.deepEqual(out.map((r) => [r.type, r.to, r.term]), [['heartbeatResp', 'n2', 1]]);
    }
  }
  // A pre-candidate stays in its term; a leader of that term makes it a follower.
  const p = mkCore('n1', { term: 1, preVote: true });
  p.campaign();
  take(p);
  assert.equal(p.role, Role.PreCandidate);
  assert.equal(p.term, 1);
  p.step({ type: 'app', from: 'n3', to: 'n1', term: 1, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
  assert.equal(p.role, Role.Follower);
  assert.equal(p.leader, 'n3');
  assert.equal(p.term, 1);
});

// ------------------------------------------------------------------ #8

test('#8 election timeouts are randomized over [ET, 2ET) and rarely collide', () => {
  // One node, many consecutive timeouts: each candidate reset draws a fresh timeout.
  const c = mkCore('n1', { seed: 42 });
  const seen = new Map<number, number>();
  for (let round = 0; round < 400; round++) {
    const start = c.term;
    let ticks = 0;
    while (c.term === start) {
      c.tick();
      ticks++;
      assert.ok(ticks < 2 * ET, `timeout ${ticks} reached 2*ET`);
    }
    take(c);
    assert.ok(ticks >= ET, `timeout ${ticks} below ET`);
    seen.set(ticks, (seen.get(ticks) ?? 0) + 1);
  }
  assert.deepEqual([...seen.keys()].sort((a, b) => a - b), Array.from({ length: ET }, (_, k) => ET + k), 'every value of [ET, 2ET) occurs');
  for (const [t, n] of seen) assert.ok(n >= 15, `timeout ${t} drawn only ${n}/400 times`);

  // Five fresh followers ticking in lockstep: in most trials exactly one times out first.
  const trials = 1000;
  let conflicts = 0;
  for (let trial = 0; trial < trials; trial++) {
    const cores = ['n1', 'n2', 'n3', 'n4', 'n5'].map((id, k) =>
      mkCore(id, { voters: ['n1', 'n2', 'n3', 'n4', 'n5'], seed: trial * 7919 + k * 104729 + 1 }),
    );
    for (;;) {
      for (const x of cores) x.tick();
      const fired = cores.filter((x) => x.role !== Role.Follower).length;
      if (fired > 0) {
        if (fired > 1) conflicts++;
        break;
      }
    }
  }
  assert.ok(conflicts / trials <= 0.3, `${conflicts}/${trials} trials had simultaneous timeouts`);
});

// ------------------------------------------------------------------ #9

test('#9 dueling candidates without PreVote: n1 wins, n3 stays candidate; n3 later forces a new term but loses', () => {
  const net = new Net(V3, { seed: 3 });
  net.cut('n1', 'n3');
  net.campaign('n1');
  net.campaign('n3');
  assert.deepEqual(
    V3.map((id) => [net.core(id).role, net.core(id).term]),
    [[Role.Leader, 1], [Role.Follower, 1], [Role.Candidate, 1]],
  );
  assert.equal(net.core('n2').vote, 'n1');
  assert.deepEqual(net.logTerms('n1'), [1]);
  assert.deepEqual(net.logTerms('n2'), [1]);
  assert.deepEqual(net.logTerms('n3'), []);
  assert.equal(net.core('n2').commitIndex, 1);

  net.recover();
  net.campaign('n3');
  // n3's term-2 request deposes n1 but its shorter log is refused by both.
  assert.deepEqual(
    V3.map((id) => [net.core(id).role, net.core(id).term]),
    [[Role.Follower, 2], [Role.Follower, 2], [Role.Follower, 2]],
  );
  assert.deepEqual(net.logTerms('n1'), [1]);
  assert.deepEqual(net.logTerms('n2'), [1]);
  assert.deepEqual(net.logTerms('n3'), []);

  // The next election (by timeout) is won by n1 or n2; n3 then catches up.
  let ticks = 0;
  while (net.leaders().length === 0) {
    net.run(1);
    assert.ok(++ticks < 20 * ET, 'no leader elected');
  }
  const [l] = net.leaders();
  assert.ok(l === 'n1' || l === 'n2', `leader ${l}`);
  assert.ok(net.core(l!).term >= 3);
  net.run(2);
  assert.deepEqual(net.logTerms('n3'), net.logTerms(l!));
});

test('#9 dueling pre-candidates: n3 cannot disturb n1 at all', () => {
  const net = new Net(V3, { preVote: true, seed: 3 });
  net.cut('n1', 'n3');
  net.campaign('n1');
  net.campaign('n3');
  // n3's pre-vote is refused by n2, whose rejection carries term 1: n3 reverts to follower.
  assert.deepEqual(
    V3.map((id) => [net.core(id).role, net.core(id).term]),
    [[Role.Leader, 1], [Role.Follower, 1], [Role.Follower, 1]],
  );
  assert.equal(net.core('n3').vote, '', 'a failed pre-election leaves no vote');
  net.recover();
  net.campaign('n3');
  assert.deepEqual(
    V3.map((id) => [net.core(id).role, net.core(id).term]),
    [[Role.Leader, 1], [Role.Follower, 1], [Role.Follower, 1]],
  );
  assert.equal(net.core('n2').leader, 'n1');
  net.run(1);
  assert.deepEqual(net.logTerms('n3'), [1]);
  assert.deepEqual(net.leaders(), ['n1']);
});

test('#9 split votes resolve in a later term (with and without PreVote)', () => {
  for (const preVote of [false, true]) {
    const net = new Net(V3, { preVote, seed: 9 });
    net.campaign('n1');
    net.isolate('n1');
    net.core('n2').campaign();
    net.core('n3').campaign();
    net.stabilize();
    for (const id of ['n2', 'n3']) {
      assert.equal(net.core(id).role, Role.Candidate, `${id} preVote=${preVote}`);
      assert.equal(net.core(id).term, 2, `${id} preVote=${preVote}`);
      assert.equal(net.core(id).vote, id);
    }
    let ticks = 0;
    const fresh = () => ['n2', 'n3'].filter((id) => net.core(id).role === Role.Leader);
    while (fresh().length === 0) {
      net.run(1);
      assert.ok(++ticks < 20 * ET, `preVote=${preVote}: split vote never resolved`);
    }
    const [l] = fresh();
    assert.ok(net.core(l!).term >= 3, `preVote=${preVote}: resolved at term ${net.core(l!).term}`);
    const other = l === 'n2' ? 'n3' : 'n2';
    assert.equal(net.core(other).leader, l);
  }
});

// ------------------------------------------------------------------ #10

/** #10: a new leader overwrites a newer-term uncommitted entry. */
export function scenario10(opts: { broken?: BrokenVariant; preVote?: boolean } = {}): void {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const net = new Net(ids, { preVote: opts.preVote ?? false, configure: (c) => { if (opts.broken) c.broken = opts.broken; } });
  const setup = (id: NodeId, term: number, vote: NodeId, terms: number[]) => {
    const n = net.node(id);
    n.storage.hardState = { term, vote, commit: 0 };
    n.storage.entries = ents(terms);
    n.restart();
  };
  setup('n1', 1, '', [1]); // won the first election
  setup('n2', 1, '', [1]); // got n1's entry
  setup('n3', 2, '', [2]); // won the second election, its entry reached no one
  setup('n4', 2, 'n3', []); // voted for n3, got nothing
  setup('n5', 2, 'n3', []);

  net.campaign('n1');
  assert.equal(net.core('n1').role, Role.Follower, 'first attempt loses');
  assert.equal(net.core('n1').term, 2, 'and learns term 2');
  net.campaign('n1');
  assert.equal(net.core('n1').role, Role.Leader, 'second attempt wins');
  assert.equal(net.core('n1').term, 3);
  net.run(1);
  for (const id of ids) {
    assert.deepEqual(net.logTerms(id), [1, 3], `${id}'s log`);
    assert.equal(net.core(id).commitIndex, 2, id);
  }
}

test('#10 new leader overwrites newer-term uncommitted entries', () => {
  scenario10();
});

test('#10 new leader overwrites newer-term uncommitted entries (PreVote)', () => {
  scenario10({ preVote: true });
});

test('#10 catches broken variant skipElectionRestriction', () => {
  assert.throws(() => scenario10({ broken: 'skipElectionRestriction' }), assert.AssertionError);
  assert.throws(() => scenario10({ broken: 'skipElectionRestriction', preVote: true }), assert.AssertionError);
});

// ------------------------------------------------------------------ #11

test('#11 late vote responses after losing the election are ignored', () => {
  // Our core counts its own vote internally at campaign time (it is persisted in the same Ready as
  // the requests), so there is no self-addressed vote message to arrive late as in etcd. The analogue:
  // after learning it lost, a delayed grant (from any voter) must not revive the candidacy.
  for (const preVote of [false, true]) {
    const what = `preVote=${preVote}`;
    // (a) lost because another node won: a heartbeat of the new leader arrives first.
    const c = mkCore('n1', { preVote });
    c.campaign();
    take(c);
    c.step({ type: 'heartbeat', from: 'n2', to: 'n1', term: 1, commit: 0, context: '' });
    assert.equal(c.role, Role.Follower, what);
    assert.equal(c.leader, 'n2', what);
    take(c);
    const respType = preVote ? 'preVoteResp' : 'voteResp';
    c.step({ type: respType, from: 'n3', to: 'n1', term: 1, reject: false });
    c.step({ type: 'voteResp', from: 'n3', to: 'n1', term: 1, reject: false });
    c.step({ type: 'voteResp', from: 'n2', to: 'n1', term: 1, reject: false });
    assert.equal(c.role, Role.Follower, what);
    assert.equal(c.leader, 'n2', what);
    assert.equal(c.term, 1, what);
    assert.deepEqual(take(c), [], what);

    // (b) lost by a majority of rejections; then a straggling grant arrives.
    const d = mkCore('n1', { preVote, voters: ['n1', 'n2', 'n3', 'n4', 'n5'] });
    d.campaign();
    take(d);
    // Rejections carry the voter's term (0 for a pre-vote here, 1 for a vote); grants the requested term 1.
    const rt = preVote ? 'preVoteResp' : 'voteResp';
    for (const from of ['n2', 'n3', 'n4']) d.step({ type: rt, from, to: 'n1', term: preVote ? 0 : 1, reject: true });
    assert.equal(d.role, Role.Follower, what);
    const term = d.term;
    d.step({ type: rt, from: 'n5', to: 'n1', term: 1, reject: false });
    assert.equal(d.role, Role.Follower, what);
    assert.equal(d.term, term, what);
    assert.deepEqual(take(d).filter((m) => m.type === 'vote'), [], what);
  }
});

// ------------------------------------------------------------------ #12

test('#12 single-node cluster: leader at once; commits only after its log is durable (etcd#14370)', () => {
  for (const preVote of [false, true]) {
    const what = `preVote=${preVote}`;
    const net = new Net(['n1'], { preVote });
    const n1 = net.node('n1');
    n1.manualSync = true;
    n1.core.campaign();
    assert.equal(n1.core.role, Role.Leader, what);
    assert.equal(n1.core.term, 1, what);
    assert.equal(n1.core.lastIndex, 1, `${what}: the term's no-op`);
    assert.equal(n1.core.commitIndex, 0, `${what}: nothing committed before the no-op is durable`);
    net.processReady('n1');
    assert.equal(n1.core.commitIndex, 0, `${what}: still unsynced`);
    assert.equal(n1.storage.entries.length, 0, what);
    net.sync('n1');
    assert.equal(n1.core.commitIndex, 1, what);
    net.processReady('n1');
    net.sync('n1');
    assert.deepEqual(n1.appliedAll.map((e) => [e.index, e.type]), [[1, EntryType.Noop]], what);

    // A proposal: handed to the disk, not yet synced: not committed, not applied.
    const p = n1.core.propose(enc('x'));
    assert.deepEqual(p, { index: 2, term: 1 }, what);
    net.processReady('n1');
    assert.equal(n1.core.commitIndex, 1, `${what}: a single node may not commit an unsynced entry`);
    assert.ok(!n1.core.hasReady(), `${what}: no new Ready while one is outstanding`);
    // Crash before the sync: the entry is lost, and was never reported committed.
    net.restart('n1');
    n1.manualSync = false;
    assert.equal(n1.core.lastIndex, 1, what);
    assert.equal(n1.core.commitIndex, 1, what);
    net.stabilize();
    assert.deepEqual(net.appliedData('n1'), [], what);

    // After restart: campaign again (timeout), propose, and with a synced disk it commits.
    let ticks = 0;
    while (n1.core.role !== Role.Leader) {
      net.run(1);
      assert.ok(++ticks < 2 * ET, `${what}: single node did not re-elect itself`);
    }
    assert.equal(n1.core.term, 2, what);
    net.propose('n1', 'y');
    assert.deepEqual(net.appliedData('n1'), ['y'], what);
    assert.equal(n1.core.commitIndex, 3, what);
    assert.deepEqual(n1.storage.entries.map((e) => [e.index, e.term]), [[1, 1], [2, 2], [3, 2]], what);
  }
});
