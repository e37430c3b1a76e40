// restoreState: the snapshot's state replaces ours, the cluster ID stays, and no index runs ahead
// of the restore entry (a restore into a cluster with a shorter log must not make indexes go back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fsm, encodeCommand, type Command } from '../../src/fsm/index.ts';

const put = (path: string, v: string): Command => ({ type: 'upsertVariable', path, items: { v }, time: 1n });
const ok = (fsm: Fsm, index: number, c: Command) => {
  const r = fsm.apply(index, encodeCommand(c));
  assert.ok(r.ok, JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  return r;
};

test('restoreState: indexes from a longer log are clamped to the restore entry; later writes keep growing', () => {
  // The source cluster wrote up to index 40.
  const src = new Fsm();
  ok(src, 1, { type: 'setClusterMetadata', clusterId: '11111111-1111-4111-8111-111111111111', createTime: 1n });
  ok(src, 30, put('a', 'from-snapshot'));
  ok(src, 40, put('b', 'from-snapshot'));
  const snapshot = src.snapshot();

  // The target cluster is at index 10 when the restore commits at index 11.
  const dst = new Fsm();
  ok(dst, 1, { type: 'setClusterMetadata', clusterId: '22222222-2222-4222-8222-222222222222', createTime: 1n });
  ok(dst, 5, put('mine', 'x'));
  ok(dst, 11, { type: 'restoreState', stateBin: snapshot });
  assert.equal(dst.variable('mine'), null);
  assert.equal(dst.variable('a')!.Items.v, 'from-snapshot');
  assert.equal(dst.clusterMetadata()!.ClusterID, '22222222-2222-4222-8222-222222222222', 'the cluster keeps its own ID');
  assert.ok(dst.variable('b')!.ModifyIndex <= 11);
  assert.equal(dst.latestIndex('variables'), 11, 'the table is marked as written by the restore');
  const w = ok(dst, 12, put('after', 'y'));
  assert.equal(w.type === 'upsertVariable' && w.variable.ModifyIndex, 12);
  assert.equal(dst.latestIndex('variables'), 12, 'X-Nomad-Index moves on after the restore');
  // CAS against what a client read after the restore works.
  const b = dst.variable('b')!;
  const cas = dst.apply(13, encodeCommand({ type: 'upsertVariable', path: 'b', items: { v: 'z' }, time: 2n, cas: b.ModifyIndex }));
  assert.ok(cas.ok && cas.type === 'upsertVariable' && cas.variable.ModifyIndex === 13 && cas.variable.CreateIndex <= 13);
});

test('restoreState: an older snapshot of the same cluster keeps its object indexes', () => {
  const fsm = new Fsm();
  ok(fsm, 3, put('a', 'old'));
  const snap = fsm.snapshot();
  ok(fsm, 7, put('a', 'new'));
  ok(fsm, 9, { type: 'restoreState', stateBin: snap });
  assert.deepEqual([fsm.variable('a')!.Items.v, fsm.variable('a')!.ModifyIndex], ['old', 3]);
});
