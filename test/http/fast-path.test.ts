// The fast path (src/http/fast-path.ts) answers exactly as the Express routes do, and takes only
// the plain forms of the variable requests on the leader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeServer, type FakeServer } from './fake-server.ts';
import { checkPlainRequest, servePlainForwarded, withFastPath, type PlainRequest } from '../../src/http/fast-path.ts';
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
      ['GET', '/v1/vars'], ['PUT', '/v1/var/a', ITEMS, { 'Content-Encoding': 'gzip' }],
      ['PUT', `/v1/var/${'p'.repeat(129)}`, ITEMS], ['GET', '/v1/operator/scheduler/configuration'], ['PUT', '/v1/operator/scheduler/configuration?cas=x', '{}'],
      ['PUT', '/v1/operator/scheduler/configuration?region=global', '{}'], ['PUT', '/v1/operator/autopilot/configuration', '{}'],
    ];
    for (const [m, p, b, h] of slowOnes) await send(m, p, b, h);
    assert.equal(toExpress.length, slowOnes.length, `reached Express: ${toExpress.join(', ')}`);
    // A body over the limit is refused where it arrives, unread (leader here, follower below).
    const big = await fetch(`${url}/v1/var/a`, { method: 'PUT', body: 'x'.repeat(2000) });
    assert.deepEqual([big.status, await big.text(), big.headers.get('connection')], [413, 'Request body too large', 'close']);
    // A follower streams plain requests to the leader, marked as forwarded, path and query kept.
    role = Role.Follower;
    assert.equal(await send('PUT', '/v1/var/a?cas=4', ITEMS), 'leader PUT /v1/var/a?cas=4 1');
    assert.equal(await send('GET', '/v1/var/a'), 'leader GET /v1/var/a 1');
    assert.equal(await send('PUT', '/v1/operator/scheduler/configuration', '{}'), 'leader PUT /v1/operator/scheduler/configuration 1');
    const bigOnFollower = await fetch(`${url}/v1/operator/scheduler/configuration`, { method: 'PUT', body: 'x'.repeat(2000) });
    assert.deepEqual([bigOnFollower.status, await bigOnFollower.text()], [413, 'Request body too large']);
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

test('fast path: a follower hands plain requests to the leader over RPC; the leader serves them as its own', async () => {
  // The leader side: a fake server's context, asked through servePlainForwarded.
  const leaderSrv = await startFakeServer({ fastPath: true });
  const sent: PlainRequest[] = [];
  let role: Role = Role.Follower;
  let rpcFails = false;
  let undelivered = 0;
  let stepDowns = 0;
  let leaderCtx: HttpContext | undefined;
  const ctx = {
    nodeId: 'n1',
    holdTimeoutMs: 300,
    raft: () => ({ role, leader: 'n2', latestConfig: { voters: ['n1', 'n2'], nonVoters: [], addresses: { n2: '127.0.0.1:1' } } }),
    httpAddressOf: () => undefined,
    limits: { jsonBodyBytes: 1024 },
    forwardPlain: async (addr: string, r: PlainRequest) => {
      assert.equal(addr, '127.0.0.1:1', 'the leader RPC address');
      sent.push(r);
      if (rpcFails) throw new Error('link lost');
      if (undelivered > 0) {
        undelivered--;
        throw Object.assign(new Error('no link'), { notDelivered: true });
      }
      if (stepDowns > 0) {
        stepDowns--;
        return servePlainForwarded({ ...leaderCtx!, raft: () => ({ role: Role.Follower, leader: 'n2' }) } as unknown as HttpContext, r);
      }
      return servePlainForwarded(leaderCtx!, checkPlainRequest(structuredClone(r), 1024));
    },
    logger: { warn() {} },
  } as unknown as HttpContext;
  // The fake server's own context is not exported; a minimal leader over its FSM does the job.
  leaderCtx = {
    nodeId: 'n2',
    raft: () => ({ role: Role.Leader, leader: 'n2', lastContactMs: 0 }),
    limits: { jsonBodyBytes: 1024 },
    resolveAcl: async (headers: Record<string, string>) => ({ allowVariableOp: () => headers['x-nomad-token'] !== 'deny', allowOperatorWrite: () => true }),
    apply: async (c: unknown) => ({ index: 9, result: leaderSrv.fsm.apply(9, (await import('../../src/fsm/index.ts')).encodeCommand(c as never)) }),
    consistentRead: async () => {},
    state: () => leaderSrv.fsm,
    logger: { warn() {} },
  } as unknown as HttpContext;
  const server = http.createServer(withFastPath(ctx, (_req, res) => res.end('express')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const put = await fetch(`${url}/v1/var/fw/a?cas=0`, { method: 'PUT', body: ITEMS, headers: { 'X-Nomad-Token': 'ok', 'X-Other': 'dropped' } });
    assert.equal(put.status, 200);
    assert.equal(put.headers.get('x-nomad-index'), '9');
    assert.match(await put.text(), /"Path":"fw\/a".*"ModifyIndex":9/);
    assert.deepEqual(sent[0]!.headers, { 'x-nomad-token': 'ok' }, 'only the token headers travel');
    const get = await fetch(`${url}/v1/var/fw/a`);
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('x-nomad-knownleader'), 'true');
    assert.equal(sent[1]!.body, undefined);
    const denied = await fetch(`${url}/v1/var/fw/b`, { method: 'PUT', body: ITEMS, headers: { 'X-Nomad-Token': 'deny' } });
    assert.deepEqual([denied.status, await denied.text(), denied.headers.get('content-type')], [403, 'Permission denied', 'text/plain; charset=utf-8']);
    const bad = await fetch(`${url}/v1/var/fw/b`, { method: 'PUT', body: '{"Items": 1}' });
    assert.deepEqual([bad.status, await bad.text()], [400, 'variable missing required Items object']);
    rpcFails = true;
    const lost = await fetch(`${url}/v1/var/fw/c`, { method: 'PUT', body: ITEMS });
    assert.deepEqual([lost.status, await lost.text()], [500, 'failed to forward the request to the leader at 127.0.0.1:1: link lost']);
    // Maybe delivered: sent once, never again (a retry could apply a write twice).
    assert.equal(sent.filter((r) => r.url === '/v1/var/fw/c').length, 1);
    // Certainly not delivered (no link to a leader that just died): tried again until it lands.
    rpcFails = false;
    undelivered = 3;
    const retried = await fetch(`${url}/v1/var/fw/e?cas=0`, { method: 'PUT', body: ITEMS });
    assert.equal(retried.status, 200, await retried.clone().text());
    assert.equal(sent.filter((r) => r.url === '/v1/var/fw/e?cas=0').length, 4);
    // ... but not past the hold time: then `No cluster leader`-like failure is the last error.
    undelivered = 1000;
    const t0 = Date.now();
    const gaveUp = await fetch(`${url}/v1/var/fw/f`, { method: 'PUT', body: ITEMS });
    assert.equal(gaveUp.status, 500);
    assert.match(await gaveUp.text(), /failed to forward the request to the leader at 127\.0\.0\.1:1: no link/);
    assert.ok(Date.now() - t0 >= 300, 'it waited out the hold time');
    undelivered = 0;
    // A server that no longer leads answers `No cluster leader` (nothing applied): asked again.
    stepDowns = 2;
    const afterStepDown = await fetch(`${url}/v1/var/fw/g`, { method: 'PUT', body: ITEMS });
    assert.equal(afterStepDown.status, 200);
    assert.equal(sent.filter((r) => r.url === '/v1/var/fw/g').length, 3);
    // A leader that lost its leadership answers `No cluster leader` and applies nothing.
    const before = leaderSrv.fsm.variable('fw/d');
    const notLeader = await servePlainForwarded({ ...leaderCtx, raft: () => ({ role: Role.Follower, leader: 'n3' }) } as unknown as HttpContext, { method: 'PUT', url: '/v1/var/fw/d', headers: {}, body: Buffer.from(ITEMS) });
    assert.deepEqual([notLeader.status, notLeader.text], [500, 'No cluster leader']);
    assert.equal(leaderSrv.fsm.variable('fw/d'), before);
    // What arrives off the wire is checked.
    assert.throws(() => checkPlainRequest({ method: 'DELETE', url: '/v1/var/x', headers: {} }, 1024), /bad method/);
    assert.throws(() => checkPlainRequest({ method: 'PUT', url: '/v1/var/x', headers: { a: 1 } }, 1024), /bad headers/);
    assert.throws(() => checkPlainRequest({ method: 'PUT', url: '/v1/var/x', headers: {}, body: new Uint8Array(2000) }, 1024), /bad body/);
    assert.equal((await servePlainForwarded(leaderCtx, { method: 'PUT', url: '/v1/acl/bootstrap', headers: {} })).status, 400);
    role = Role.Leader; // (keeps `role` used: a leader serves locally, never forwards)
  } finally {
    await new Promise((r) => server.close(r));
    await leaderSrv.close();
  }
});
