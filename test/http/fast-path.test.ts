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
    const go = (s: FakeServer) => s.fetch('/v1/var/app/x', { method: 'PUT', body: ITEMS, headers: { 'X-Nomad-Token': '00000000-0000-4000-8000-000000000000' } });
    const [a, b] = [await go(fast), await go(slow)];
    assert.equal(a.status, 403);
    assert.deepEqual([a.status, a.text, a.headers.get('content-type')], [b.status, b.text, b.headers.get('content-type')]);
    assert.equal(fast.fsm.variable('app/x') ?? undefined, undefined);
  } finally {
    await fast.close();
    await slow.close();
  }
});

test('fast path: only plain variable requests on the leader are taken; the rest reach Express', async () => {
  let role: Role = Role.Leader;
  const ctx = {
    nodeId: 'n1',
    raft: () => ({ role, leader: role === Role.Leader ? 'n1' : 'n2' }),
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
    const fastOnes: [string, string, string?][] = [['PUT', '/v1/var/a/b', ITEMS], ['POST', '/v1/var/a', ITEMS], ['PUT', '/v1/var/a?cas=3', ITEMS], ['GET', '/v1/var/a-b_c~d']];
    for (const [m, p, b] of fastOnes) assert.notEqual(await send(m, p, b), 'express', `${m} ${p} should be served by the fast path`);
    const slowOnes: [string, string, string?, Record<string, string>?][] = [
      ['GET', '/v1/var/a?stale'], ['GET', '/v1/var/a?region=global'], ['PUT', '/v1/var/a?cas=1&pretty', ITEMS], ['PUT', '/v1/var/a/', ITEMS],
      ['PUT', '/v1/var/a//b', ITEMS], ['PUT', '/v1/var/a%2Fb', ITEMS], ['PUT', '/V1/VAR/a', ITEMS], ['DELETE', '/v1/var/a'], ['HEAD', '/v1/var/a'],
      ['GET', '/v1/vars'], ['PUT', '/v1/var/a', 'x'.repeat(2000)], ['PUT', '/v1/var/a', ITEMS, { 'Content-Encoding': 'gzip' }],
      ['PUT', `/v1/var/${'p'.repeat(129)}`, ITEMS], ['PUT', '/v1/operator/scheduler/configuration', '{}'],
    ];
    for (const [m, p, b, h] of slowOnes) await send(m, p, b, h);
    assert.equal(toExpress.length, slowOnes.length, `reached Express: ${toExpress.join(', ')}`);
    role = Role.Follower; // a follower forwards through Express's leaderOnly
    assert.equal(await send('PUT', '/v1/var/a', ITEMS), 'express');
  } finally {
    await new Promise((r) => server.close(r));
  }
});
