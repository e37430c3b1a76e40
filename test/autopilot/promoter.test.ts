import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextState, promotions, stabilizationWindow, type AutopilotState, type StateInputs } from '../../src/autopilot/index.ts';
import { SETTINGS, config, known, knownMap } from './fakes.ts';

const W = 60_000;
const settings = { ...SETTINGS, serverStabilizationTimeMs: W };
const GOOD = { lastContactMs: 10, lastIndex: 100, lastTerm: 2 };

function round(now: number, previous: AutopilotState | undefined, over: Partial<StateInputs> = {}): AutopilotState {
  return nextState({
    now, previous, settings, config: config(['a', 'b', 'c'], ['d']),
    known: knownMap(known('a'), known('b'), known('c'), known('d')), leaderId: 'a', leaderLastIndex: 100, leaderLastTerm: 2,
    fetched: new Map(['a', 'b', 'c', 'd'].map((id) => [id, GOOD])), ...over,
  });
}

test('W is 0 while the first state is no older than W, then the configured value', () => {
  const s = round(1000, undefined);
  assert.equal(stabilizationWindow(s, settings, 1000), 0);
  assert.equal(stabilizationWindow(s, settings, 1000 + W), 0);
  assert.equal(stabilizationWindow(s, settings, 1000 + W + 1), W);
});

test('§9.7 second half: a young autopilot promotes a healthy non-voter at once', () => {
  const s = round(1000, undefined);
  assert.deepEqual(promotions(s, settings, 1000), ['d']);
});

test('§9.7 first half: on an old autopilot a fresh server waits W after becoming healthy', () => {
  // Autopilot has run > W; d appears catching up, becomes healthy at t1.
  let s = round(0, undefined, { config: config(['a', 'b', 'c']) });
  s = round(W + 10_000, s, { fetched: new Map([['d', { ...GOOD, lastIndex: 0, lastTerm: 0 }]]) });
  assert.equal(s.servers.find((x) => x.id === 'd')!.healthy, false);
  assert.deepEqual(promotions(s, settings, W + 10_000), []);
  const t1 = W + 12_000;
  s = round(t1, s);
  assert.equal(s.servers.find((x) => x.id === 'd')!.stableSince, t1);
  assert.deepEqual(promotions(s, settings, t1), []);
  assert.deepEqual(promotions(s, settings, t1 + W - 1), []);
  assert.deepEqual(promotions(s, settings, t1 + W), ['d']);
});

test('unhealthy, voters and the leader are never promoted; no leader → nothing', () => {
  const s = round(1000, undefined, { fetched: new Map([['d', { ...GOOD, lastTerm: 1 }]]) });
  assert.deepEqual(promotions(s, settings, 1000), []);
  const noLeader = round(1000, undefined, { leaderId: '' });
  assert.deepEqual(promotions(noLeader, settings, 1000), []);
  const healthy = round(1000, undefined);
  assert.deepEqual(promotions(healthy, { ...settings, serverStabilizationTimeMs: 0 }, 5000), ['d']);
});
