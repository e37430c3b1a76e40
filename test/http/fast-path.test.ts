// The fast path (src/http/fast-path.ts) answers exactly as the Express routes do, and takes only
// the plain forms of the variable requests on the leader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeServer, type FakeServer } from './fake-server.ts';
import { withFastPath } from '../../src/http/fast-path.ts';
import type { HttpContext } from '../../src/http/index.ts';
import { Role } from '../../src/raft/index.ts';

const ITEMS = JSON.stringify({ Items: { a: '1' } });

/** Requests covering every answer of the variable endpoints; `{big}` bodies go over the JSON limit. */
const REQUESTS: { method: string; path: string; body?: string; token?: string }[] = [
  { method: 'GET', path: '/v1/var/app/one' },
  { method: 'PUT', path: '/v1/var/app/one', body: ITEMS },
  { method: 'GET', path: '/v1/var/app/one' },
  { method: 'PUT', path: '/v1/var/app/one?cas=0', body: ITEMS },
  { method: 'PUT', path: '/v1/var/app/one?cas=999', body: ITEMS },
  { method: 'POST', path: '/v1/var/app/two?cas=0', body: JSON.stringify({ items: { b: '2' } }) },
  { method: 'PUT', path: '/v1/var/app/one', body: '' },
  { method: 'PUT', path: '/v1/var/app/one', body: '{"Items": ' },
  { method: 'PUT', path: '/v1/var/app/one', body: '[]' },
  { method: 'PUT', path: '/v1/var/app/one', body: '{"Items": {}}' },
  { method: 'PUT', path: '/v1/var/app/one', body: '{"Items": {"a": 1}}' },
  { method: 'PUT', path: '/v1/var/app/one', body: '{"Items": "x"}' },
  { method: 'PUT', path: `/v1/var/${'p'.repeat(129)}`, body: ITEMS },
  { method: 'PUT', path: '/v1/var/app/big', body: JSON.stringify({ Items: { v: 'x'.repeat(70 * 1024) } }) },
  { method: 'PUT', path: '/v1/var/app/huge', body: JSON.stringify({ Items: { v: 'x'.repeat(2 * 1024 * 1024) } }) },
  { method: 'GET', path: '/v1/var/app/two' },
  { method: 'GET', path: '/v1/var/missing' },
  { method: 'PUT', path: '/v1/var/app/three', body: ITEMS, token: '00000000-0000-4000-8000-000000000000' },
  { method: 'PUT', path: '/v1/operator/scheduler/configuration', body: JSON.stringify({ SchedulerAlgorithm: 'spread', PreemptionConfig: { BatchSchedulerEnabled: true } }) },
  { method: 'GET', path: '/v1/operator/scheduler/configuration' },
  { method: 'PUT', path: '/v1/operator/scheduler/configuration?cas=1', body: JSON.stringify({ SchedulerAlgorithm: 'binpack' }) },
  { method: 'POST', path: '/v1/operator/scheduler/configuration?cas=0', body: JSON.stringify({ schedulerAlgorithm: 'binpack' }) },
  { method: 'PUT', path: '/v1/operator/scheduler/configuration', body: JSON.stringify({ SchedulerAlgorithm: 'nope' }) },
  { method: 'PUT', path: '/v1/operator/scheduler/configuration', body: JSON.stringify({ PreemptionConfig: { BatchSchedulerEnabled: 'yes' } }) },
  { method: 'PUT', path: '/v1/operator/scheduler/configuration', body: '{"Sched' },
  { method: 'PUT', path: '/v1/operator/scheduler/configuration', body: '' },
  { method: 'PUT', path: '/v1/operator/scheduler/configuration', body: JSON.stringify({ SchedulerAlgorithm: 'x'.repeat(2 * 1024 * 1024) }) },
  { method: 'GET', path: '/v1/operator/scheduler/configuration' },
];

async function answers(s: FakeServer): Promise<string[]> {
  const out: string[] = [];
  for (const r of REQUESTS) {
    const a = await s.fetch(r.path, { method: r.method, ...(r.body !== undefined ? { body: r.body } : {}), ...(r.token ? { headers: { 'X-Nomad-Token': r.token } } : {}) });
    // Times differ between the two servers; everything else must not.
    const body = a.text.replace(/"(CreateTime|ModifyTime)":\d+/g, '"$1":0');
    const meta = ['content-type', 'x-nomad-index', 'x-nomad-knownleader', 'x-nomad-lastcontact'].map((h) => `${h}=${a.headers.get(h)}`).join(' ');
    out.push(`${r.method} ${r.path.slice(0, 60)} → ${a.status} ${meta} ${body.slice(0, 300)}`);
  }
  return out;
}

test('fast path: every variable answer (writes, CAS conflicts, decode errors, limits, reads, 404) equals the Express route', async () => {
  const fast = await startFakeServer({ fastPath: true });
  const slow = await startFakeServer({ fastPath: false });
  try {
    const [a, b] = [await answers(fast), await answers(slow)];
    assert.deepEqual(a, b);
    // The sequence exercised what it claims (a write, a conflict, a 413, a 404).
    assert.match(a[1]!, /→ 200 content-type=application\/json x-nomad-index=\d+/);
    assert.match(a[4]!, /→ 409 /);
    assert.match(a[14]!, /→ 413 /);
    assert.match(a[16]!, /→ 404 .*variable not found/);
    assert.match(a[18]!, /→ 200 .*"Updated":true/);
    assert.match(a[20]!, /→ 200 .*"Updated":false/, 'a stale cas does not update');
    assert.match(a[22]!, /→ 400 .*invalid scheduler algorithm: nope/);
  } finally {
    await fast.close();
    await slow.close();
  }
});

test('fast path: ACLs apply — with ACLs on, an unknown token is refused alike and nothing is written', async () => {
  const fast = await startFakeServer({ fastPath: true });
  const slow = await startFakeServer({ fastPath: false });
  try {
    for (const s of [fast, slow]) s.aclEnabled = true;
    const token = { 'X-Nomad-Token': '00000000-0000-4000-8000-000000000000' };
    const before = JSON.stringify(fast.fsm.schedulerConfig());
    for (const [path, body] of [['/v1/var/app/x', ITEMS], ['/v1/operator/scheduler/configuration', JSON.stringify({ SchedulerAlgorithm: 'spread' })], ['/v1/operator/scheduler/configuration', '{"SchedulerAlgorithm": 3}']] as const) {
      const go = (s: FakeServer) => s.fetch(path, { method: 'PUT', body, headers: token });
      const [a, b] = [await go(fast), await go(slow)];
      assert.ok(a.status === 403 || a.status === 400, `${path} ${body}: ${a.status}`);
      assert.deepEqual([a.status, a.text, a.headers.get('content-type')], [b.status, b.text, b.headers.get('content-type')], `${path} ${body}`);
    }
    assert.equal(fast.fsm.variable('app/x') ?? undefined, undefined);
    assert.equal(JSON.stringify(fast.fsm.schedulerConfig()), before);
  } finally {
    await fast.close();
    await slow.close();
  }
});

test('fast path: only plain variable requests on the leader are taken; the rest reach Express', async () => {
  let role: Role = Role.Leader;
  // The leader a follower streams to: answers who it is and what it was sent.
  const leader = http.createServer((req, res) => {
    req.resume();
    res.end(`leader ${req.method} ${req.url} ${req.headers['x-opraft-forwarded']}`);
  });
  await new Promise<void>((r) => leader.listen(0, '127.0.0.1', r));
  let leaderAddr: string | undefined = `127.0.0.1:${(leader.address() as AddressInfo).port}`;
  const ctx = {
    nodeId: 'n1',
    raft: () => ({ role, leader: role === Role.Leader ? 'n1' : 'n2' }),
    httpAddressOf: (id: string) => (id === 'n2' ? leaderAddr : undefined),
    limits: { jsonBodyBytes: 1024 },
    resolveAcl: async () => ({ allowVariableOp: () => true }),
    apply: async () => ({ index: 7, result: { ok: true, type: 'upsertVariable', variable: { Path: 'x' } } }),
    consistentRead: async () => {},
    state: () => ({ variable: () => ({ Path: 'x' }), latestIndex: () => 7 }),
    logger: { warn() {} },
  } as unknown as HttpContext;
  const toExpress: string[] = [];
  const server = http.createServer(withFastPath(ctx, (req, res) => {
    toExpress.push(`${req.method} ${req.url}`);
    req.resume();
    res.end('express');
  }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const send = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => (await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) })).text();
  try {
    const fastOnes: [string, string, string?][] = [
      ['PUT', '/v1/var/a/b', ITEMS], ['POST', '/v1/var/a', ITEMS], ['PUT', '/v1/var/a?cas=3', ITEMS], ['GET', '/v1/var/a-b_c~d'],
      ['PUT', '/v1/operator/scheduler/configuration', '{}'], ['POST', '/v1/operator/scheduler/configuration?cas=2', '{}'],
    ];
    for (const [m, p, b] of fastOnes) assert.notEqual(await send(m, p, b), 'express', `${m} ${p} should be served by the fast path`);
    const slowOnes: [string, string, string?, Record<string, string>?][] = [
      ['GET', '/v1/var/a?stale'], ['GET', '/v1/var/a?region=global'], ['PUT', '/v1/var/a?cas=1&pretty', ITEMS], ['PUT', '/v1/var/a/', ITEMS],
      ['PUT', '/v1/var/a//b', ITEMS], ['PUT', '/v1/var/a%2Fb', ITEMS], ['PUT', '/V1/VAR/a', ITEMS], ['DELETE', '/v1/var/a'], ['HEAD', '/v1/var/a'],
      ['GET', '/v1/vars'], ['PUT', '/v1/var/a', 'x'.repeat(2000)], ['PUT', '/v1/var/a', ITEMS, { 'Content-Encoding': 'gzip' }],
      ['PUT', `/v1/var/${'p'.repeat(129)}`, ITEMS], ['GET', '/v1/operator/scheduler/configuration'], ['PUT', '/v1/operator/scheduler/configuration?cas=x', '{}'],
      ['PUT', '/v1/operator/scheduler/configuration?region=global', '{}'], ['PUT', '/v1/operator/autopilot/configuration', '{}'],
    ];
    for (const [m, p, b, h] of slowOnes) await send(m, p, b, h);
    assert.equal(toExpress.length, slowOnes.length, `reached Express: ${toExpress.join(', ')}`);
    // A follower streams plain requests to the leader, marked as forwarded, path and query kept.
    role = Role.Follower;
    assert.equal(await send('PUT', '/v1/var/a?cas=4', ITEMS), 'leader PUT /v1/var/a?cas=4 1');
    assert.equal(await send('GET', '/v1/var/a'), 'leader GET /v1/var/a 1');
    assert.equal(await send('PUT', '/v1/operator/scheduler/configuration', '{}'), 'leader PUT /v1/operator/scheduler/configuration 1');
    const n = toExpress.length;
    // Already forwarded once, or no address for the leader: Express's leaderOnly decides.
    assert.equal(await send('PUT', '/v1/var/a', ITEMS, { 'X-Opraft-Forwarded': '1' }), 'express');
    leaderAddr = undefined;
    assert.equal(await send('PUT', '/v1/var/a', ITEMS), 'express');
    assert.equal(toExpress.length, n + 2);
  } finally {
    await new Promise((r) => server.close(r));
    await new Promise((r) => leader.close(r));
  }
});
