import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net } from './harness.ts';

test('3 nodes elect a leader and commit proposals', () => {
  const net = new Net(['n1', 'n2', 'n3'], { preVote: true, checkQuorum: true });
  net.campaign('n1');
  assert.deepEqual(net.leaders(), ['n1']);
  assert.equal(net.core('n1').term, 1);
  for (let i = 0; i < 5; i++) net.propose('n1', `x${i}`);
  net.run(3);
  for (const id of ['n1', 'n2', 'n3']) {
    assert.deepEqual(net.appliedData(id), ['x0', 'x1', 'x2', 'x3', 'x4'], id);
    assert.equal(net.core(id).commitIndex, 6);
  }
});

test('elections happen by ticking', () => {
  const net = new Net(['n1', 'n2', 'n3', 'n4', 'n5'], { preVote: true, checkQuorum: true, seed: 7 });
  net.run(40);
  assert.equal(net.leaders().length, 1);
  const l = net.leaders()[0]!;
  net.propose(l, 'a');
  net.run(2);
  for (const id of net.nodes.keys()) assert.deepEqual(net.appliedData(id), ['a']);
});
