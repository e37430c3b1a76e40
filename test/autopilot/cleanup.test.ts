import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupPlan, type CleanupAction } from '../../src/autopilot/index.ts';
import { SETTINGS, config, known, knownMap } from './fakes.ts';

const show = (a: CleanupAction) => `${a.kind} ${a.id}`;
const ids = (n: number) => Array.from({ length: n }, (_, i) => `s${i + 1}`);

test('3 voters, 1 failed → force-leave it (maxRemoval 1)', () => {
  const p = cleanupPlan(config(['s1', 's2', 's3']), knownMap(known('s1'), known('s2'), known('s3', 'failed')), SETTINGS, 's1');
  assert.deepEqual(p.actions.map(show), ['forceLeave s3']);
  assert.equal(p.actions[0]!.kind === 'forceLeave' && p.actions[0]!.name, 'srv-s3.global');
});

test('5 voters, 2 failed → both; 5 voters, 3 failed → at most 2', () => {
  const five = config(ids(5));
  const two = cleanupPlan(five, knownMap(known('s1'), known('s2'), known('s3'), known('s4', 'failed'), known('s5', 'failed')), SETTINGS, 's1');
  assert.deepEqual(two.actions.map(show), ['forceLeave s4', 'forceLeave s5']);
  const three = cleanupPlan(five, knownMap(known('s1'), known('s2'), known('s3', 'failed'), known('s4', 'failed'), known('s5', 'failed')), SETTINGS, 's1');
  assert.deepEqual(three.actions.map(show), ['forceLeave s3', 'forceLeave s4']);
  assert.deepEqual(three.skipped, [{ id: 's5', reason: 'majority' }]);
});

test('MinQuorum=3 with 3 voters and 1 failed → not removed', () => {
  const p = cleanupPlan(config(['s1', 's2', 's3']), knownMap(known('s1'), known('s2'), known('s3', 'failed')), { ...SETTINGS, minQuorum: 3 }, 's1');
  assert.deepEqual(p.actions, []);
  assert.deepEqual(p.skipped, [{ id: 's3', reason: 'min-quorum' }]);
});

test('§9.6 unit: 7 voters, 4 failed → one pass removes at most floor(6/2)=3, in id order', () => {
  const k = knownMap(...ids(7).map((id, i) => known(id, i >= 3 ? 'failed' : 'alive')));
  const p = cleanupPlan(config(['s7', 's5', 's1', 's4', 's2', 's6', 's3']), k, SETTINGS, 's1');
  assert.deepEqual(p.actions.map(show), ['forceLeave s4', 'forceLeave s5', 'forceLeave s6']);
  assert.deepEqual(p.skipped.map((s) => s.id), ['s7']);
});

test('§9.6 unit: stale voters go before failed voters, each by id, under one shared budget', () => {
  // s6, s7 have no member (stale); s4, s5 failed. Budget 3.
  const k = knownMap(known('s1'), known('s2'), known('s3'), known('s5', 'failed'), known('s4', 'failed'));
  const p = cleanupPlan(config(['s1', 's2', 's3', 's5', 's4', 's7', 's6']), k, SETTINGS, 's1');
  assert.deepEqual(p.actions.map(show), ['removeServer s6', 'removeServer s7', 'forceLeave s4']);
  assert.deepEqual(p.skipped.map((s) => s.id), ['s5']);
});

test('§9.6 unit: MinQuorum floor stops removals part-way', () => {
  const k = knownMap(...ids(7).map((id, i) => known(id, i >= 3 ? 'failed' : 'alive')));
  const p = cleanupPlan(config(ids(7)), k, { ...SETTINGS, minQuorum: 5 }, 's1');
  assert.deepEqual(p.actions.map(show), ['forceLeave s4', 'forceLeave s5']);
  assert.deepEqual(p.skipped, [{ id: 's6', reason: 'min-quorum' }, { id: 's7', reason: 'min-quorum' }]);
});

test('non-voters first and without the voter guards: failed → force-leave, stale → remove', () => {
  // 1 voter only: maxRemoval 0, yet dead non-voters still go.
  const k = knownMap(known('s1'), known('s3', 'failed'), known('s2', 'left'));
  const p = cleanupPlan(config(['s1'], ['s4', 's3', 's2', 's5']), k, { ...SETTINGS, minQuorum: 7 }, 's1');
  assert.deepEqual(p.actions.map(show), ['forceLeave s2', 'forceLeave s3', 'removeServer s4', 'removeServer s5']);
  assert.ok(p.actions.every((a) => !a.voter));
});

test('§9.5: a Raft voter with no member is removed as stale (5 voters)', () => {
  const k = knownMap(known('s1'), known('s2'), known('s3'), known('s4'));
  const p = cleanupPlan(config(ids(5)), k, SETTINGS, 's1');
  assert.deepEqual(p.actions.map(show), ['removeServer s5']);
  assert.equal(p.actions[0]!.voter, true);
});

test('alive servers and the leader itself are never candidates', () => {
  const p = cleanupPlan(config(['s1', 's2', 's3']), knownMap(known('s2'), known('s3')), SETTINGS, 's1');
  assert.deepEqual(p.actions, []);
  assert.deepEqual(p.skipped, []);
});
