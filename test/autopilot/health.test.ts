import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isServerHealthy, nextState, type AutopilotState, type ServerStats, type StateInputs } from '../../src/autopilot/index.ts';
import { SETTINGS, config, known, knownMap } from './fakes.ts';

const GOOD: ServerStats = { lastContactMs: 10, lastIndex: 100, lastTerm: 2 };

function inputs(over: Partial<StateInputs> = {}): StateInputs {
  return {
    now: 1000, previous: undefined, settings: SETTINGS, config: config(['a', 'b', 'c']),
    known: knownMap(known('a'), known('b'), known('c')), leaderId: 'a', leaderLastIndex: 100, leaderLastTerm: 2,
    fetched: new Map([['a', { lastContactMs: 0, lastIndex: 100, lastTerm: 2 }], ['b', GOOD], ['c', GOOD]]),
    ...over,
  };
}

const server = (s: AutopilotState, id: string) => s.servers.find((x) => x.id === id)!;

test('rule 1: no known leader (last index or term 0) makes every server unhealthy', () => {
  assert.equal(isServerHealthy({ status: 'alive', stats: GOOD }, 2, 100, SETTINGS), true);
  assert.equal(isServerHealthy({ status: 'alive', stats: { ...GOOD, lastIndex: 0 } }, 2, 0, SETTINGS), false);
  assert.equal(isServerHealthy({ status: 'alive', stats: { ...GOOD, lastTerm: 0 } }, 0, 100, SETTINGS), false);
});

test('rule 2: only alive servers are healthy', () => {
  for (const status of ['failed', 'left', 'unknown'] as const) {
    assert.equal(isServerHealthy({ status, stats: GOOD }, 2, 100, SETTINGS), false, status);
  }
});

test('rule 3: 0 <= LastContact <= LastContactThreshold', () => {
  const h = (ms: number) => isServerHealthy({ status: 'alive', stats: { ...GOOD, lastContactMs: ms } }, 2, 100, SETTINGS);
  assert.equal(h(0), true);
  assert.equal(h(200), true);
  assert.equal(h(200.001), false);
  assert.equal(h(-1), false);
});

test('rule 4: LastTerm must equal the leader last term', () => {
  assert.equal(isServerHealthy({ status: 'alive', stats: { ...GOOD, lastTerm: 1 } }, 2, 100, SETTINGS), false);
  assert.equal(isServerHealthy({ status: 'alive', stats: { ...GOOD, lastTerm: 3 } }, 2, 100, SETTINGS), false);
});

test('rule 5: LastIndex + MaxTrailingLogs >= leader last index', () => {
  const h = (idx: number) => isServerHealthy({ status: 'alive', stats: { ...GOOD, lastIndex: idx } }, 2, 1000, SETTINGS);
  assert.equal(h(750), true);
  assert.equal(h(749), false);
});

test('all healthy: cluster Healthy, leader and voters reported', () => {
  const s = nextState(inputs());
  assert.equal(s.healthy, true);
  assert.equal(s.leader, 'a');
  assert.equal(s.voters[0], 'a');
  assert.deepEqual([...s.voters].sort(), ['a', 'b', 'c']);
  assert.equal(server(s, 'a').role, 'leader');
  assert.equal(server(s, 'b').role, 'voter');
  assert.equal(s.firstStateTime, 1000);
});

test('a catching-up non-voter makes the cluster unhealthy; servers known only to members are ignored', () => {
  const s = nextState(inputs({
    config: config(['a', 'b', 'c'], ['d']),
    known: knownMap(known('a'), known('b'), known('c'), known('d'), known('e')),
    leaderLastIndex: 400,
    fetched: new Map([['a', { ...GOOD, lastIndex: 400 }], ['b', { ...GOOD, lastIndex: 400 }], ['c', { ...GOOD, lastIndex: 400 }], ['d', { ...GOOD, lastIndex: 149 }]]),
  }));
  assert.equal(server(s, 'd').role, 'non-voter');
  assert.equal(server(s, 'd').healthy, false);
  assert.equal(s.healthy, false);
  assert.equal(s.servers.some((x) => x.id === 'e'), false);
  assert.equal(s.failureTolerance, 1);
});

test('StableSince: set on first appearance, kept while health holds, reset when it flips', () => {
  const s1 = nextState(inputs({ now: 1000 }));
  assert.equal(server(s1, 'b').stableSince, 1000);
  const s2 = nextState(inputs({ now: 3000, previous: s1 }));
  assert.equal(server(s2, 'b').stableSince, 1000);
  const bad = new Map([['a', GOOD], ['b', { ...GOOD, lastContactMs: 5000 }], ['c', GOOD]]);
  const s3 = nextState(inputs({ now: 5000, previous: s2, fetched: bad }));
  assert.equal(server(s3, 'b').healthy, false);
  assert.equal(server(s3, 'b').stableSince, 5000);
  assert.equal(server(s3, 'c').stableSince, 1000);
  const s4 = nextState(inputs({ now: 7000, previous: s3 }));
  assert.equal(server(s4, 'b').healthy, true);
  assert.equal(server(s4, 'b').stableSince, 7000);
  assert.equal(s4.firstStateTime, 1000, 'the first state time travels with the state');
});

test('stats not fetched this round are carried over from the previous round', () => {
  const s1 = nextState(inputs({ fetched: new Map([['a', GOOD], ['b', { lastContactMs: 5, lastIndex: 99, lastTerm: 2 }], ['c', GOOD]]) }));
  const s2 = nextState(inputs({ now: 3000, previous: s1, fetched: new Map([['a', GOOD]]) }));
  assert.deepEqual(server(s2, 'b').stats, { lastContactMs: 5, lastIndex: 99, lastTerm: 2 });
  assert.equal(server(s2, 'b').healthy, true);
  // A server never fetched has zero stats: LastTerm 0 differs from the leader's, so unhealthy.
  const s3 = nextState(inputs({ fetched: new Map([['a', GOOD], ['b', GOOD]]) }));
  assert.deepEqual(server(s3, 'c').stats, { lastContactMs: 0, lastIndex: 0, lastTerm: 0 });
  assert.equal(server(s3, 'c').healthy, false);
});

test('§9.5: a Raft server no member knows is left and unhealthy (and keeps a name it had)', () => {
  const s1 = nextState(inputs());
  const s2 = nextState(inputs({ now: 3000, previous: s1, known: knownMap(known('a'), known('b')) }));
  assert.equal(server(s2, 'c').status, 'left');
  assert.equal(server(s2, 'c').healthy, false);
  assert.equal(server(s2, 'c').name, 'srv-c.global');
  assert.equal(s2.healthy, false);
  const fresh = nextState(inputs({ known: knownMap(known('a'), known('b')) }));
  assert.equal(server(fresh, 'c').name, '');
  assert.equal(server(fresh, 'c').status, 'left');
});

test('no leader in the configuration: Leader is empty', () => {
  const s = nextState(inputs({ leaderId: 'z' }));
  assert.equal(s.leader, '');
  assert.ok(s.servers.every((x) => x.role !== 'leader'));
});

test('Voters are sorted: leader, then healthy (longer stable first), then unhealthy (latest flip first), then by id', () => {
  const cfg = config(['e', 'd', 'c', 'b', 'a', 'f']);
  const all = knownMap(...['a', 'b', 'c', 'd', 'e', 'f'].map((id) => known(id)));
  const base = { config: cfg, known: all, leaderId: 'c' };
  const bad = { ...GOOD, lastTerm: 1 };
  let s = nextState(inputs({ ...base, now: 1000, fetched: new Map(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => [id, GOOD])) }));
  s = nextState(inputs({ ...base, now: 3000, previous: s, fetched: new Map([['a', bad], ['b', bad]]) })); // a, b unhealthy
  s = nextState(inputs({ ...base, now: 5000, previous: s, fetched: new Map([['d', bad]]) })); // d unhealthy
  s = nextState(inputs({ ...base, now: 7000, previous: s, fetched: new Map([['a', GOOD]]) })); // a healthy again
  // healthy: e, f since 1000 (by id), a since 7000; unhealthy: d (5000) before b (3000).
  assert.deepEqual(s.voters, ['c', 'e', 'f', 'a', 'd', 'b']);
});
