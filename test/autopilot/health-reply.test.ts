import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  autopilotGauges, formatStableSince, healthPrecondition, healthReply, healthStatusCode, nextState,
} from '../../src/autopilot/index.ts';
import { SETTINGS, config, known, knownMap } from './fakes.ts';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

function state() {
  return nextState({
    now: T0 + 400, previous: undefined, settings: SETTINGS, config: config(['aa', 'bb'], ['cc']),
    known: knownMap(known('aa'), known('bb'), { ...known('cc'), status: 'unknown' }), leaderId: 'aa', leaderLastIndex: 812, leaderLastTerm: 4,
    fetched: new Map([
      ['aa', { lastContactMs: 0, lastIndex: 812, lastTerm: 4 }],
      ['bb', { lastContactMs: 27.291304, lastIndex: 811, lastTerm: 4 }],
      ['cc', { lastContactMs: 1500, lastIndex: 700, lastTerm: 4 }],
    ]),
  });
}

test('the reply body has §1.6 keys in Nomad order, durations as Go strings', () => {
  const body = JSON.stringify(healthReply(state()));
  const parsed = JSON.parse(body);
  assert.deepEqual(Object.keys(parsed), ['Healthy', 'FailureTolerance', 'Servers', 'Leader', 'Voters']);
  assert.deepEqual(parsed.Voters, ['aa', 'bb']);
  assert.equal(parsed.Leader, 'aa');
  assert.equal(parsed.Healthy, false);
  assert.equal(parsed.FailureTolerance, 0);
  const [a, b, c] = parsed.Servers;
  assert.deepEqual(Object.keys(a), ['LastContact', 'ID', 'Name', 'Address', 'SerfStatus', 'Version', 'Leader', 'LastTerm', 'LastIndex', 'Healthy', 'Voter', 'StableSince']);
  assert.deepEqual(a, {
    LastContact: '0s', ID: 'aa', Name: 'srv-aa.global', Address: '10.0.0.1:4647', SerfStatus: 'alive', Version: '2.0.5',
    Leader: true, LastTerm: 4, LastIndex: 812, Healthy: true, Voter: true, StableSince: '2026-01-01T10:00:00Z',
  });
  assert.equal(b.LastContact, '27.291304ms');
  assert.equal(b.Leader, false);
  assert.equal(b.Voter, true);
  assert.equal(c.LastContact, '1.5s');
  assert.equal(c.Voter, false);
  assert.equal(c.SerfStatus, 'none', 'an unknown status is reported as none');
  assert.equal(c.Healthy, false);
});

test('StableSince is RFC 3339 in UTC, rounded to the second', () => {
  assert.equal(formatStableSince(T0 + 499), '2026-01-01T10:00:00Z');
  assert.equal(formatStableSince(T0 + 500), '2026-01-01T10:00:01Z');
});

test('no state yet (or reset): the zero reply with nulls, answered 429', () => {
  const r = healthReply(undefined);
  assert.equal(JSON.stringify(r), '{"Healthy":false,"FailureTolerance":0,"Servers":null,"Leader":"","Voters":null}');
  assert.equal(healthStatusCode(r), 429);
});

test('status code: 200 when healthy, 429 otherwise', () => {
  const s = state();
  assert.equal(healthStatusCode(healthReply(s)), 429);
  assert.equal(healthStatusCode(healthReply({ ...s, healthy: true })), 200);
});

test('gauges carry healthy as 1/0 and the failure tolerance', () => {
  const s = state();
  assert.deepEqual(autopilotGauges(s), { 'nomad.autopilot.healthy': 0, 'nomad.autopilot.failure_tolerance': 0 });
  assert.deepEqual(autopilotGauges({ ...s, healthy: true, failureTolerance: 2 }), { 'nomad.autopilot.healthy': 1, 'nomad.autopilot.failure_tolerance': 2 });
});

test('§1.6 refusals: no alive servers, or an alive server below raft protocol 3', () => {
  assert.equal(healthPrecondition([]), 'error getting server raft protocol versions: No servers found');
  assert.equal(healthPrecondition([{ status: 'failed', raftVersion: 3 }]), 'error getting server raft protocol versions: No servers found');
  assert.equal(healthPrecondition([{ status: 'alive', raftVersion: 3 }, { status: 'alive', raftVersion: 2 }]), 'all servers must have raft_protocol set to 3 or higher to use this endpoint');
  assert.equal(healthPrecondition([{ status: 'alive', raftVersion: 3 }, { status: 'failed', raftVersion: 2 }]), undefined);
});
