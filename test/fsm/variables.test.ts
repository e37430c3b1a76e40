import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TABLE } from '../../src/fsm/index.ts';
import { Driver } from './helpers.ts';

test('variables: create, update, list by prefix', () => {
  const d = new Driver();
  const r = d.run({ type: 'upsertVariable', path: 'app/db', items: { pass: 'p', user: 'u' }, time: 100n });
  assert.deepEqual(r, { ok: true, type: 'upsertVariable', variable: {
    Namespace: 'default', Path: 'app/db', CreateIndex: 1, CreateTime: 100n, ModifyIndex: 1, ModifyTime: 100n, Items: { pass: 'p', user: 'u' } } });
  d.run({ type: 'upsertVariable', path: 'app/db', items: { user: 'v' }, time: 200n });
  assert.deepEqual(d.fsm.variable('app/db'), {
    Namespace: 'default', Path: 'app/db', CreateIndex: 1, CreateTime: 100n, ModifyIndex: 2, ModifyTime: 200n, Items: { user: 'v' } });
  d.run({ type: 'upsertVariable', path: 'other', items: { a: 'b' }, time: 300n });
  d.run({ type: 'upsertVariable', path: 'app/cache', items: { a: 'b' }, time: 300n });
  assert.deepEqual(d.fsm.listVariables('app/').map((v) => v.Path), ['app/cache', 'app/db']);
  assert.deepEqual(d.fsm.listVariables().map((v) => v.Path), ['app/cache', 'app/db', 'other']);
  assert.equal('Items' in d.fsm.listVariables()[0]!, false);
  assert.deepEqual(d.fsm.listVariables('zzz'), []);
  assert.equal(d.fsm.variable('missing'), null);
  assert.equal(d.fsm.latestIndex(TABLE.variables), 4);
});

test('variables: upsert CAS (cas=0 only when absent, cas=n only when ModifyIndex is n)', () => {
  const d = new Driver();
  assert.equal(d.run({ type: 'upsertVariable', path: 'k', items: { a: '1' }, time: 1n, cas: 0 }).ok, true);
  const again = d.run({ type: 'upsertVariable', path: 'k', items: { a: '2' }, time: 2n, cas: 0 });
  assert.ok(!again.ok && again.code === 'conflict');
  assert.deepEqual(again.conflict, { Namespace: 'default', Path: 'k', CreateIndex: 1, CreateTime: 1n, ModifyIndex: 1, ModifyTime: 1n, Items: { a: '1' } });
  assert.equal(d.run({ type: 'upsertVariable', path: 'k', items: { a: '3' }, time: 3n, cas: 1 }).ok, true);
  assert.equal(d.fsm.variable('k')!.Items.a, '3');
  const stale = d.run({ type: 'upsertVariable', path: 'k', items: { a: '4' }, time: 4n, cas: 1 });
  assert.ok(!stale.ok && stale.code === 'conflict');
  assert.equal(d.fsm.variable('k')!.Items.a, '3');
  // A CAS on a variable that does not exist reports just Namespace and Path.
  const missing = d.run({ type: 'upsertVariable', path: 'nope', items: { a: '1' }, time: 5n, cas: 9 });
  assert.ok(!missing.ok && missing.code === 'conflict');
  assert.deepEqual(missing.conflict, { Namespace: 'default', Path: 'nope' });
  assert.equal(d.fsm.variable('nope'), null);
  assert.equal(d.fsm.latestIndex(TABLE.variables), 3, 'failed CAS writes leave the table index alone');
});

test('variables: delete with and without CAS', () => {
  const d = new Driver();
  d.run({ type: 'upsertVariable', path: 'k', items: { a: '1' }, time: 1n });
  const bad = d.run({ type: 'deleteVariable', path: 'k', cas: 5 });
  assert.ok(!bad.ok && bad.code === 'conflict' && 'Items' in bad.conflict);
  assert.ok(d.fsm.variable('k'));
  assert.deepEqual(d.run({ type: 'deleteVariable', path: 'k', cas: 1 }), { ok: true, type: 'deleteVariable' });
  assert.equal(d.fsm.variable('k'), null);
  assert.equal(d.fsm.latestIndex(TABLE.variables), 3);
  // Deleting what is not there succeeds and changes nothing.
  assert.deepEqual(d.run({ type: 'deleteVariable', path: 'k' }), { ok: true, type: 'deleteVariable' });
  assert.equal(d.fsm.latestIndex(TABLE.variables), 3);
  const missingCas = d.run({ type: 'deleteVariable', path: 'k', cas: 3 });
  assert.ok(!missingCas.ok && missingCas.code === 'conflict');
});
