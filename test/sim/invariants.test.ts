// Self-tests of the invariant observer: hand-built bad observations must be
// reported with the right invariant id; a clean history must report nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Role, type HardState, type Message } from '../../src/raft/index.ts';
import { cfgEnt, ent, FakeCore } from './fake-core.ts';
import { formatViolation, Observer, type InvariantId } from './invariants.ts';
import type { SyncedView } from './storage.ts';

function setup(ids: string[] = ['n1', 'n2', 'n3']) {
  const obs = new Observer({ seed: 42, step: () => 7 });
  const cores = new Map(ids.map((id) => [id, new FakeCore(id, ids)]));
  for (const [id, c] of cores) obs.attach(id, c);
  const core = (id: string): FakeCore => cores.get(id)!;
  const found = (): InvariantId[] => obs.violations.map((v) => v.id);
  return { obs, core, found };
}

function synced(hs: HardState, lastIndex: number, term = hs.term): SyncedView {
  return { hardState: () => hs, termAt: (i) => (i === 0 ? 0 : i <= lastIndex ? term : undefined), snapshotIndex: () => 0 };
}

describe('invariant observer', () => {
  it('stays quiet on a legal history', () => {
    const { obs, core, found } = setup();
    const [n1, n2, n3] = ['n1', 'n2', 'n3'].map(core) as [FakeCore, FakeCore, FakeCore];
    for (const c of [n1, n2, n3]) c.term = 1;
    n1.vote = n2.vote = n3.vote = 'n1';
    n1.role = Role.Leader;
    n1.append(ent(1, 1), ent(2, 1));
    n1.stableIndex = 2;
    for (const id of ['n1', 'n2', 'n3']) obs.afterAction(id);
    n2.append(ent(1, 1), ent(2, 1));
    obs.afterAction('n2');
    n1.setMatch('n2', 2);
    n1.setMatch('n3', 0);
    n1.commitIndex = 2;
    obs.afterAction('n1');
    obs.onApply('n1', ent(1, 1));
    obs.onApply('n2', ent(1, 1));
    obs.onReadRequest('r1');
    obs.onReadState('n1', { context: 'r1', index: 2 });
    obs.onSynced('n2', { term: 1, vote: 'n1', commit: 0 });
    obs.onSend('n2', { type: 'voteResp', from: 'n2', to: 'n1', term: 1, reject: false }, synced({ term: 1, vote: 'n1', commit: 0 }, 2));
    obs.onSend('n2', { type: 'appResp', from: 'n2', to: 'n1', term: 1, index: 2, reject: false, hintIndex: 0, hintTerm: 0 }, synced({ term: 1, vote: 'n1', commit: 0 }, 2), 1);
    assert.deepEqual(found(), []);
  });

  it('I1: two leaders in one term', () => {
    const { obs, core, found } = setup();
    core('n1').term = core('n2').term = 2;
    core('n1').role = Role.Leader;
    obs.afterAction('n1');
    core('n2').role = Role.Leader;
    obs.afterAction('n2');
    assert.deepEqual(found(), ['I1']);
    const text = formatViolation(obs.violations[0]!);
    assert.match(text, /^I1 election safety: n2 and n1 are both leader of term 2 \(step 7, seed 42\)$/);
  });

  it('I1: two nodes sending appends in one term', () => {
    const { obs, found } = setup();
    const app = (from: string): Message => ({ type: 'app', from, to: 'n3', term: 3, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
    obs.onSend('n1', app('n1'), synced({ term: 3, vote: 'n1', commit: 0 }, 0));
    obs.onSend('n1', app('n1'), synced({ term: 3, vote: 'n1', commit: 0 }, 0));
    obs.onSend('n2', app('n2'), synced({ term: 3, vote: 'n2', commit: 0 }, 0));
    assert.deepEqual(found(), ['I1']);
  });

  it('I2: a persisted vote changing within a term', () => {
    const { obs, found } = setup();
    obs.onSynced('n1', { term: 5, vote: 'n2', commit: 0 });
    obs.onSynced('n1', { term: 5, vote: 'n2', commit: 0 });
    obs.onSynced('n1', { term: 5, vote: 'n3', commit: 0 });
    assert.deepEqual(found(), ['I2']);
  });

  it('I2: a vote forgotten across a restart', () => {
    const { obs, found } = setup();
    obs.onSynced('n1', { term: 5, vote: 'n2', commit: 0 });
    obs.detach('n1');
    const restarted = new FakeCore('n1', ['n1', 'n2', 'n3']);
    restarted.term = 5; // vote '' although 'n2' was persisted
    obs.attach('n1', restarted, { hardState: { term: 5, vote: 'n2', commit: 0 }, entries: [] });
    assert.deepEqual(found(), ['I2']);
  });

  it('I2: an in-memory vote changing within a term', () => {
    const { obs, core, found } = setup();
    core('n1').term = 3;
    core('n1').vote = 'n2';
    obs.afterAction('n1');
    core('n1').vote = 'n3';
    obs.afterAction('n1');
    assert.deepEqual(found(), ['I2']);
  });

  it('I3: terms going back', () => {
    const { obs, core, found } = setup();
    obs.onSynced('n1', { term: 5, vote: '', commit: 0 });
    obs.onSynced('n1', { term: 4, vote: '', commit: 0 });
    core('n2').term = 3;
    obs.afterAction('n2');
    core('n2').term = 2;
    obs.afterAction('n2');
    assert.deepEqual(found(), ['I3', 'I3']);
  });

  it('I4: a leader removing entries from its log', () => {
    const { obs, core, found } = setup();
    const n1 = core('n1');
    n1.term = 2;
    n1.role = Role.Leader;
    n1.append(ent(1, 2), ent(2, 2));
    obs.afterAction('n1');
    n1.log.length = 1;
    obs.afterAction('n1');
    assert.deepEqual(found(), ['I4']);
  });

  it('I5: the same (index, term) with different content or prefix', () => {
    const { obs, core, found } = setup();
    core('n1').append(ent(1, 1, 'a'), ent(2, 1, 'b'));
    obs.afterAction('n1');
    core('n2').append(ent(1, 1, 'a'), ent(2, 1, 'B'));
    obs.afterAction('n2');
    core('n3').append(ent(1, 1, 'z'), ent(2, 1, 'b'));
    obs.afterAction('n3');
    assert.deepEqual(found(), ['I5', 'I5']);
    assert.match(obs.violations[0]!.message, /n2 and n1 both hold \(2, t1\)/);
  });

  it('I6: a new leader missing a committed entry', () => {
    const { obs, core, found } = setup();
    core('n1').term = 1;
    core('n1').append(ent(1, 1), ent(2, 1));
    core('n1').commitIndex = 2;
    obs.afterAction('n1');
    const n2 = core('n2');
    n2.append(ent(1, 1));
    n2.term = 2;
    n2.role = Role.Leader;
    obs.afterAction('n2');
    assert.deepEqual(found(), ['I6']);
  });

  it('I7: different entries applied or committed at one index', () => {
    const { obs, core, found } = setup();
    obs.onApply('n1', ent(1, 1, 'a'));
    obs.onApply('n2', ent(1, 1, 'b'));
    core('n1').append(ent(1, 1, 'x'));
    core('n1').commitIndex = 1;
    obs.afterAction('n1');
    core('n3').append(ent(1, 2, 'y'));
    core('n3').commitIndex = 1;
    obs.afterAction('n3');
    assert.deepEqual(found(), ['I7', 'I7']);
  });

  it('I8: commit beyond the log, applying out of order', () => {
    const { obs, core, found } = setup();
    core('n1').append(ent(1, 1));
    core('n1').commitIndex = 3;
    obs.afterAction('n1');
    obs.onApply('n2', ent(2, 1));
    assert.deepEqual(found(), ['I8', 'I8']);
  });

  it('I9: a committed entry truncated', () => {
    const { obs, core, found } = setup();
    const n1 = core('n1');
    n1.term = 1;
    n1.append(ent(1, 1), ent(2, 1), ent(3, 1));
    n1.commitIndex = 3;
    obs.afterAction('n1');
    n1.term = 2;
    n1.append(ent(2, 2));
    obs.afterAction('n1');
    assert.ok(found().includes('I9'), found().join());
  });

  it('I9: an entry committed elsewhere truncated by a node that did not know', () => {
    const { obs, core, found } = setup();
    core('n1').append(ent(1, 1), ent(2, 1));
    core('n1').commitIndex = 2;
    obs.afterAction('n1');
    const n2 = core('n2');
    n2.append(ent(1, 1), ent(2, 1));
    obs.afterAction('n2');
    n2.append(ent(2, 3));
    obs.afterAction('n2');
    assert.deepEqual(found(), ['I9']);
  });

  it('I10: a leader committing without a quorum, or an old-term entry by counting', () => {
    const { obs, core, found } = setup();
    const n1 = core('n1');
    n1.term = 3;
    n1.role = Role.Leader;
    n1.append(ent(1, 2), ent(2, 3));
    n1.stableIndex = 2;
    n1.setMatch('n2', 0);
    n1.setMatch('n3', 0);
    obs.afterAction('n1');
    n1.commitIndex = 2; // only the leader has index 2
    obs.afterAction('n1');
    assert.deepEqual(found(), ['I10']);

    const b = setup();
    const m1 = b.core('n1');
    m1.term = 3;
    m1.role = Role.Leader;
    m1.append(ent(1, 2), ent(2, 3));
    m1.stableIndex = 2;
    m1.setMatch('n2', 1);
    m1.setMatch('n3', 0);
    b.obs.afterAction('n1');
    m1.commitIndex = 1; // a quorum holds index 1, but it is of term 2
    b.obs.afterAction('n1');
    assert.deepEqual(b.found(), ['I10']);
    assert.match(b.obs.violations[0]!.message, /an entry of term 2/);
  });

  it('I11: acks, grants and vote requests before the state is durable', () => {
    const { obs, found } = setup();
    const hs = { term: 4, vote: '', commit: 0 };
    obs.onSend('n2', { type: 'appResp', from: 'n2', to: 'n1', term: 4, index: 3, reject: false, hintIndex: 0, hintTerm: 0 }, synced(hs, 2), 4);
    obs.onSend('n2', { type: 'voteResp', from: 'n2', to: 'n1', term: 4, reject: false }, synced(hs, 2));
    obs.onSend('n3', { type: 'vote', from: 'n3', to: 'n1', term: 4, lastIndex: 0, lastTerm: 0, transfer: false }, synced({ term: 3, vote: '', commit: 0 }, 0));
    // Legal: a rejection, and a stale vote request of a term below the durable one.
    obs.onSend('n2', { type: 'voteResp', from: 'n2', to: 'n1', term: 4, reject: true }, synced(hs, 2));
    obs.onSend('n3', { type: 'vote', from: 'n3', to: 'n1', term: 2, lastIndex: 0, lastTerm: 0, transfer: false }, synced({ term: 3, vote: '', commit: 0 }, 0));
    assert.deepEqual(found(), ['I11', 'I11', 'I11']);
  });

  it('I12: a leader believing a follower holds more than it does', () => {
    const { obs, core, found } = setup();
    const [n1, n2] = [core('n1'), core('n2')];
    n1.term = n2.term = 2;
    n2.append(ent(1, 1));
    obs.afterAction('n2');
    n1.role = Role.Leader;
    n1.append(ent(1, 1), ent(2, 2));
    n1.setMatch('n2', 2);
    obs.afterAction('n1');
    assert.deepEqual(found(), ['I12']);
  });

  it('I13: two uncommitted config entries in a leader, a non-voter campaigning', () => {
    const { obs, core, found } = setup(['n1', 'n2', 'n3', 'n4']);
    const n1 = core('n1');
    n1.cfg = { voters: ['n1', 'n2', 'n3'], nonVoters: ['n4'] };
    core('n4').cfg = n1.cfg;
    n1.term = 2;
    n1.role = Role.Leader;
    n1.append(ent(1, 2));
    n1.commitIndex = 0;
    obs.afterAction('n1');
    n1.append(cfgEnt(2, 2, { type: 'addVoter', id: 'n5' }));
    obs.afterAction('n1');
    n1.append(cfgEnt(3, 2, { type: 'promote', id: 'n4' }));
    obs.afterAction('n1');
    core('n4').term = 3;
    core('n4').role = Role.Candidate;
    obs.afterAction('n4');
    assert.deepEqual(found(), ['I13', 'I13']);
  });

  it('I14: a read index below a commit that preceded the read', () => {
    const { obs, core, found } = setup();
    core('n1').append(ent(1, 1), ent(2, 1));
    core('n1').commitIndex = 2;
    obs.afterAction('n1');
    obs.onReadRequest('r1');
    obs.onReadState('n2', { context: 'r1', index: 1 });
    obs.onReadRequest('r2');
    obs.onReadState('n1', { context: 'r2', index: 2 });
    assert.deepEqual(found(), ['I14']);
  });
});
