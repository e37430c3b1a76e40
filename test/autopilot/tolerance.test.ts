import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureTolerance, nextState, requiredQuorum } from '../../src/autopilot/index.ts';
import { SETTINGS, config, known, knownMap } from './fakes.ts';

test('§4.3 examples', () => {
  assert.equal(failureTolerance(3, 3), 1);
  assert.equal(failureTolerance(5, 5), 2);
  assert.equal(failureTolerance(5, 4), 1);
  assert.equal(failureTolerance(4, 4), 1);
  assert.equal(failureTolerance(1, 1), 0);
  assert.equal(failureTolerance(5, 2), 0, 'never negative');
  assert.equal(requiredQuorum(4), 3);
});

test('§9.6: MinQuorum=5 with one of 5 voters failed → tolerance 4 − 3 = 1', () => {
  assert.equal(failureTolerance(5, 4), 1);
});

test('non-voters never count towards failure tolerance', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const st = { lastContactMs: 1, lastIndex: 10, lastTerm: 1 };
  const s = nextState({
    now: 0, previous: undefined, settings: SETTINGS, config: config(['a', 'b', 'c'], ['d', 'e']),
    known: knownMap(...ids.map((id) => known(id))), leaderId: 'a', leaderLastIndex: 10, leaderLastTerm: 1,
    fetched: new Map(ids.map((id) => [id, st])),
  });
  assert.equal(s.healthy, true);
  assert.equal(s.failureTolerance, 1);
  assert.deepEqual([...s.voters].sort(), ['a', 'b', 'c']);
});

test('an unhealthy voter lowers the tolerance (5 voters, 1 failed → 1)', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const st = { lastContactMs: 1, lastIndex: 10, lastTerm: 1 };
  const s = nextState({
    now: 0, previous: undefined, settings: SETTINGS, config: config(ids),
    known: knownMap(...ids.map((id) => known(id, id === 'e' ? 'failed' : 'alive'))), leaderId: 'a', leaderLastIndex: 10, leaderLastTerm: 1,
    fetched: new Map(ids.map((id) => [id, st])),
  });
  assert.equal(s.failureTolerance, 1);
  assert.equal(s.healthy, false);
});
