// Identity resolution (§6.1) and the §9.10 snapshot scenario matrix at the unit level.
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PermissionDeniedError, PolicyError, resolveToken, type Identity } from '../../src/acl/index.ts';
import { FakeState } from './helpers.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const deps = (state: FakeState, enabled = true) => ({ enabled, state, now: () => NOW });

/** Asserts the call fails as the HTTP layer needs: a message ending `Permission denied`. */
function denied(fn: () => unknown, reason: PermissionDeniedError['reason']): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PermissionDeniedError, String(e));
    assert.match(e.message, /Permission denied$/);
    assert.equal(e.reason, reason);
    return true;
  });
}

test('ACLs disabled: any secret, even garbage, is the allow-all identity', () => {
  const state = new FakeState();
  for (const secret of [undefined, '', 'not-a-uuid', randomUUID()]) {
    const id = resolveToken(secret, deps(state, false));
    assert.equal(id.kind, 'acl-disabled');
    assert.equal(id.acl.isManagement(), true);
    assert.equal(id.token, null);
  }
});

test('no token: anonymous, governed by the "anonymous" policy when it exists', () => {
  const state = new FakeState();
  for (const secret of [undefined, '']) {
    const id = resolveToken(secret, deps(state));
    assert.equal(id.kind, 'anonymous');
    assert.deepEqual(id.policies, []);
    assert.equal(id.acl.allowOperatorRead(), false);
    assert.equal(id.acl.allowNodeRead(), false);
  }
  state.policy('anonymous', 'operator { policy = "read" }');
  const id = resolveToken(undefined, deps(state));
  assert.equal(id.kind, 'anonymous');
  assert.deepEqual(id.policies, ['anonymous']);
  assert.equal(id.acl.allowOperatorRead(), true);
  assert.equal(id.acl.allowOperatorWrite(), false);
});

test('not a UUID, an unknown UUID, an expired token: Permission denied', () => {
  const state = new FakeState();
  denied(() => resolveToken('root', deps(state)), 'not-uuid');
  denied(() => resolveToken(' ', deps(state)), 'not-uuid');
  denied(() => resolveToken(randomUUID(), deps(state)), 'not-found');
  const expired = state.token('management', null, { ExpirationTime: '2025-06-01T11:59:59.999999999Z' });
  denied(() => resolveToken(expired, deps(state)), 'expired');
  const atNow = state.token('client', ['x'], { ExpirationTime: '2025-06-01T12:00:00Z' });
  denied(() => resolveToken(atNow, deps(state)), 'expired');
  const damaged = state.token('management', null, { ExpirationTime: 'tomorrow' });
  denied(() => resolveToken(damaged, deps(state)), 'expired');
});

test('a token that has not expired yet resolves (nanosecond precision, offsets)', () => {
  const state = new FakeState();
  const later = state.token('management', null, { ExpirationTime: '2025-06-01T12:00:00.000000001Z' });
  assert.equal(resolveToken(later, deps(state)).kind, 'management');
  const offset = state.token('management', null, { ExpirationTime: '2025-06-01T13:30:00+01:00' });
  assert.equal(resolveToken(offset, deps(state)).kind, 'management');
  const pastOffset = state.token('management', null, { ExpirationTime: '2025-06-01T12:30:00+01:00' });
  denied(() => resolveToken(pastOffset, deps(state)), 'expired');
});

test('the secret must match exactly; the accessor is not a secret', () => {
  const state = new FakeState();
  const secret = state.token('management', null);
  assert.equal(resolveToken(secret, deps(state)).kind, 'management');
  denied(() => resolveToken(secret.toUpperCase(), deps(state)), 'not-found');
  const accessor = state.tokens.get(secret)!.AccessorID;
  denied(() => resolveToken(accessor, deps(state)), 'not-found');
});

test('a management token is management; its token is returned', () => {
  const state = new FakeState();
  const secret = state.token('management', null);
  const id = resolveToken(secret, deps(state));
  assert.equal(id.kind, 'management');
  assert.equal(id.acl.isManagement(), true);
  assert.equal(id.token?.SecretID, secret);
});

test('a client token gets the union of its policies; missing policies are skipped', () => {
  const state = new FakeState().policy('ops-read', 'operator { policy = "read" }').policy('agent', 'agent { policy = "write" }');
  const secret = state.token('client', ['ops-read', 'gone', 'agent']);
  const id = resolveToken(secret, deps(state));
  assert.equal(id.kind, 'client');
  assert.deepEqual(id.policies, ['ops-read', 'agent']);
  assert.deepEqual([id.acl.isManagement(), id.acl.allowOperatorRead(), id.acl.allowOperatorWrite(), id.acl.allowAgentWrite()], [false, true, false, true]);
  const orphan = state.token('client', ['gone']);
  assert.equal(resolveToken(orphan, deps(state)).acl.allowOperatorRead(), false);
  const nullPolicies = state.token('client', null);
  assert.equal(resolveToken(nullPolicies, deps(state)).acl.allowOperatorRead(), false);
});

test('a stored policy that no longer parses fails resolution instead of dropping its rules', () => {
  const state = new FakeState().policy('deny-all', 'operator { policy = "nope" }').policy('w', 'operator { policy = "write" }');
  const secret = state.token('client', ['w', 'deny-all']);
  assert.throws(() => resolveToken(secret, deps(state)), (e: unknown) => e instanceof PolicyError && /"deny-all"/.test(e.message));
});

test('§9.10 matrix: snapshot save needs snapshot-save or operator write; restore needs management', () => {
  const state = new FakeState()
    .policy('op-read', 'operator { policy = "read" }')
    .policy('op-read-save', 'operator {\n  policy = "read"\n  capabilities = ["snapshot-save"]\n}')
    .policy('op-write', 'operator { policy = "write" }')
    .policy('op-deny', 'operator { policy = "deny" }');
  const tokens: Record<string, string> = {
    a: state.token('client', ['op-read']),
    b: state.token('client', ['op-read-save']),
    c: state.token('client', ['op-write']),
    d: state.token('client', ['op-read-save', 'op-deny']),
    dReversed: state.token('client', ['op-deny', 'op-read-save']),
    mgmt: state.token('management', null),
  };
  const resolve = (name: string): Identity => resolveToken(tokens[name], deps(state));
  const save = (name: string) => resolve(name).acl.allowOperatorOperation('snapshot-save');
  const restore = (name: string) => resolve(name).acl.isManagement();

  assert.equal(save('a'), false, '(a) operator read → save denied');
  assert.equal(save('b'), true, '(b) read + snapshot-save → save allowed');
  assert.equal(save('c'), true, '(c) operator write → save allowed');
  assert.equal(save('d'), false, '(d) (b) + operator deny → save denied');
  assert.equal(save('dReversed'), false, '(d) in the other order');
  assert.equal(save('mgmt'), true);
  for (const name of ['a', 'b', 'c', 'd']) assert.equal(restore(name), false, `(e) restore with ${name}`);
  assert.equal(restore('mgmt'), true, 'management restores');
  // (f) no token → anonymous, which may do neither.
  const anon = resolveToken(undefined, deps(state));
  assert.deepEqual([anon.acl.allowOperatorOperation('snapshot-save'), anon.acl.isManagement()], [false, false]);
  // (g) a random UUID → Permission denied.
  denied(() => resolveToken(randomUUID(), deps(state)), 'not-found');
});

test('the replicated state machine is a valid AclStateReader', async () => {
  const { Fsm } = await import('../../src/fsm/index.ts');
  const fsm = new Fsm();
  const reader: import('../../src/acl/index.ts').AclStateReader = fsm;
  assert.equal(resolveToken(undefined, { enabled: true, state: reader }).kind, 'anonymous');
  denied(() => resolveToken(randomUUID(), { enabled: true, state: fsm }), 'not-found');
});

test('an edited policy takes effect on the next resolution (the parse cache is keyed by the text)', () => {
  const state = new FakeState().policy('p', 'operator { policy = "read" }');
  const secret = state.token('client', ['p']);
  assert.equal(resolveToken(secret, deps(state)).acl.allowOperatorWrite(), false);
  state.policy('p', 'operator { policy = "write" }');
  assert.equal(resolveToken(secret, deps(state)).acl.allowOperatorWrite(), true);
  state.policy('p', 'operator { policy = "read" }');
  assert.equal(resolveToken(secret, deps(state)).acl.allowOperatorWrite(), false);
});
