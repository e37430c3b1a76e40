import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TABLE, encodeCommand } from '../../src/fsm/index.ts';
import { pack } from '../../src/fsm/msgpack.ts';
import { Driver, token } from './helpers.ts';

const mgmt = (n: number) => token(n, { Type: 'management', Policies: null, Name: 'Bootstrap Token', Global: true });

test('ACL bootstrap: once, then only with the current reset index (§6.3, §9.12)', () => {
  const d = new Driver();
  d.run({ type: 'upsertAclPolicies', policies: [{ Name: 'p', Description: '', Rules: '', JobACL: null, Hash: '' }] }); // index 1
  assert.equal(d.fsm.aclBootstrapIndex(), 0);

  const first = d.run({ type: 'aclBootstrap', token: mgmt(1), resetIndex: 0 }); // index 2
  assert.ok(first.ok && first.type === 'aclBootstrap');
  assert.equal(first.token.CreateIndex, 2);
  assert.equal(d.fsm.aclBootstrapIndex(), 2);
  assert.equal(d.fsm.aclTokenBySecret(mgmt(1).SecretID)!.AccessorID, mgmt(1).AccessorID);

  assert.deepEqual(d.run({ type: 'aclBootstrap', token: mgmt(2), resetIndex: 0 }),
    { ok: false, type: 'aclBootstrap', code: 'invalid', error: 'ACL bootstrap already done (reset index: 2)' });
  assert.deepEqual(d.run({ type: 'aclBootstrap', token: mgmt(2), resetIndex: 7 }),
    { ok: false, type: 'aclBootstrap', code: 'invalid', error: 'Invalid bootstrap reset index (specified 7, reset index: 2)' });
  assert.equal(d.fsm.aclTokenByAccessor(mgmt(2).AccessorID), null, 'refused bootstraps write nothing');

  const again = d.run({ type: 'aclBootstrap', token: mgmt(2), resetIndex: 2 }); // index 5
  assert.equal(again.ok, true);
  assert.equal(d.fsm.aclBootstrapIndex(), 5, 'the reset index becomes the new bootstrap index');
  // The same reset file cannot be reused.
  assert.deepEqual(d.run({ type: 'aclBootstrap', token: mgmt(3), resetIndex: 2 }),
    { ok: false, type: 'aclBootstrap', code: 'invalid', error: 'Invalid bootstrap reset index (specified 2, reset index: 5)' });
  assert.equal(d.fsm.aclTokens().length, 2, 'both bootstrap tokens exist');
  assert.equal(d.fsm.latestIndex(TABLE.aclToken), 5);
});

test('ACL bootstrap refuses a client token and a secret that is already in use', () => {
  const d = new Driver();
  // encodeCommand refuses it before proposal; apply refuses it too if it arrives anyway.
  assert.throws(() => encodeCommand({ type: 'aclBootstrap', token: token(1), resetIndex: 0 }), /must be a management token/);
  const client = d.raw(pack({ v: 1, type: 'aclBootstrap', token: token(1), resetIndex: 0 }));
  assert.deepEqual(client, { ok: false, type: null, code: 'invalid', error: 'the bootstrap token must be a management token' });
  d.run({ type: 'upsertAclTokens', tokens: [token(5)] });
  const clash = d.run({ type: 'aclBootstrap', token: { ...mgmt(6), SecretID: token(5).SecretID }, resetIndex: 0 });
  assert.equal(clash.ok, false);
  assert.equal(d.fsm.aclBootstrapIndex(), 0);
});

test('ACL policies: upsert keeps CreateIndex, delete is a no-op for missing names', () => {
  const d = new Driver();
  const p = (desc: string) => ({ Name: 'ops', Description: desc, Rules: 'operator { policy = "write" }', JobACL: null, Hash: 'x' });
  d.run({ type: 'upsertAclPolicies', policies: [p('one'), { ...p('b'), Name: 'anonymous' }] });
  const r = d.run({ type: 'upsertAclPolicies', policies: [p('two')] });
  assert.ok(r.ok && r.type === 'upsertAclPolicies');
  assert.deepEqual(d.fsm.aclPolicy('ops'), { ...p('two'), CreateIndex: 1, ModifyIndex: 2 });
  assert.deepEqual(d.fsm.aclPolicies().map((x) => x.Name), ['anonymous', 'ops']);
  assert.deepEqual(d.run({ type: 'deleteAclPolicies', names: ['ops', 'missing'] }), { ok: true, type: 'deleteAclPolicies' });
  assert.equal(d.fsm.aclPolicy('ops'), null);
  assert.equal(d.fsm.latestIndex(TABLE.aclPolicy), 3);
});

test('ACL tokens: create, update keeps secret and creation, delete refuses unknown ids', () => {
  const d = new Driver();
  const created = d.run({ type: 'upsertAclTokens', tokens: [token(1), token(2)] });
  assert.ok(created.ok && created.type === 'upsertAclTokens');
  assert.deepEqual(created.tokens.map((t) => [t.CreateIndex, t.ModifyIndex]), [[1, 1], [1, 1]]);

  const updated = d.run({ type: 'upsertAclTokens', tokens: [token(1, { Name: 'renamed', SecretID: 'cccccccc-0000-4000-8000-000000000000', CreateTime: '2030-01-01T00:00:00Z' })] });
  assert.ok(updated.ok);
  const t1 = d.fsm.aclTokenByAccessor(token(1).AccessorID)!;
  assert.equal(t1.Name, 'renamed');
  assert.equal(t1.SecretID, token(1).SecretID);
  assert.equal(t1.CreateTime, token(1).CreateTime);
  assert.deepEqual([t1.CreateIndex, t1.ModifyIndex], [1, 2]);
  assert.equal(d.fsm.aclTokenBySecret('cccccccc-0000-4000-8000-000000000000'), null);

  // A new token may not take another token's secret.
  const clash = d.run({ type: 'upsertAclTokens', tokens: [token(3), token(4, { SecretID: token(2).SecretID })] });
  assert.equal(clash.ok, false);
  assert.equal(d.fsm.aclTokenByAccessor(token(3).AccessorID), null, 'a refused batch writes none of its tokens');

  assert.deepEqual(d.run({ type: 'deleteAclTokens', accessorIds: [token(1).AccessorID, 'nope'] }),
    { ok: false, type: 'deleteAclTokens', code: 'not-found', error: 'Cannot delete nonexistent tokens: nope' });
  assert.ok(d.fsm.aclTokenByAccessor(token(1).AccessorID));
  assert.deepEqual(d.run({ type: 'deleteAclTokens', accessorIds: [token(1).AccessorID] }), { ok: true, type: 'deleteAclTokens' });
  assert.equal(d.fsm.aclTokenBySecret(token(1).SecretID), null);
  assert.deepEqual(d.fsm.aclTokens().map((t) => t.AccessorID), [token(2).AccessorID]);
  assert.deepEqual(d.fsm.aclTokens('zzz'), []);
});
