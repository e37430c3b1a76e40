// The ACL API over HTTP against a real Fsm (contract §6.3, §6.4, §9.10, §9.12): bootstrap and its
// reset file, policies, tokens, token self, list filtering, and the operator permission matrix.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encodeCommand } from '../../src/fsm/index.ts';
import { rfc3339Nanos } from '../../src/acl/expiry.ts';
import { buildHttpContext } from '../../src/agent/http-context.ts';
import type { Agent } from '../../src/agent/agent.ts';
import { Metrics } from '../../src/metrics/index.ts';
import { startFakeServer, type FakeServer } from './fake-server.ts';

type Json = Record<string, unknown>;
interface Call {
  method?: string;
  token?: string;
  bearer?: string;
  body?: unknown;
}

const TOKEN_KEYS = ['ExpirationTTL', 'AccessorID', 'SecretID', 'Name', 'Type', 'Policies', 'Roles', 'Global', 'Hash', 'CreateTime', 'ExpirationTime', 'CreateIndex', 'ModifyIndex'];
const TOKEN_STUB_KEYS = ['AccessorID', 'Name', 'Type', 'Policies', 'Roles', 'Global', 'Hash', 'CreateTime', 'ExpirationTime', 'CreateIndex', 'ModifyIndex'];
const POLICY_KEYS = ['Name', 'Description', 'Rules', 'RulesJSON', 'JobACL', 'Hash', 'CreateIndex', 'ModifyIndex'];
const POLICY_STUB_KEYS = ['Name', 'Description', 'JobACL', 'Hash', 'CreateIndex', 'ModifyIndex'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RFC3339_NANO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

function call(s: FakeServer, p: string, c: Call = {}) {
  const headers: Record<string, string> = {};
  if (c.token !== undefined) headers['X-Nomad-Token'] = c.token;
  if (c.bearer !== undefined) headers.Authorization = `Bearer ${c.bearer}`;
  const body = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
  return s.fetch(p, { method: c.method ?? (body === undefined ? 'GET' : 'PUT'), headers, ...(body === undefined ? {} : { body }) });
}

async function aclServer(): Promise<FakeServer> {
  const s = await startFakeServer();
  s.aclEnabled = true;
  return s;
}

async function bootstrapOn(s: FakeServer): Promise<Json> {
  const r = await call(s, '/v1/acl/bootstrap', { method: 'POST' });
  assert.equal(r.status, 200, r.text);
  return r.json as Json;
}

async function putPolicy(s: FakeServer, mgmt: string, name: string, rules: string, description = '') {
  const r = await call(s, `/v1/acl/policy/${name}`, { token: mgmt, body: { Name: name, Description: description, Rules: rules } });
  assert.equal(r.status, 200, `policy ${name}: ${r.text}`);
  return r;
}

async function createToken(s: FakeServer, mgmt: string, body: Json): Promise<Json> {
  const r = await call(s, '/v1/acl/token', { token: mgmt, body });
  assert.equal(r.status, 200, r.text);
  return r.json as Json;
}

const multi = (...errors: string[]) =>
  errors.length === 1 ? `1 error occurred:\n\t* ${errors[0]}\n\n` : `${errors.length} errors occurred:\n\t${errors.map((e) => `* ${e}`).join('\n\t')}\n\n`;

// ------------------------------------------------------------------ one shared server

let s: FakeServer;
let mgmt: string;
before(async () => {
  s = await aclServer();
  mgmt = (await bootstrapOn(s)).SecretID as string;
});
after(() => s.close());

// ------------------------------------------------------------------ disabled / methods

test('ACLs disabled: every ACL endpoint answers 400 `ACL support disabled`', async () => {
  const off = await startFakeServer();
  try {
    const cases: [string, string][] = [
      ['PUT', '/v1/acl/bootstrap'], ['POST', '/v1/acl/bootstrap'], ['GET', '/v1/acl/policies'], ['GET', '/v1/acl/policy/x'],
      ['PUT', '/v1/acl/policy/x'], ['DELETE', '/v1/acl/policy/x'], ['GET', '/v1/acl/tokens'], ['PUT', '/v1/acl/token'],
      ['GET', '/v1/acl/token/self'], ['GET', `/v1/acl/token/${randomUUID()}`], ['DELETE', `/v1/acl/token/${randomUUID()}`], ['GET', '/v1/acl/policy/self'],
    ];
    for (const [method, p] of cases) {
      const r = await off.fetch(p, { method, ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }) });
      assert.deepEqual([r.status, r.text], [400, 'ACL support disabled'], `${method} ${p}`);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    }
  } finally {
    await off.close();
  }
});

test('wrong methods answer 405 `Invalid method`; empty names answer 400', async () => {
  const cases: [string, string][] = [
    ['GET', '/v1/acl/bootstrap'], ['DELETE', '/v1/acl/bootstrap'], ['POST', '/v1/acl/policies'], ['PATCH', '/v1/acl/policy/x'],
    ['DELETE', '/v1/acl/tokens'], ['GET', '/v1/acl/token'], ['PUT', '/v1/acl/token/self'], ['PATCH', `/v1/acl/token/${randomUUID()}`],
  ];
  for (const [method, p] of cases) {
    const r = await s.fetch(p, { method, headers: { 'X-Nomad-Token': mgmt } });
    assert.deepEqual([r.status, r.text], [405, 'Invalid method'], `${method} ${p}`);
  }
  assert.deepEqual(await call(s, '/v1/acl/policy/', { token: mgmt }).then((r) => [r.status, r.text]), [400, 'Missing Policy Name']);
  assert.deepEqual(await call(s, '/v1/acl/token/', { token: mgmt }).then((r) => [r.status, r.text]), [400, 'Missing Token Accessor']);
});

// ------------------------------------------------------------------ bootstrap (§6.3, §9.12)

test('bootstrap: the token shape, a chosen secret, and the refusal of a second bootstrap', async () => {
  const b = await aclServer();
  try {
    assert.deepEqual(await call(b, '/v1/acl/bootstrap', { body: '{not json' }).then((r) => [r.status, r.text.startsWith('failed to decode request body: ')]), [400, true]);
    assert.deepEqual(await call(b, '/v1/acl/bootstrap', { body: { BootstrapSecret: 'not-a-uuid' } }).then((r) => [r.status, r.text]), [400, 'invalid acl token']);
    const secret = randomUUID();
    const r = await call(b, '/v1/acl/bootstrap', { body: { bootstrapsecret: secret } });
    assert.equal(r.status, 200, r.text);
    const t = r.json as Json;
    assert.deepEqual(Object.keys(t), TOKEN_KEYS);
    assert.equal(t.SecretID, secret, 'BootstrapSecret (matched case-insensitively) becomes the SecretID');
    assert.match(t.AccessorID as string, UUID);
    assert.deepEqual([t.Name, t.Type, t.Global, t.Policies, t.Roles, t.ExpirationTTL, t.ExpirationTime], ['Bootstrap Token', 'management', true, null, null, '', null]);
    assert.match(t.CreateTime as string, RFC3339_NANO_UTC);
    assert.equal(Buffer.from(t.Hash as string, 'base64').length, 32);
    assert.equal(r.headers.get('x-nomad-index'), String(t.CreateIndex));
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    // The token works: it may read itself.
    assert.equal(((await call(b, '/v1/acl/token/self', { token: secret })).json as Json).AccessorID, t.AccessorID);

    const again = await call(b, '/v1/acl/bootstrap', { method: 'PUT' });
    assert.deepEqual([again.status, again.text], [400, `ACL bootstrap already done (reset index: ${t.CreateIndex})`]);
  } finally {
    await b.close();
  }
});

test('bootstrap reset (§9.12): the right index re-bootstraps once; reusing it or a wrong one is refused', async () => {
  const b = await aclServer();
  try {
    const first = await bootstrapOn(b);
    const n = first.CreateIndex as number;
    b.bootstrapReset = n + 7;
    const wrong = await call(b, '/v1/acl/bootstrap', { method: 'PUT' });
    assert.deepEqual([wrong.status, wrong.text], [400, `Invalid bootstrap reset index (specified ${n + 7}, reset index: ${n})`]);
    b.bootstrapReset = n;
    const second = await call(b, '/v1/acl/bootstrap', { method: 'PUT' });
    assert.equal(second.status, 200, second.text);
    const t2 = second.json as Json;
    assert.notEqual(t2.SecretID, first.SecretID);
    assert.equal(t2.Type, 'management');
    const m = t2.CreateIndex as number;
    assert.ok(m > n);
    const reuse = await call(b, '/v1/acl/bootstrap', { method: 'PUT' });
    assert.deepEqual([reuse.status, reuse.text], [400, `Invalid bootstrap reset index (specified ${n}, reset index: ${m})`]);
    b.bootstrapReset = 0;
    assert.equal((await call(b, '/v1/acl/bootstrap', { method: 'PUT' })).text, `ACL bootstrap already done (reset index: ${m})`);
  } finally {
    await b.close();
  }
});

test('bootstrap reset file (§9.12): the agent reads <data_dir>/server/acl-bootstrap-reset, not <data_dir>/acl-bootstrap-reset', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opraft-acl-'));
  try {
    const agent = {
      config: {
        name: 'n', region: 'global', datacenter: 'dc1', dataDir: dir, acl: { enabled: true },
        limits: { httpMaxJsonBodyBytes: 1, snapshotRestoreMaxBytes: 1, snapshotRestoreMaxUncompressedBytes: 1, rpcMaxFrameBytes: 1 << 20 },
      },
      log: { info() {}, warn() {} },
      metrics: new Metrics(),
      licenseKeys: [],
    } as unknown as Agent;
    const ctx = buildHttpContext(agent);
    assert.equal(await ctx.readBootstrapReset(), 0, 'no file');
    await writeFile(path.join(dir, 'acl-bootstrap-reset'), '12');
    assert.equal(await ctx.readBootstrapReset(), 0, 'the data_dir itself is the wrong place');
    await mkdir(path.join(dir, 'server'));
    await writeFile(path.join(dir, 'server', 'acl-bootstrap-reset'), '12\n');
    assert.equal(await ctx.readBootstrapReset(), 12);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------ §9.10 matrix

test('operator permission matrix (§9.10) end to end over HTTP', async () => {
  const m = await aclServer();
  try {
    const root = (await bootstrapOn(m)).SecretID as string;
    await putPolicy(m, root, 'op-read', 'operator { policy = "read" }');
    await putPolicy(m, root, 'op-snap', 'operator {\n  policy = "read"\n  capabilities = ["snapshot-save"]\n}');
    await putPolicy(m, root, 'op-write', 'operator { policy = "write" }');
    await putPolicy(m, root, 'op-deny', JSON.stringify({ operator: { policy: 'deny' } }));
    const tok = async (...policies: string[]) => (await createToken(m, root, { Type: 'client', Policies: policies })).SecretID as string;
    const a = await tok('op-read');
    const b = await tok('op-snap');
    const c = await tok('op-write');
    const d = await tok('op-snap', 'op-deny');

    const save = (h: Call) => call(m, '/v1/operator/snapshot', h);
    const denied = async (p: Promise<{ status: number; text: string }>, what: string) => {
      const r = await p;
      assert.deepEqual([r.status, r.text], [403, 'Permission denied'], what);
    };
    const savedOk = async (h: Call, what: string) => {
      const r = await fetch(`${m.url}/v1/operator/snapshot`, { headers: h.bearer ? { Authorization: `Bearer ${h.bearer}` } : { 'X-Nomad-Token': h.token ?? '' } });
      assert.equal(r.status, 200, what);
      const bytes = Buffer.from(await r.arrayBuffer());
      assert.equal(r.headers.get('digest'), `sha-256=${createHash('sha256').update(bytes).digest('base64')}`, `${what}: valid Digest`);
      return bytes;
    };

    await denied(save({ token: a }), '(a) operator read cannot save');
    const snap = await savedOk({ bearer: b }, '(b) read + snapshot-save (as a Bearer token)');
    await savedOk({ token: c }, '(c) operator write');
    await denied(save({ token: d }), '(d) a deny policy wins over snapshot-save');
    for (const t of [a, b, c, d]) {
      await denied(m.fetch('/v1/operator/snapshot', { method: 'PUT', headers: { 'X-Nomad-Token': t }, body: new Uint8Array(snap) }), '(e) restore needs management');
    }
    await denied(save({}), '(f) no token');
    await denied(save({ token: randomUUID() }), '(g) unknown UUID');
    await denied(save({ token: 'not-a-uuid' }), 'a secret that is not a UUID');
    const restored = await m.fetch('/v1/operator/snapshot', { method: 'PUT', headers: { 'X-Nomad-Token': root }, body: new Uint8Array(snap) });
    assert.equal(restored.status, 200, `management may restore: ${restored.text}`);

    // Other operator endpoints follow §6.2's table.
    const sched = '/v1/operator/scheduler/configuration';
    assert.equal((await call(m, sched, { token: a })).status, 200, 'scheduler GET: operator read');
    await denied(call(m, sched, { token: a, body: {} }), 'scheduler PUT needs operator write');
    assert.equal((await call(m, sched, { token: c, body: { SchedulerAlgorithm: 'spread' } })).status, 200, 'scheduler PUT: operator write');
    await denied(call(m, sched, { token: d }), 'deny removes read');
    await denied(call(m, sched, {}), 'anonymous without an anonymous policy');
    await denied(call(m, '/v1/operator/raft/configuration', { token: c }), 'raft configuration needs management');
    assert.equal((await call(m, '/v1/operator/raft/configuration', { token: root })).status, 200);
    // An `anonymous` policy governs requests without a token.
    await putPolicy(m, root, 'anonymous', 'operator { policy = "read" }');
    assert.equal((await call(m, sched, {})).status, 200, 'the anonymous policy grants operator read');
    await denied(save({}), 'but not snapshot-save');
  } finally {
    await m.close();
  }
});

// ------------------------------------------------------------------ policies

test('policy CRUD: upsert answers empty with X-Nomad-Index; GET shape with RulesJSON; delete', async () => {
  const w = await putPolicy(s, mgmt, 'readers', 'operator {\n  policy = "read"\n}\nnode { policy = "write" }', 'read ops');
  assert.equal(w.text, '');
  assert.equal(w.headers.get('content-type'), null);
  const idx = Number(w.headers.get('x-nomad-index'));
  assert.ok(idx > 0);
  const g = await call(s, '/v1/acl/policy/readers', { token: mgmt });
  assert.equal(g.status, 200);
  const p = g.json as Json;
  assert.deepEqual(Object.keys(p), POLICY_KEYS);
  assert.deepEqual([p.Name, p.Description, p.JobACL, p.CreateIndex, p.ModifyIndex], ['readers', 'read ops', null, idx, idx]);
  assert.equal(Buffer.from(p.Hash as string, 'base64').length, 32);
  const rj = p.RulesJSON as { Operator: { Policy: string; Capabilities: string[] }; Node: { Policy: string }; Namespaces: null };
  assert.equal(rj.Operator.Policy, 'read');
  assert.deepEqual(rj.Operator.Capabilities, ['license-read', 'keyring-read']);
  assert.equal(rj.Node.Policy, 'write');
  assert.equal(rj.Namespaces, null);
  assert.equal(g.headers.get('x-nomad-index'), String(idx));
  assert.equal(g.headers.get('x-nomad-knownleader'), 'true');
  assert.equal(g.headers.get('x-nomad-lastcontact'), '0');

  // An update keeps CreateIndex and changes the hash; JSON rules are accepted as well.
  const w2 = await putPolicy(s, mgmt, 'readers', JSON.stringify({ operator: { policy: 'write' } }));
  const p2 = (await call(s, '/v1/acl/policy/readers', { token: mgmt })).json as Json;
  assert.equal(p2.CreateIndex, idx);
  assert.equal(p2.ModifyIndex, Number(w2.headers.get('x-nomad-index')));
  assert.notEqual(p2.Hash, p.Hash);
  assert.equal((p2.RulesJSON as { Operator: { Policy: string } }).Operator.Policy, 'write');

  const del = await call(s, '/v1/acl/policy/readers', { token: mgmt, method: 'DELETE' });
  assert.deepEqual([del.status, del.text], [200, '']);
  assert.ok(Number(del.headers.get('x-nomad-index')) > Number(w2.headers.get('x-nomad-index')));
  const gone = await call(s, '/v1/acl/policy/readers', { token: mgmt });
  assert.deepEqual([gone.status, gone.text], [404, 'ACL policy not found']);
  assert.ok(Number(gone.headers.get('x-nomad-index')) >= Number(del.headers.get('x-nomad-index')), 'a miss reports the policy table index');
});

test('policy upsert errors: path mismatch, name rule, rules that do not parse, description, body, permission', async () => {
  const put = (name: string, body: unknown, token = mgmt) => call(s, `/v1/acl/policy/${name}`, { token, body });
  const cases: [string, unknown, number, string | RegExp][] = [
    ['p1', { Name: 'p2', Rules: '' }, 400, 'ACL policy name does not match request path'],
    ['p1', { Rules: '' }, 400, 'ACL policy name does not match request path'],
    ['bad_name', { Name: 'bad_name', Rules: '' }, 400, `policy 0 invalid: ${multi("invalid name 'bad_name'")}`],
    ['p1', { Name: 'p1', Rules: 'operator { capabilities = ["nope"] }' }, 400, `policy 0 invalid: ${multi("failed to parse rules: Invalid operator capability 'nope'")}`],
    ['p1', { Name: 'p1', Rules: 'bogus { }' }, 400, /^policy 0 invalid: 1 error occurred:\n\t\* failed to parse rules: .*bogus/],
    ['p1', { Name: 'p1', Rules: '', Description: 'x'.repeat(257) }, 400, `policy 0 invalid: ${multi('description longer than 256')}`],
    ['a_b', { Name: 'a_b', Rules: 'agent { policy = "root" }', Description: 'x'.repeat(300) }, 400, /^policy 0 invalid: 3 errors occurred:\n\t\* invalid name 'a_b'\n\t\* failed to parse rules: .*\n\t\* description longer than 256\n\n$/],
    ['p1', { Name: 'p1', Rules: 7 }, 400, /Rules/],
    ['p1', '{nope', 400, /JSON/],
  ];
  for (const [name, body, status, text] of cases) {
    const r = await put(name, body);
    assert.equal(r.status, status, `${name} ${JSON.stringify(body).slice(0, 60)}: ${r.text}`);
    if (typeof text === 'string') assert.equal(r.text, text);
    else assert.match(r.text, text);
  }
  assert.deepEqual(await call(s, '/v1/acl/policy/p1', { token: mgmt, method: 'PUT' }).then((r) => [r.status, r.text]), [400, 'Request body is empty']);
  // 256 characters of description are fine; nothing above was written.
  await putPolicy(s, mgmt, 'p1', '', 'x'.repeat(256));
  assert.equal((await call(s, '/v1/acl/policy/bad_name', { token: mgmt })).status, 404);
  // Writes need management.
  const client = (await createToken(s, mgmt, { Type: 'client', Policies: ['p1'] })).SecretID as string;
  assert.deepEqual(await put('p1', { Name: 'p1', Rules: '' }, client).then((r) => [r.status, r.text]), [403, 'Permission denied']);
  assert.deepEqual(await call(s, '/v1/acl/policy/p1', { token: client, method: 'DELETE' }).then((r) => [r.status, r.text]), [403, 'Permission denied']);
  assert.equal((await put('p1', { Name: 'p1', Rules: '' }, randomUUID())).status, 403);
  await call(s, '/v1/acl/policy/p1', { token: mgmt, method: 'DELETE' });
});

test('policy read: management, an attached policy, or the anonymous policy', async () => {
  await putPolicy(s, mgmt, 'mine', 'node { policy = "read" }');
  await putPolicy(s, mgmt, 'theirs', 'node { policy = "read" }');
  const mine = (await createToken(s, mgmt, { Type: 'client', Policies: ['mine', 'missing'] })).SecretID as string;
  assert.equal((await call(s, '/v1/acl/policy/mine', { token: mine })).status, 200);
  assert.equal((await call(s, '/v1/acl/policy/mine', { bearer: mine })).status, 200, 'Authorization: Bearer');
  assert.deepEqual(await call(s, '/v1/acl/policy/theirs', { token: mine }).then((r) => [r.status, r.text]), [403, 'Permission denied']);
  assert.deepEqual(await call(s, '/v1/acl/policy/missing', { token: mine }).then((r) => [r.status, r.text]), [404, 'ACL policy not found'], 'attached but absent');
  assert.equal((await call(s, '/v1/acl/policy/theirs', {})).status, 403, 'anonymous');
  assert.equal((await call(s, '/v1/acl/policy/anonymous', { token: mine })).status, 404, 'anyone may look the anonymous policy up');
  await putPolicy(s, mgmt, 'anonymous', 'node { policy = "read" }');
  try {
    assert.equal((await call(s, '/v1/acl/policy/anonymous', { token: mine })).status, 200);
    assert.equal((await call(s, '/v1/acl/policy/anonymous', {})).status, 200);
    assert.equal((await call(s, '/v1/acl/policy/mine', {})).status, 403);
    assert.equal((await call(s, '/v1/acl/policy/mine', { token: randomUUID() })).status, 403, 'unknown token');
  } finally {
    await call(s, '/v1/acl/policy/anonymous', { token: mgmt, method: 'DELETE' });
  }
});

test('policy list: management sees all, others only theirs; stubs; [] never null; query meta', async () => {
  const fresh = await aclServer();
  try {
    const root = (await bootstrapOn(fresh)).SecretID as string;
    const empty = await call(fresh, '/v1/acl/policies', { token: root });
    assert.deepEqual([empty.status, empty.text], [200, '[]']);
    assert.equal(empty.headers.get('x-nomad-index'), '1', 'index floored at 1');
    await putPolicy(fresh, root, 'b-pol', '');
    await putPolicy(fresh, root, 'a-pol', '', 'first');
    const w = await putPolicy(fresh, root, 'c-pol', '');
    const all = await call(fresh, '/v1/acl/policies', { token: root });
    const list = all.json as Json[];
    assert.deepEqual(list.map((p) => p.Name), ['a-pol', 'b-pol', 'c-pol']);
    assert.deepEqual(Object.keys(list[0]!), POLICY_STUB_KEYS);
    assert.equal(list[0]!.Description, 'first');
    assert.equal(all.headers.get('x-nomad-index'), w.headers.get('x-nomad-index'));
    assert.equal(all.headers.get('x-nomad-knownleader'), 'true');
    assert.equal(all.headers.get('x-nomad-lastcontact'), '0');
    assert.deepEqual(((await call(fresh, '/v1/acl/policies?prefix=b', { token: root })).json as Json[]).map((p) => p.Name), ['b-pol']);
    const client = (await createToken(fresh, root, { Type: 'client', Policies: ['c-pol', 'a-pol'] })).SecretID as string;
    assert.deepEqual(((await call(fresh, '/v1/acl/policies', { token: client })).json as Json[]).map((p) => p.Name), ['a-pol', 'c-pol']);
    assert.deepEqual(((await call(fresh, '/v1/acl/policy/self', { bearer: client })).json as Json[]).map((p) => p.Name), ['a-pol', 'c-pol']);
    assert.deepEqual(((await call(fresh, '/v1/acl/policy/self', { token: root })).json as Json[]).length, 3);
    assert.equal((await call(fresh, '/v1/acl/policies', {})).text, '[]', 'anonymous sees nothing without an anonymous policy');
    await putPolicy(fresh, root, 'anonymous', '');
    assert.deepEqual(((await call(fresh, '/v1/acl/policies', {})).json as Json[]).map((p) => p.Name), ['anonymous']);
    assert.deepEqual(await call(fresh, '/v1/acl/policy/self', {}).then((r) => [r.status, r.text]), [403, 'Permission denied']);
    assert.equal((await call(fresh, '/v1/acl/policies', { token: randomUUID() })).status, 403);
  } finally {
    await fresh.close();
  }
});

// ------------------------------------------------------------------ tokens

test('token create: shape, generated IDs, TTL and expiration, X-Nomad-Index', async () => {
  const r = await call(s, '/v1/acl/token', { token: mgmt, method: 'POST', body: { Name: 'ci', Type: 'client', Policies: ['p'], SecretID: 'ignored', CreateTime: 'ignored' } });
  assert.equal(r.status, 200, r.text);
  const t = r.json as Json;
  assert.deepEqual(Object.keys(t), TOKEN_KEYS);
  assert.match(t.AccessorID as string, UUID);
  assert.match(t.SecretID as string, UUID);
  assert.deepEqual([t.Name, t.Type, t.Policies, t.Roles, t.Global, t.ExpirationTTL, t.ExpirationTime], ['ci', 'client', ['p'], null, false, '', null]);
  assert.match(t.CreateTime as string, RFC3339_NANO_UTC);
  assert.ok(Math.abs(Date.parse(t.CreateTime as string) - Date.now()) < 5000);
  assert.equal(r.headers.get('x-nomad-index'), String(t.CreateIndex));
  assert.equal(t.CreateIndex, t.ModifyIndex);

  const ttl = (await createToken(s, mgmt, { Type: 'client', Policies: ['p'], ExpirationTTL: '10m' }));
  assert.equal(ttl.ExpirationTTL, '10m0s');
  assert.match(ttl.ExpirationTime as string, RFC3339_NANO_UTC);
  assert.equal(rfc3339Nanos(ttl.ExpirationTime as string)! - rfc3339Nanos(ttl.CreateTime as string)!, 600_000_000_000n);
  const ns = await createToken(s, mgmt, { Type: 'management', ExpirationTTL: 90 * 60 * 1e9, Global: true });
  assert.deepEqual([ns.ExpirationTTL, ns.Global, ns.Policies], ['1h30m0s', true, null], 'a TTL in nanoseconds');
  const at = new Date(Date.now() + 3_600_000).toISOString();
  const explicit = await createToken(s, mgmt, { Type: 'management', ExpirationTime: at });
  assert.deepEqual([explicit.ExpirationTTL, Date.parse(explicit.ExpirationTime as string)], ['', Date.parse(at)]);
  // The hash follows the token's fields.
  const other = await createToken(s, mgmt, { Name: 'ci', Type: 'client', Policies: ['q'] });
  assert.notEqual(other.Hash, t.Hash);
});

test('token create errors: `token 0 invalid:` with Nomad multi-errors; decode errors; roles; permission', async () => {
  const cases: [unknown, string | RegExp][] = [
    [{ Type: 'client' }, `token 0 invalid: ${multi('client token missing policies or roles')}`],
    [{ Type: 'management', Policies: ['p'] }, `token 0 invalid: ${multi('management token cannot be associated with policies or roles')}`],
    [{ Type: 'blah', Policies: ['p'] }, `token 0 invalid: ${multi('token type must be client or management')}`],
    [{}, `token 0 invalid: ${multi('token type must be client or management')}`],
    [{ Type: 'management', Name: 'n'.repeat(257) }, `token 0 invalid: ${multi('token name too long')}`],
    [{ Type: 'management', ExpirationTTL: '30s' }, `token 0 invalid: ${multi('expiration time cannot be less than 1m0s in the future (was 30s)')}`],
    [{ Type: 'management', ExpirationTTL: '25h' }, `token 0 invalid: ${multi('expiration time cannot be more than 24h0m0s in the future (was 25h0m0s)')}`],
    [{ Type: 'management', ExpirationTTL: '-5m' }, `token 0 invalid: ${multi("token expiration TTL '-5m0s' should not be negative", 'expiration time cannot be before create time', 'expiration time cannot be less than 1m0s in the future (was -5m0s)')}`],
    [{ Type: 'management', ExpirationTime: '2001-01-01T00:00:00Z' }, /^token 0 invalid: 2 errors occurred:\n\t\* expiration time cannot be before create time\n\t\* expiration time cannot be less than 1m0s in the future \(was -\d+h\d+m[\d.]+s\)\n\n$/],
    [{ Type: 'client', ExpirationTTL: '10m' }, `token 0 invalid: ${multi('client token missing policies or roles')}`],
    [{ Type: 'management', ExpirationTTL: 'soon' }, /soon/],
    [{ Type: 'management', ExpirationTime: 'tomorrow' }, /tomorrow/],
    [{ Type: 'client', Policies: 'p' }, /Policies/],
    [{ Type: 7 }, /Type/],
    ['{nope', /JSON/],
    [{ Type: 'client', Roles: [{ Name: 'ops' }] }, 'cannot find role ops'],
  ];
  const before = s.fsm.aclTokens().length;
  for (const [body, text] of cases) {
    const r = await call(s, '/v1/acl/token', { token: mgmt, body });
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    if (typeof text === 'string') assert.equal(r.text, text);
    else assert.match(r.text, text);
  }
  assert.equal(s.fsm.aclTokens().length, before, 'nothing was written');
  assert.deepEqual(await call(s, '/v1/acl/token', { token: mgmt, method: 'PUT' }).then((r) => [r.status, r.text]), [400, 'Request body is empty']);
  assert.equal((await createToken(s, mgmt, { Type: 'management', ExpirationTTL: '1m' })).ExpirationTTL, '1m0s', 'the bounds are inclusive');
  assert.equal((await createToken(s, mgmt, { Type: 'management', ExpirationTTL: '24h' })).ExpirationTTL, '24h0m0s');
  const client = (await createToken(s, mgmt, { Type: 'client', Policies: ['x'] })).SecretID as string;
  assert.deepEqual(await call(s, '/v1/acl/token', { token: client, body: { Type: 'management' } }).then((r) => [r.status, r.text]), [403, 'Permission denied']);
  assert.equal((await call(s, '/v1/acl/token', { body: { Type: 'management' } })).status, 403, 'anonymous');
});

test('token read by accessor: management or the token itself; 404 / 403 for a missing one', async () => {
  const t = await createToken(s, mgmt, { Name: 'reader', Type: 'client', Policies: ['p'] });
  const other = (await createToken(s, mgmt, { Type: 'client', Policies: ['p'] })).SecretID as string;
  const url = `/v1/acl/token/${t.AccessorID}`;
  const g = await call(s, url, { token: mgmt });
  assert.equal(g.status, 200);
  assert.deepEqual(g.json, t);
  assert.equal(g.headers.get('x-nomad-index'), String(t.ModifyIndex));
  assert.equal(g.headers.get('x-nomad-knownleader'), 'true');
  assert.equal((await call(s, url, { token: t.SecretID as string })).status, 200, 'its own secret');
  assert.equal((await call(s, url, { bearer: t.SecretID as string })).status, 200, 'its own secret as a Bearer token');
  assert.deepEqual(await call(s, url, { token: other }).then((r) => [r.status, r.text]), [403, 'Permission denied']);
  assert.equal((await call(s, url, {})).status, 403);
  const missing = `/v1/acl/token/${randomUUID()}`;
  assert.deepEqual(await call(s, missing, { token: mgmt }).then((r) => [r.status, r.text]), [404, 'ACL token not found']);
  assert.deepEqual(await call(s, missing, { token: other }).then((r) => [r.status, r.text]), [403, 'Permission denied']);
});

test('token update: path match, kept secret and creation, refused changes, unknown accessor', async () => {
  const t = await createToken(s, mgmt, { Name: 'before', Type: 'client', Policies: ['a'], ExpirationTTL: '1h' });
  const url = `/v1/acl/token/${t.AccessorID}`;
  const same = { AccessorID: t.AccessorID, Type: 'client', Policies: ['a'], ExpirationTTL: '1h', ExpirationTime: t.ExpirationTime };
  const u = await call(s, url, { token: mgmt, body: { ...same, Name: 'after', Policies: ['a', 'b'], SecretID: randomUUID() } });
  assert.equal(u.status, 200, u.text);
  const t2 = u.json as Json;
  assert.deepEqual(Object.keys(t2), TOKEN_KEYS);
  assert.deepEqual([t2.Name, t2.Policies, t2.SecretID, t2.CreateTime, t2.CreateIndex, t2.ExpirationTime, t2.ExpirationTTL], ['after', ['a', 'b'], t.SecretID, t.CreateTime, t.CreateIndex, t.ExpirationTime, '1h0m0s']);
  assert.ok((t2.ModifyIndex as number) > (t.ModifyIndex as number));
  assert.equal(u.headers.get('x-nomad-index'), String(t2.ModifyIndex));
  assert.notEqual(t2.Hash, t.Hash);
  // PUT /v1/acl/token with an AccessorID updates too.
  assert.equal(((await call(s, '/v1/acl/token', { token: mgmt, body: { ...same, Name: 'via-create' } })).json as Json).Name, 'via-create');

  const bad: [string, unknown, string][] = [
    [url, { ...same, AccessorID: randomUUID() }, 'ACL token accessor does not match request path'],
    [url, { Type: 'client', Policies: ['a'] }, 'ACL token accessor does not match request path'],
    [url, { ...same, Global: true }, `token 0 invalid: ${multi('cannot toggle global mode')}`],
    [url, { ...same, ExpirationTTL: '2h' }, `token 0 invalid: ${multi('cannot update expiration TTL')}`],
    [url, { ...same, ExpirationTime: null }, `token 0 invalid: ${multi('cannot update expiration time')}`],
    [url, { ...same, Policies: [] }, `token 0 invalid: ${multi('client token missing policies or roles')}`],
  ];
  for (const [p, body, text] of bad) {
    const r = await call(s, p, { token: mgmt, body });
    assert.deepEqual([r.status, r.text], [400, text], JSON.stringify(body));
  }
  const ghost = randomUUID();
  assert.deepEqual(await call(s, `/v1/acl/token/${ghost}`, { token: mgmt, body: { AccessorID: ghost, Type: 'management' } }).then((r) => [r.status, r.text]), [400, `cannot find token ${ghost}`]);
  assert.deepEqual(await call(s, url, { token: t.SecretID as string, body: same }).then((r) => [r.status, r.text]), [403, 'Permission denied'], 'a token cannot update itself');
});

test('token delete: empty 200 with X-Nomad-Index; the secret stops working; nonexistent → 400', async () => {
  const t = await createToken(s, mgmt, { Type: 'client', Policies: ['p'] });
  const url = `/v1/acl/token/${t.AccessorID}`;
  assert.deepEqual(await call(s, url, { token: t.SecretID as string, method: 'DELETE' }).then((r) => [r.status, r.text]), [403, 'Permission denied']);
  const d = await call(s, url, { token: mgmt, method: 'DELETE' });
  assert.deepEqual([d.status, d.text], [200, '']);
  assert.ok(Number(d.headers.get('x-nomad-index')) > (t.CreateIndex as number));
  assert.equal((await call(s, url, { token: mgmt })).status, 404);
  assert.deepEqual(await call(s, '/v1/acl/token/self', { token: t.SecretID as string }).then((r) => [r.status, r.text]), [403, 'Permission denied']);
  assert.deepEqual(await call(s, url, { token: mgmt, method: 'DELETE' }).then((r) => [r.status, r.text]), [400, `Cannot delete nonexistent tokens: ${t.AccessorID}`]);
});

test('token self: any valid token; 404 without one; 403 for unknown, malformed or expired secrets', async () => {
  const t = await createToken(s, mgmt, { Name: 'me', Type: 'client', Policies: ['nothing-exists'] });
  for (const c of [{ token: t.SecretID as string }, { bearer: t.SecretID as string }]) {
    const r = await call(s, '/v1/acl/token/self', c);
    assert.equal(r.status, 200, JSON.stringify(c));
    assert.deepEqual(r.json, t);
    assert.equal(r.headers.get('x-nomad-index'), String(t.ModifyIndex));
  }
  // X-Nomad-Token wins over Authorization.
  const both = await s.fetch('/v1/acl/token/self', { headers: { 'X-Nomad-Token': mgmt, Authorization: `Bearer ${t.SecretID}` } });
  assert.equal((both.json as Json).Type, 'management');
  assert.equal(((await call(s, '/v1/acl/token/self', { token: mgmt })).json as Json).Name, 'Bootstrap Token');
  assert.deepEqual(await call(s, '/v1/acl/token/self', {}).then((r) => [r.status, r.text]), [404, 'ACL token not found']);
  assert.deepEqual(await call(s, '/v1/acl/token/self', { token: randomUUID() }).then((r) => [r.status, r.text]), [403, 'Permission denied']);
  assert.deepEqual(await call(s, '/v1/acl/token/self', { token: 'abc' }).then((r) => [r.status, r.text]), [403, 'Permission denied']);

  // An expired token (written straight into a separate server's FSM) is refused everywhere.
  const x = await aclServer();
  try {
    await bootstrapOn(x);
    const secret = randomUUID();
    const expired = {
      ExpirationTTL: 0, AccessorID: randomUUID(), SecretID: secret, Name: 'old', Type: 'management' as const, Policies: null, Roles: null,
      Global: false, Hash: '', CreateTime: '2020-01-01T00:00:00Z', ExpirationTime: '2020-01-01T01:00:00Z',
    };
    const applied = x.fsm.apply(1000, encodeCommand({ type: 'upsertAclTokens', tokens: [expired] }));
    assert.equal(applied.ok, true);
    assert.deepEqual(await call(x, '/v1/acl/token/self', { token: secret }).then((r) => [r.status, r.text]), [403, 'Permission denied']);
    assert.equal((await call(x, '/v1/acl/tokens', { token: secret })).status, 403);
    assert.equal((await call(x, '/v1/operator/raft/configuration', { token: secret })).status, 403);
  } finally {
    await x.close();
  }
});

test('token list: management only; stubs without SecretID/ExpirationTTL; prefix, order, pagination', async () => {
  const fresh = await aclServer();
  try {
    const root = await bootstrapOn(fresh);
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await createToken(fresh, root.SecretID as string, { Name: `t${i}`, Type: 'client', Policies: ['p'], ExpirationTTL: '1h' }));
    const r = await call(fresh, '/v1/acl/tokens', { token: root.SecretID as string });
    assert.equal(r.status, 200);
    const list = r.json as Json[];
    assert.deepEqual(list.map((t) => t.Name), ['Bootstrap Token', 't0', 't1', 't2'], 'creation order');
    for (const stub of list) assert.deepEqual(Object.keys(stub), TOKEN_STUB_KEYS);
    assert.equal(list[1]!.ExpirationTime, made[0]!.ExpirationTime);
    assert.equal(r.headers.get('x-nomad-index'), String(made[2]!.CreateIndex));
    assert.equal(r.headers.get('x-nomad-knownleader'), 'true');
    assert.equal(r.headers.get('x-nomad-lastcontact'), '0');
    assert.equal(r.headers.get('x-nomad-nexttoken'), null);

    const acc = made[1]!.AccessorID as string;
    assert.deepEqual(((await call(fresh, `/v1/acl/tokens?prefix=${acc.slice(0, 8)}`, { token: root.SecretID as string })).json as Json[]).map((t) => t.AccessorID), [acc]);
    assert.equal((await call(fresh, '/v1/acl/tokens?prefix=zzzz', { token: root.SecretID as string })).text, '[]');
    assert.deepEqual(((await call(fresh, '/v1/acl/tokens?reverse=true', { token: root.SecretID as string })).json as Json[]).map((t) => t.Name), ['t2', 't1', 't0', 'Bootstrap Token']);

    const p1 = await call(fresh, '/v1/acl/tokens?per_page=2', { token: root.SecretID as string });
    assert.deepEqual((p1.json as Json[]).map((t) => t.Name), ['Bootstrap Token', 't0']);
    const next = p1.headers.get('x-nomad-nexttoken');
    assert.equal(next, `${made[1]!.CreateIndex}.${made[1]!.AccessorID}`);
    const p2 = await call(fresh, `/v1/acl/tokens?per_page=2&next_token=${next}`, { token: root.SecretID as string });
    assert.deepEqual((p2.json as Json[]).map((t) => t.Name), ['t1', 't2']);
    assert.equal(p2.headers.get('x-nomad-nexttoken'), null);
    assert.deepEqual(await call(fresh, '/v1/acl/tokens?per_page=two', { token: root.SecretID as string }).then((x) => [x.status, x.text]), [400, 'Expect a number for `per_page` query string parameter']);

    assert.deepEqual(await call(fresh, '/v1/acl/tokens', { token: made[0]!.SecretID as string }).then((x) => [x.status, x.text]), [403, 'Permission denied']);
    assert.equal((await call(fresh, '/v1/acl/tokens', {})).status, 403);
  } finally {
    await fresh.close();
  }
});

test('reads honour ?stale without a leader; writes and consistent reads wait for one', async () => {
  const saved = s.leader;
  s.leader = '';
  try {
    const stale = await call(s, '/v1/acl/tokens?stale', { token: mgmt });
    assert.equal(stale.status, 200, stale.text);
    assert.equal(stale.headers.get('x-nomad-knownleader'), 'false');
    assert.equal((await call(s, '/v1/acl/token/self?stale=true', { token: mgmt })).status, 200);
    assert.deepEqual(await call(s, '/v1/acl/tokens', { token: mgmt }).then((r) => [r.status, r.text]), [500, 'No cluster leader']);
    assert.deepEqual(await call(s, '/v1/acl/token', { token: mgmt, body: { Type: 'management' } }).then((r) => [r.status, r.text]), [500, 'No cluster leader']);
    assert.deepEqual(await call(s, '/v1/acl/bootstrap?stale', { method: 'PUT' }).then((r) => [r.status, r.text]), [500, 'No cluster leader'], 'stale does not apply to writes');
    assert.deepEqual(await call(s, '/v1/acl/tokens?stale=maybe', { token: mgmt }).then((r) => [r.status, r.text]), [400, 'Expect `true` or `false` for `stale` query string parameter']);
  } finally {
    s.leader = saved;
  }
});
