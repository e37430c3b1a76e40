// Operator endpoints over a real Fsm: status codes, JSON shapes, error texts (contract §1.1–§1.8).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeServer, type FakeServer } from './fake-server.ts';

let s: FakeServer;
before(async () => {
  s = await startFakeServer();
});
after(() => s.close());

const put = (body: unknown) => ({ method: 'PUT', body: typeof body === 'string' ? body : JSON.stringify(body) });

test('scheduler GET: the body shape and the query meta headers', async () => {
  const r = await s.fetch('/v1/operator/scheduler/configuration');
  assert.equal(r.status, 200);
  const b = r.json as { SchedulerConfig: Record<string, unknown>; Index: number; LastContact: number; KnownLeader: boolean; NextToken: string };
  assert.deepEqual(Object.keys(b), ['SchedulerConfig', 'Index', 'LastContact', 'KnownLeader', 'NextToken']);
  assert.equal(b.SchedulerConfig.SchedulerAlgorithm, 'binpack');
  assert.equal((b.SchedulerConfig.PreemptionConfig as Record<string, boolean>).SystemSchedulerEnabled, true);
  assert.equal(r.headers.get('x-nomad-index'), String(b.Index));
  assert.equal(r.headers.get('x-nomad-knownleader'), 'true');
  assert.equal(r.headers.get('x-nomad-lastcontact'), '0');
});

test('scheduler PUT replaces the whole object (§9.11) and CAS decides Updated', async () => {
  const w = await s.fetch('/v1/operator/scheduler/configuration', put({ memoryoversubscriptionenabled: true, unknown: 1 }));
  assert.equal(w.status, 200);
  const wb = w.json as { Updated: boolean; Index: number };
  assert.equal(wb.Updated, true);
  assert.equal(w.headers.get('x-nomad-index'), String(wb.Index));
  const g = (await s.fetch('/v1/operator/scheduler/configuration')).json as { SchedulerConfig: { MemoryOversubscriptionEnabled: boolean; PreemptionConfig: { SystemSchedulerEnabled: boolean }; ModifyIndex: number } };
  assert.equal(g.SchedulerConfig.MemoryOversubscriptionEnabled, true);
  assert.equal(g.SchedulerConfig.PreemptionConfig.SystemSchedulerEnabled, false);
  const m = g.SchedulerConfig.ModifyIndex;
  const c1 = (await s.fetch(`/v1/operator/scheduler/configuration?cas=${m}`, put({ SchedulerAlgorithm: 'spread' }))).json as { Updated: boolean; Index: number };
  assert.equal(c1.Updated, true);
  const c2 = (await s.fetch(`/v1/operator/scheduler/configuration?cas=${m}`, put({ SchedulerAlgorithm: 'binpack' }))).json as { Updated: boolean; Index: number };
  assert.equal(c2.Updated, false);
  assert.ok(c2.Index > m, 'a failed CAS still consumes an index');
  const after = (await s.fetch('/v1/operator/scheduler/configuration')).json as { SchedulerConfig: { SchedulerAlgorithm: string } };
  assert.equal(after.SchedulerConfig.SchedulerAlgorithm, 'spread');
});

test('scheduler PUT errors: bad cas, bad algorithm, wrong JSON type, empty body, method', async () => {
  const cases: [string, RequestInit, number, RegExp][] = [
    ['?cas=abc', put({}), 400, /^Error parsing cas value: .*"abc"/],
    ['?cas', put({}), 400, /^Error parsing cas value: /],
    ['', put({ SchedulerAlgorithm: 'random' }), 400, /^invalid scheduler algorithm: random$/],
    ['', put({ RejectJobRegistration: 'yes' }), 400, /^Error parsing scheduler config: .*RejectJobRegistration/],
    ['', put('{not json'), 400, /^Error parsing scheduler config: /],
    ['', { method: 'PUT' }, 400, /^Error parsing scheduler config: Request body is empty$/],
    ['', { method: 'DELETE' }, 405, /^Invalid method$/],
  ];
  for (const [q, init, status, text] of cases) {
    const r = await s.fetch(`/v1/operator/scheduler/configuration${q}`, init);
    assert.equal(r.status, status, `${init.method} ${q}: ${r.text}`);
    assert.match(r.text, text);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
  }
});

test('autopilot configuration: GET shape with duration strings; PUT whole-object, CAS, errors', async () => {
  const g = await s.fetch('/v1/operator/autopilot/configuration');
  assert.equal(g.status, 200);
  const b = g.json as Record<string, unknown>;
  assert.deepEqual(Object.keys(b), ['LastContactThreshold', 'ServerStabilizationTime', 'CleanupDeadServers', 'MaxTrailingLogs', 'MinQuorum', 'EnableRedundancyZones', 'DisableUpgradeMigration', 'EnableCustomUpgrades', 'CreateIndex', 'ModifyIndex']);
  assert.equal(b.LastContactThreshold, '200ms');
  assert.equal(b.ServerStabilizationTime, '10s');
  assert.equal(g.headers.get('x-nomad-index'), null, 'autopilot GET sends no query meta');
  const w = await s.fetch('/v1/operator/autopilot/configuration', put({ CleanupDeadServers: false, LastContactThreshold: '1.5s' }));
  assert.equal(w.text, 'true');
  const g2 = (await s.fetch('/v1/operator/autopilot/configuration')).json as Record<string, unknown>;
  assert.equal(g2.LastContactThreshold, '1.5s');
  assert.equal(g2.MaxTrailingLogs, 0, 'whole-object replacement');
  assert.equal(g2.ServerStabilizationTime, '0s');
  const stale = await s.fetch(`/v1/operator/autopilot/configuration?cas=${Number(g2.ModifyIndex) - 1}`, put({ MaxTrailingLogs: 9 }));
  assert.equal(stale.text, 'false');
  const ok = await s.fetch(`/v1/operator/autopilot/configuration?cas=${g2.ModifyIndex}`, put({ MaxTrailingLogs: 9 }));
  assert.equal(ok.text, 'true');
  const bad: [RequestInit, number, RegExp][] = [
    [put({ LastContactThreshold: 200 }), 400, /^Error parsing autopilot config: .*LastContactThreshold/],
    [put({ LastContactThreshold: '-1s' }), 400, /^Error parsing autopilot config: .*negative/],
    [put({ ServerStabilizationTime: '10' }), 400, /^Error parsing autopilot config: .*ServerStabilizationTime/],
    [{ method: 'PUT' }, 400, /^Error parsing autopilot config: Request body is empty$/],
    [{ method: 'POST', body: '{}' }, 404, /^Invalid method$/],
  ];
  for (const [init, status, text] of bad) {
    const r = await s.fetch('/v1/operator/autopilot/configuration', init);
    assert.equal(r.status, status, r.text);
    assert.match(r.text, text);
  }
});

test('raft configuration: method and ACL; peer removal by id or address with §1.2/Part A §15 texts', async () => {
  assert.equal((await s.fetch('/v1/operator/raft/configuration', { method: 'POST' })).status, 405);
  const c = (await s.fetch('/v1/operator/raft/configuration')).json as { Servers: { ID: string; Node: string; RaftProtocol: string }[] };
  assert.equal(c.Servers.length, 2);
  assert.equal(c.Servers[0]!.Node, '(unknown)');
  const del = (q: string) => s.fetch(`/v1/operator/raft/peer${q}`, { method: 'DELETE' });
  assert.deepEqual([(await del('')).status, (await del('')).text], [400, "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove"]);
  assert.deepEqual([(await del('?id=a&address=b')).status, (await del('?id=a&address=b')).text], [400, 'Must specify only one of ?id or ?address']);
  assert.deepEqual([(await del('?id=nope')).status, (await del('?id=nope')).text], [500, 'id "nope" was not found in the Raft configuration']);
  assert.deepEqual([(await del('?address=1.2.3.4:5')).status, (await del('?address=1.2.3.4:5')).text], [500, 'address "1.2.3.4:5" was not found in the Raft configuration']);
  const r = await del('?address=10.0.0.2:4647');
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
  assert.deepEqual(s.changes.at(-1), { type: 'remove', id: '22222222-2222-4222-8222-222222222222' });
  assert.equal((await s.fetch('/v1/operator/raft/peer?id=x', { method: 'GET' })).status, 404);
  assert.equal((await s.fetch('/v1/operator/raft/nothing')).text, 'Invalid method');
});

test('transfer-leadership: validation order of §1.3, Noop to self, a real move', async () => {
  const tl = (q: string, method = 'PUT') => s.fetch(`/v1/operator/raft/transfer-leadership${q}`, { method });
  const cases: [string, string][] = [
    ['', 'must specify id or address'],
    ['?id=a&address=b', 'must specify either id or address'],
    ['?id=', 'id must be non-empty'],
    ['?id=a&id=b', 'must specify only one id'],
    ['?address=', 'address must be non-empty'],
    ['?address=1.1.1.1:1&address=2.2.2.2:2', 'must specify only one address'],
  ];
  for (const [q, text] of cases) {
    const r = await tl(q);
    assert.deepEqual([r.status, r.text], [400, text], q);
  }
  assert.match((await tl('?id=zzz')).text, /^id must be a uuid: /);
  assert.match((await tl('?address=host:4647')).text, /^address must be in IP:port format: /);
  assert.equal((await tl('?id=33333333-3333-4333-8333-333333333333')).text, 'id "33333333-3333-4333-8333-333333333333" was not found in the Raft configuration');
  assert.equal((await tl('', 'GET')).status, 405);
  const noop = (await tl('?id=11111111-1111-4111-8111-111111111111')).json as { Noop: boolean; From: { ID: string }; To: { ID: string }; Err: null };
  assert.equal(noop.Noop, true);
  assert.deepEqual(Object.keys(noop), ['From', 'To', 'Noop', 'Err']);
  s.config.voters.push('22222222-2222-4222-8222-222222222222');
  s.config.voters = [...new Set(s.config.voters)];
  const moved = await tl('?address=10.0.0.2:4647', 'POST');
  assert.equal(moved.status, 200, moved.text);
  assert.deepEqual(s.transfers, ['22222222-2222-4222-8222-222222222222']);
  s.leader = '11111111-1111-4111-8111-111111111111';
});

test('variables: write, read, list, CAS conflict bodies, delete, errors (Part A §23)', async () => {
  const w = await s.fetch('/v1/var/app/db', put({ Items: { user: 'admin' } }));
  assert.equal(w.status, 200);
  const v = w.json as { Namespace: string; Path: string; CreateIndex: number; ModifyIndex: number; CreateTime: number; Items: Record<string, string> };
  assert.deepEqual(Object.keys(v), ['Namespace', 'Path', 'CreateIndex', 'CreateTime', 'ModifyIndex', 'ModifyTime', 'Items']);
  assert.equal(w.headers.get('x-nomad-index'), String(v.ModifyIndex));
  assert.match(w.text, /"CreateTime":\d{19}/, 'Unix nanoseconds written as an exact integer');
  const conflict = await s.fetch('/v1/var/app/db?cas=0', put({ Items: { a: 'b' } }));
  assert.equal(conflict.status, 409);
  assert.equal((conflict.json as { ModifyIndex: number }).ModifyIndex, v.ModifyIndex);
  assert.equal(conflict.headers.get('x-nomad-index'), String(v.ModifyIndex));
  const missingConflict = await s.fetch('/v1/var/none?cas=5', put({ Items: { a: 'b' } }));
  assert.equal(missingConflict.status, 409);
  assert.deepEqual(missingConflict.json, { Namespace: 'default', Path: 'none' });
  const list = await s.fetch('/v1/vars?prefix=app');
  assert.deepEqual((list.json as { Path: string }[]).map((x) => x.Path), ['app/db']);
  assert.ok(list.headers.get('x-nomad-index'));
  assert.deepEqual((await s.fetch('/v1/vars?prefix=zzz')).json, []);
  const errs: [string, RequestInit, number, string][] = [
    ['/v1/var/', { method: 'GET' }, 400, 'missing variable path'],
    ['/v1/var/nope', { method: 'GET' }, 404, 'variable not found'],
    ['/v1/var/a', put({ Items: {} }), 400, 'variable missing required Items object'],
    ['/v1/var/a', put({ Other: 1 }), 400, 'variable missing required Items object'],
    ['/v1/var/bad%20path', put({ Items: { a: 'b' } }), 400, 'invalid path "bad path"'],
    ['/v1/var/a', { method: 'PATCH' }, 400, 'Invalid method'],
    ['/v1/vars', { method: 'PUT' }, 400, 'Invalid method'],
  ];
  for (const [p, init, status, text] of errs) {
    const r = await s.fetch(p, init);
    assert.deepEqual([r.status, r.text], [status, text], `${init.method} ${p}`);
  }
  const big = await s.fetch('/v1/var/big', put({ Items: { k: 'x'.repeat(130 * 1024) } }));
  assert.equal(big.status, 413, 'over the JSON body limit of this fake server');
  const d = await s.fetch(`/v1/var/app/db?cas=${v.ModifyIndex - 1}`, { method: 'DELETE' });
  assert.equal(d.status, 409);
  const d2 = await s.fetch(`/v1/var/app/db?cas=${v.ModifyIndex}`, { method: 'DELETE' });
  assert.deepEqual([d2.status, d2.text], [200, '']);
  assert.equal((await s.fetch('/v1/var/app/db')).status, 404);
});

test('ACL: a caller without permission gets 403 Permission denied on each guarded endpoint', async () => {
  const deny = { ...s.acl };
  for (const k of Object.keys(deny) as (keyof typeof deny)[]) (deny as Record<string, unknown>)[k] = () => false;
  const saved = s.acl;
  s.acl = deny;
  try {
    for (const [p, init] of [
      ['/v1/operator/raft/configuration', {}],
      ['/v1/operator/scheduler/configuration', {}],
      ['/v1/operator/scheduler/configuration', put({})],
      ['/v1/operator/autopilot/configuration', {}],
      ['/v1/operator/raft/peer?id=x', { method: 'DELETE' }],
      ['/v1/var/a', {}],
    ] as [string, RequestInit][]) {
      const r = await s.fetch(p, init);
      assert.deepEqual([r.status, r.text], [403, 'Permission denied'], p);
    }
    assert.deepEqual((await s.fetch('/v1/vars')).json, [], 'the list is filtered, not refused');
  } finally {
    s.acl = saved;
  }
});

test('metrics: go-metrics JSON with Nomad names, and Prometheus text', async () => {
  await s.fetch('/v1/var/m', put({ Items: { a: 'b' } }));
  const j = await s.fetch('/v1/metrics');
  assert.equal(j.status, 200);
  const body = j.json as { Timestamp: string; Gauges: unknown[]; Counters: unknown[]; Samples: unknown[]; Points: unknown[] };
  assert.deepEqual(Object.keys(body), ['Timestamp', 'Gauges', 'Points', 'Counters', 'Samples']);
  assert.match(body.Timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
  const p = await s.fetch('/v1/metrics?format=prometheus');
  assert.equal(p.status, 200);
  assert.match(p.headers.get('content-type') ?? '', /^text\/plain/);
  assert.equal((await s.fetch('/v1/metrics?format=xml')).status, 400);
});
