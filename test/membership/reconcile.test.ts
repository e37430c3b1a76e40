import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promoteCaughtUp, reconcileMember, reconcileMembers, serverTags, type Member } from '../../src/membership/index.ts';
import type { Configuration } from '../../src/raft/index.ts';
import { localServer } from './helpers.ts';

function member(name: string, i: number, status: Member['status'] = 'alive', over: { expect?: number; region?: string; id?: string } = {}): Member {
  const l = localServer(name, i, { expect: over.expect ?? 3, region: over.region ?? 'global', nodeId: over.id ?? `id-${name}` });
  return { name: `${name}.${l.region}`, id: l.nodeId, addr: l.addr, port: l.port, status, incarnation: 1, tags: serverTags(l) };
}

const ctx = { region: 'global', localName: 'a.global', localId: 'id-a' };
const cfg = (voters: string[], nonVoters: string[] = []): Configuration => ({
  voters, nonVoters,
  addresses: Object.fromEntries([...voters, ...nonVoters].map((id) => [id, `10.0.0.${id.charCodeAt(3) - 96}:4647`])),
});

test('an alive server not in the configuration is added as a non-voter with its address', () => {
  const d = reconcileMember(cfg(['id-a', 'id-b', 'id-c']), member('d', 4), [], ctx);
  assert.deepEqual(d.changes, [{ type: 'addNonVoter', id: 'id-d', address: '10.0.0.4:4647' }]);
});

test('an alive server already present with the same id and address needs nothing', () => {
  assert.deepEqual(reconcileMember(cfg(['id-a', 'id-b', 'id-c']), member('b', 2), [], ctx).changes, []);
  assert.deepEqual(reconcileMember(cfg(['id-a'], ['id-b']), member('b', 2), [], ctx).changes, [], 'a non-voter too');
  const noAddr: Configuration = { voters: ['id-a', 'id-b', 'id-c'], nonVoters: [] };
  assert.deepEqual(reconcileMember(noAddr, member('b', 2), [], ctx).changes, [], 'no recorded address: nothing to compare');
});

test('same id at a new address, or a new id at a known address: remove the old entry first', () => {
  const moved = { ...member('b', 2), addr: '10.0.0.22', tags: { ...member('b', 2).tags } };
  assert.deepEqual(reconcileMember(cfg(['id-a', 'id-b', 'id-c']), moved, [], ctx).changes, [
    { type: 'remove', id: 'id-b' }, { type: 'addNonVoter', id: 'id-b', address: '10.0.0.22:4647' },
  ]);
  const reinstalled = member('b', 2, 'alive', { id: 'id-b2' }); // new data dir, same address
  assert.deepEqual(reconcileMember(cfg(['id-a', 'id-b', 'id-c']), reinstalled, [], ctx).changes, [
    { type: 'remove', id: 'id-b' }, { type: 'addNonVoter', id: 'id-b2', address: '10.0.0.2:4647' },
  ]);
});

test('left removes; failed and leaving change nothing; the leader never removes itself', () => {
  const c3 = cfg(['id-a', 'id-b', 'id-c']);
  assert.deepEqual(reconcileMember(c3, member('c', 3, 'left'), [], ctx).changes, [{ type: 'remove', id: 'id-c' }]);
  assert.deepEqual(reconcileMember(c3, member('d', 4, 'left'), [], ctx).changes, [], 'not in the configuration');
  assert.deepEqual(reconcileMember(c3, member('c', 3, 'failed'), [], ctx).changes, []);
  assert.deepEqual(reconcileMember(c3, member('c', 3, 'leaving'), [], ctx).changes, []);
  const self = reconcileMember(c3, member('a', 1, 'left'), [], ctx);
  assert.deepEqual(self.changes, []);
  assert.match(self.reason, /follower/);
  // matched by address when the id changed
  const byAddr = member('c', 3, 'left', { id: 'id-other' });
  assert.deepEqual(reconcileMember(c3, byAddr, [], ctx).changes, [{ type: 'remove', id: 'id-c' }]);
});

test('skips: self in a small cluster, a second bootstrap-mode server, other regions, non-servers', () => {
  assert.deepEqual(reconcileMember(cfg(['id-b']), member('a', 1), [], ctx).changes, [], 'self, < 3 servers');
  const boot1 = member('x', 8, 'alive', { expect: 1 });
  const boot2 = member('y', 9, 'alive', { expect: 1 });
  const d = reconcileMember(cfg(['id-a', 'id-b', 'id-c']), boot2, [boot1, boot2], ctx);
  assert.deepEqual(d.changes, []);
  assert.match(d.reason, /bootstrap mode/);
  assert.deepEqual(reconcileMember(cfg(['id-a', 'id-b', 'id-c']), member('e', 5, 'alive', { region: 'eu' }), [], ctx).changes, []);
  const client: Member = { ...member('f', 6), tags: { role: 'client' } };
  assert.deepEqual(reconcileMember(cfg(['id-a']), client, [], ctx).changes, []);
  const badPort: Member = { ...member('g', 7), tags: { ...member('g', 7).tags, port: 'x' } };
  assert.deepEqual(reconcileMember(cfg(['id-a']), badPort, [], ctx).reason, 'not a server');
});

test('a full reconcile decides for every member, seeing earlier decisions', () => {
  const members = [member('a', 1), member('b', 2), member('c', 3, 'left'), member('d', 4), member('e', 5, 'failed')];
  const ds = reconcileMembers(cfg(['id-a', 'id-b', 'id-c', 'id-e']), members, ctx);
  const changes = ds.flatMap((d) => d.changes);
  assert.deepEqual(changes, [{ type: 'remove', id: 'id-c' }, { type: 'addNonVoter', id: 'id-d', address: '10.0.0.4:4647' }]);
  assert.throws(() => reconcileMembers({ voters: 'x' } as never, [], ctx), /configuration must have voters and nonVoters arrays/);
});

test('promotion: a non-voter within N entries for the stabilization period is promoted', () => {
  const base = { lastIndex: 100, maxLagEntries: 10, stabilizationMs: 10_000 };
  let r = promoteCaughtUp({ ...base, now: 0, caughtUpSince: {}, nonVoters: [{ id: 'd', match: 95 }, { id: 'e', match: 50 }] });
  assert.deepEqual(r.promote, []);
  assert.deepEqual(r.caughtUpSince, { d: 0 });
  r = promoteCaughtUp({ ...base, now: 9_999, caughtUpSince: r.caughtUpSince, nonVoters: [{ id: 'd', match: 99 }, { id: 'e', match: 95 }] });
  assert.deepEqual(r.promote, []);
  assert.deepEqual(r.caughtUpSince, { d: 0, e: 9_999 });
  r = promoteCaughtUp({ ...base, now: 10_000, caughtUpSince: r.caughtUpSince, nonVoters: [{ id: 'd', match: 100 }, { id: 'e', match: 100 }] });
  assert.deepEqual(r.promote, ['d']);
  // falling behind (or being unhealthy) restarts the clock
  r = promoteCaughtUp({ ...base, lastIndex: 200, now: 11_000, caughtUpSince: r.caughtUpSince, nonVoters: [{ id: 'e', match: 150 }] });
  assert.deepEqual(r.caughtUpSince, {});
  r = promoteCaughtUp({ ...base, now: 30_000, caughtUpSince: { e: 0 }, nonVoters: [{ id: 'e', match: 100, healthy: false }] });
  assert.deepEqual(r, { promote: [], caughtUpSince: {} });
  assert.deepEqual(promoteCaughtUp({ ...base, stabilizationMs: 0, now: 5, caughtUpSince: {}, nonVoters: [{ id: 'z', match: 90 }, { id: 'y', match: 91 }] }).promote, ['y', 'z']);
  assert.throws(() => promoteCaughtUp({ ...base, lastIndex: -1, now: 0, caughtUpSince: {}, nonVoters: [] }), /lastIndex must be a non-negative number, got -1/);
  assert.throws(() => promoteCaughtUp({ ...base, now: 0, caughtUpSince: {}, nonVoters: [{ id: '', match: 1 }] }), /every non-voter needs an id/);
});
