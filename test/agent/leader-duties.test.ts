// The leader's membership → Raft rules (contract §5.3, §4.6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextChange, type MemberView } from '../../src/agent/leader-duties.ts';

const cfg = (voters: string[], nonVoters: string[], addresses: Record<string, string>) => ({ voters, nonVoters, addresses });
const m = (id: string, rpcAddr: string, status: MemberView['status'] = 'alive'): MemberView => ({ id, name: `${id}.global`, status, rpcAddr });

test('nextChange: alive newcomers join as non-voters; left members are removed; self is never touched', () => {
  const c = cfg(['a', 'b'], [], { a: '10.0.0.1:4647', b: '10.0.0.2:4647' });
  assert.deepEqual(nextChange(c, [m('a', '10.0.0.1:4647'), m('b', '10.0.0.2:4647'), m('c', '10.0.0.3:4647')], 'a'), { type: 'addNonVoter', id: 'c', address: '10.0.0.3:4647' });
  assert.deepEqual(nextChange(c, [m('a', '10.0.0.1:4647'), m('b', '10.0.0.2:4647', 'left')], 'a'), { type: 'remove', id: 'b' });
  assert.equal(nextChange(c, [m('a', '10.0.0.1:4647', 'left'), m('b', '10.0.0.2:4647', 'failed')], 'a'), undefined, 'failed members are autopilot\'s business');
});

test('nextChange: a fresh node ID at an address already in the configuration removes the old entry first (§5.3)', () => {
  const c = cfg(['a', 'b', 'old'], [], { a: '10.0.0.1:4647', b: '10.0.0.2:4647', old: '10.0.0.3:4647' });
  const members = [m('a', '10.0.0.1:4647'), m('b', '10.0.0.2:4647'), m('new', '10.0.0.3:4647')];
  assert.deepEqual(nextChange(c, members, 'a'), { type: 'remove', id: 'old' });
  const after = cfg(['a', 'b'], [], { a: '10.0.0.1:4647', b: '10.0.0.2:4647' });
  assert.deepEqual(nextChange(after, members, 'a'), { type: 'addNonVoter', id: 'new', address: '10.0.0.3:4647' });
  // Never the leader's own entry, even when a member claims its address.
  assert.deepEqual(nextChange(c, [m('a', '10.0.0.1:4647'), m('x', '10.0.0.1:4647')], 'a'), { type: 'addNonVoter', id: 'x', address: '10.0.0.1:4647' });
});

test('nextChange: a member that moved to a new address is removed, to be re-added with it', () => {
  const c = cfg(['a', 'b'], [], { a: '10.0.0.1:4647', b: '10.0.0.2:4647' });
  assert.deepEqual(nextChange(c, [m('a', '10.0.0.1:4647'), m('b', '10.0.0.9:4647')], 'a'), { type: 'remove', id: 'b' });
});
