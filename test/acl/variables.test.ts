// Variable permissions: path rules (exact, else the closest glob), the grant a namespace
// policy word gives (Part A §23), and deny.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Acl, VariableOp } from '../../src/acl/index.ts';
import { aclOf } from './helpers.ts';

const OPS: VariableOp[] = ['read', 'list', 'write', 'destroy'];
const ops = (a: Acl, path: string, ns = 'default') => OPS.filter((op) => a.allowVariableOp(ns, path, op));

test('namespace read grants read/list, write grants read/list/write/destroy, on every path', () => {
  assert.deepEqual(ops(aclOf('namespace "default" { policy = "read" }'), 'app/db'), ['read', 'list']);
  assert.deepEqual(ops(aclOf('namespace "default" { policy = "write" }'), 'app/db'), OPS);
  assert.deepEqual(ops(aclOf('namespace "default" { policy = "write" }'), 'app/db', 'other'), []);
  assert.deepEqual(ops(aclOf('namespace "default" { policy = "scale" }'), 'app/db'), []);
  assert.deepEqual(ops(aclOf('namespace "default" { capabilities = ["submit-job", "read-job"] }'), 'app/db'), []);
});

test('path rules grant what they list (read brings list)', () => {
  const a = aclOf('namespace "default" { variables { path "app/*" { capabilities = ["read"] } path "ops/db" { capabilities = ["write"] } } }');
  assert.deepEqual(ops(a, 'app/db'), ['read', 'list']);
  assert.deepEqual(ops(a, 'ops/db'), ['write']);
  assert.deepEqual(ops(a, 'ops/db2'), []);
  assert.deepEqual(ops(a, 'other'), []);
  assert.deepEqual(ops(a, 'app/db', 'prod'), []);
});

test('an exact path beats globs; among globs the closest (smallest difference) wins', () => {
  const a = aclOf(`namespace "default" { variables {
    path "*" { capabilities = ["list"] }
    path "app/*" { capabilities = ["read"] }
    path "app/secret/*" { capabilities = ["deny"] }
    path "app/secret/open" { capabilities = ["write"] }
  } }`);
  assert.deepEqual(ops(a, 'zzz'), ['list']);
  assert.deepEqual(ops(a, 'app/x'), ['read', 'list']);
  assert.deepEqual(ops(a, 'app/secret/key'), []);
  assert.deepEqual(ops(a, 'app/secret/open'), ['write']);
});

test('equally close globs: the last in byte order wins (Nomad\'s stable sort with <=)', () => {
  // Both match "ab" with difference 2 - 2 + 1 = 1.
  const a = aclOf('namespace "default" { variables { path "a*" { capabilities = ["read"] } path "*b" { capabilities = ["write"] } } }');
  assert.deepEqual(ops(a, 'ab'), ['read', 'list']); // "a*" > "*b" in byte order
});

test('namespace globs pick the exact namespace, else the closest glob', () => {
  const a = aclOf('namespace "*" { policy = "read" }', 'namespace "prod-*" { policy = "write" }', 'namespace "prod-secure" { policy = "deny" }');
  assert.deepEqual(ops(a, 'x', 'default'), ['read', 'list']);
  assert.deepEqual(ops(a, 'x', 'prod-web'), OPS);
  assert.deepEqual(ops(a, 'x', 'prod-secure'), []);
  // Path rules under a glob namespace match by the combined key.
  const b = aclOf('namespace "team-*" { variables { path "cfg/*" { capabilities = ["read"] } } }');
  assert.deepEqual(ops(b, 'cfg/a', 'team-a'), ['read', 'list']);
  assert.deepEqual(ops(b, 'cfg/a', 'default'), []);
});

test('the namespace grant and the path rule are unioned', () => {
  const a = aclOf('namespace "default" { policy = "read" variables { path "app/*" { capabilities = ["write"] } } }');
  assert.deepEqual(ops(a, 'app/db'), OPS.filter((o) => o !== 'destroy'));
  assert.deepEqual(ops(a, 'elsewhere'), ['read', 'list']);
});

test('deny wins: in a path rule, in a namespace word, across policies, in any order', () => {
  const inPath = aclOf('namespace "default" { policy = "write" variables { path "secret/*" { capabilities = ["deny"] } } }');
  assert.deepEqual(ops(inPath, 'secret/x'), []);
  assert.deepEqual(ops(inPath, 'public/x'), OPS);
  const grant = 'namespace "default" { variables { path "a" { capabilities = ["read", "write"] } } }';
  const deny = 'namespace "default" { variables { path "a" { capabilities = ["deny"] } } }';
  assert.deepEqual(ops(aclOf(grant, deny), 'a'), []);
  assert.deepEqual(ops(aclOf(deny, grant), 'a'), []);
  const nsDeny = 'namespace "default" { policy = "deny" }';
  assert.deepEqual(ops(aclOf(grant, nsDeny), 'a'), []);
  assert.deepEqual(ops(aclOf('namespace "default" { policy = "write" }', nsDeny), 'a'), []);
  assert.deepEqual(ops(aclOf('namespace "default" { capabilities = ["deny"] }', 'namespace "default" { policy = "write" }'), 'a'), []);
});

test('path capabilities from several policies are unioned', () => {
  const a = aclOf('namespace "default" { variables { path "a/*" { capabilities = ["read"] } } }', 'namespace "default" { variables { path "a/*" { capabilities = ["destroy"] } } }');
  assert.deepEqual(ops(a, 'a/b'), ['read', 'list', 'destroy']);
});
