// How several policies combine on one token (§6.2), and the checks built on that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Acl } from '../../src/acl/index.ts';
import { aclOf } from './helpers.ts';

const checks = (a: Acl) => ({
  opRead: a.allowOperatorRead(), opWrite: a.allowOperatorWrite(), save: a.allowOperatorOperation('snapshot-save'),
  license: a.allowOperatorOperation('license-read'), agentRead: a.allowAgentRead(), agentWrite: a.allowAgentWrite(),
  nodeRead: a.allowNodeRead(), nodeWrite: a.allowNodeWrite(), mgmt: a.isManagement(),
});

test('the virtual identities allow everything; an ACL with no policies allows nothing', () => {
  for (const a of [Acl.allowAll(), Acl.management()]) {
    assert.ok(Object.values(checks(a)).every(Boolean), a.kind);
    assert.equal(a.allowVariableOp('default', 'any/path', 'destroy'), true);
  }
  assert.equal(Acl.allowAll().isDisabled(), true);
  assert.equal(Acl.management().isDisabled(), false);
  const none = Acl.fromPolicies([]);
  assert.ok(Object.values(checks(none)).every((v) => !v));
  assert.equal(none.allowVariableOp('default', 'a', 'read'), false);
});

test('operator read / write / capability checks', () => {
  assert.deepEqual(
    [aclOf('operator { policy = "read" }')].map((a) => [a.allowOperatorRead(), a.allowOperatorWrite(), a.allowOperatorOperation('snapshot-save'), a.allowOperatorOperation('license-read')]),
    [[true, false, false, true]],
  );
  const w = aclOf('operator { policy = "write" }');
  assert.deepEqual([w.allowOperatorRead(), w.allowOperatorWrite(), w.allowOperatorOperation('keyring-delete')], [true, true, true]);
  // A capability alone grants that operation and nothing else.
  const c = aclOf('operator { capabilities = ["snapshot-save"] }');
  assert.deepEqual([c.allowOperatorRead(), c.allowOperatorWrite(), c.allowOperatorOperation('snapshot-save'), c.allowOperatorOperation('license-read')], [false, false, true, false]);
  assert.equal(c.isManagement(), false);
});

test('policy words combine by precedence deny > write > read > list', () => {
  assert.equal(aclOf('operator { policy = "read" }', 'operator { policy = "write" }').allowOperatorWrite(), true);
  assert.equal(aclOf('operator { policy = "write" }', 'operator { policy = "read" }').allowOperatorWrite(), true);
  for (const order of [['write', 'deny'], ['deny', 'write'], ['read', 'deny']]) {
    const a = aclOf(...order.map((p) => `operator { policy = "${p}" }`));
    assert.equal(a.allowOperatorRead(), false, order.join('+'));
    assert.equal(a.allowOperatorOperation('license-read'), false, order.join('+'));
  }
  assert.equal(aclOf('agent { policy = "write" }', 'agent { policy = "deny" }').allowAgentRead(), false);
  assert.equal(aclOf('node { policy = "deny" }', 'node { policy = "read" }').allowNodeRead(), false);
});

test('capabilities are unioned across policies; a deny capability clears them, in any order', () => {
  const union = aclOf('operator { capabilities = ["snapshot-save"] }', 'operator { capabilities = ["keyring-read"] }');
  assert.deepEqual([union.allowOperatorOperation('snapshot-save'), union.allowOperatorOperation('keyring-read')], [true, true]);
  for (const pair of [['["snapshot-save"]', '["deny"]'], ['["deny"]', '["snapshot-save"]']]) {
    const a = aclOf(...pair.map((c) => `operator { capabilities = ${c} }`));
    assert.equal(a.allowOperatorOperation('snapshot-save'), false, pair.join(' then '));
  }
});

test('operator write grants every operation even when another policy holds only a deny capability (§6.2 as written)', () => {
  const a = aclOf('operator { policy = "write" }', 'operator { capabilities = ["deny"] }');
  assert.equal(a.allowOperatorOperation('snapshot-save'), true);
  assert.equal(a.allowOperatorOperation('keyring-rotate'), true);
  // The capability deny still clears what a read policy's capabilities would give.
  assert.equal(aclOf('operator { policy = "read" }', 'operator { capabilities = ["deny"] }').allowOperatorOperation('license-read'), false);
});

test('agent and node checks', () => {
  const r = aclOf('agent { policy = "read" }\nnode { policy = "write" }');
  assert.deepEqual([r.allowAgentRead(), r.allowAgentWrite(), r.allowNodeRead(), r.allowNodeWrite()], [true, false, true, true]);
  const w = aclOf('agent { policy = "write" }');
  assert.deepEqual([w.allowAgentRead(), w.allowAgentWrite(), w.allowNodeRead()], [true, true, false]);
  // A policy for one area grants nothing in another.
  assert.equal(aclOf('node { policy = "write" }').allowOperatorRead(), false);
});

test('blocks stored but governing nothing change no check', () => {
  const a = aclOf('host_volume "*" { policy = "write" }\nquota { policy = "write" }\nplugin { policy = "write" }\nnamespace "default" { capabilities = ["submit-job"] }');
  assert.ok(Object.values(checks(a)).every((v) => !v));
  assert.equal(a.allowVariableOp('default', 'x', 'read'), false);
});
