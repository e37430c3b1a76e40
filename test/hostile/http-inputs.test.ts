// Hostile HTTP input against the real Express app and FSM (the in-process fake leader): malformed
// JSON, wrong types, bodies over the limit (Part A §13), missing / repeated / bracketed query
// parameters, invalid durations, `cas` values, UUIDs and paths, unknown paths and methods, and a
// burst of concurrent requests. Each answers the contract's error, in plain text, and leaves the
// state exactly as it was. (test/http/* covers the single documented texts; this sweeps the space.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { startFakeServer, type FakeServer } from '../http/fake-server.ts';
import { assertRefused, fingerprint, raw } from './helpers.ts';

let s: FakeServer;
let mgmt: string;
const LIMIT = 128 * 1024; // the fake server's limits.jsonBodyBytes
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

before(async () => {
  s = await startFakeServer();
  s.aclEnabled = true;
  const r = await s.fetch('/v1/acl/bootstrap', { method: 'PUT' });
  assert.equal(r.status, 200, r.text);
  mgmt = (r.json as { SecretID: string }).SecretID;
  // Something to protect: a variable and a policy.
  assert.equal((await send('PUT', '/v1/var/keep/me', { body: '{"Items":{"k":"v"}}' })).status, 200);
  assert.equal((await send('PUT', '/v1/acl/policy/ops', { body: JSON.stringify({ Name: 'ops', Rules: 'operator { policy = "read" }' }) })).status, 200);
});
after(async () => {
  agent.destroy();
  await s.close();
});

/** A request with the management token over a keep-alive agent. */
async function send(method: string, path: string, o: { body?: string | Buffer; headers?: Record<string, string | number>; chunks?: (string | Buffer)[]; anonymous?: boolean } = {}) {
  const headers = { ...(o.anonymous ? {} : { 'X-Nomad-Token': mgmt }), ...o.headers };
  const go = () => raw(s.url, method, path, { body: o.body, chunks: o.chunks, agent, headers });
  // A kept-alive socket the server closed while idle resets at once; the request never arrived.
  const r = await go().catch((e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? go() : Promise.reject(e)));
  return { status: r.status, text: r.text, contentType: r.headers['content-type'], headers: r.headers };
}

/** Sends, and asserts a refusal with no state change. Returns the answer. */
async function refused(method: string, path: string, o: Parameters<typeof send>[2] & { status?: number | RegExp; text?: string | RegExp } = {}) {
  const before = fingerprint(s);
  const r = await send(method, path, o);
  const what = `${method} ${path.slice(0, 120)} ${typeof o.body === 'string' ? o.body.slice(0, 80) : ''}`;
  assertRefused(r, before, fingerprint(s), what, o.status);
  if (typeof o.text === 'string') assert.equal(r.text, o.text, what);
  else if (o.text) assert.match(r.text, o.text, what);
  return r;
}

/** The JSON endpoints, each with the prefix Nomad puts before a body-decoding error. */
const JSON_ENDPOINTS: { method: string; path: string; decodeError: RegExp }[] = [
  { method: 'PUT', path: '/v1/operator/scheduler/configuration', decodeError: /^Error parsing scheduler config: / },
  { method: 'POST', path: '/v1/operator/scheduler/configuration', decodeError: /^Error parsing scheduler config: / },
  { method: 'PUT', path: '/v1/operator/autopilot/configuration', decodeError: /^Error parsing autopilot config: / },
  { method: 'PUT', path: '/v1/var/hostile/x', decodeError: /^Request decode failed: / },
  { method: 'POST', path: '/v1/var/hostile/x', decodeError: /^Request decode failed: / },
  { method: 'PUT', path: '/v1/acl/token', decodeError: /\S/ },
  { method: 'PUT', path: '/v1/acl/policy/ops', decodeError: /\S/ },
];

test('malformed JSON bodies answer 400 with each endpoint\'s decode error and change nothing', async () => {
  const bodies: (string | Buffer)[] = [
    '{', '{"Items":', '{"Items":{"a":"b"}', '{"a" 1}', "{'a':1}", '[1,]', '{"a":01}', 'NaN', 'nul', 'tru', '{"a":"\\x"}', '{"a":"\u0001"}',
    '\u0000', '   ', '\ufeff{}', '{"a":1e}', '{"a":-}', '/* comment */ {}', '{"a":"unterminated',
    Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from('{"Items":{"a":"\xff"}', 'latin1'), '{'.repeat(100_000), '['.repeat(50_000),
  ];
  for (const e of JSON_ENDPOINTS) {
    for (const body of bodies) await refused(e.method, e.path, { body, status: 400, text: e.decodeError });
  }
});

test('bodies of the wrong JSON type, at the top and in every field, answer 400 and change nothing', async () => {
  const wrongTops = ['[]', '[{"Items":{"a":"b"}}]', '"x"', '5', 'true', '-1'];
  for (const e of JSON_ENDPOINTS) for (const body of wrongTops) await refused(e.method, e.path, { body, status: 400 });

  const sched = '/v1/operator/scheduler/configuration';
  const schedulerBodies = [
    { SchedulerAlgorithm: 5 }, { SchedulerAlgorithm: ['spread'] }, { SchedulerAlgorithm: 'random' }, { SchedulerAlgorithm: 'SPREAD' },
    { PreemptionConfig: 'x' }, { PreemptionConfig: [] }, { PreemptionConfig: { SystemSchedulerEnabled: 'yes' } }, { PreemptionConfig: { BatchSchedulerEnabled: 1 } },
    { MemoryOversubscriptionEnabled: 'true' }, { RejectJobRegistration: 0 }, { PauseEvalBroker: {} },
    { NodeLimitForFeasibilityChecks: -1 }, { NodeLimitForFeasibilityChecks: 1.5 }, { NodeLimitForFeasibilityChecks: '3' }, { NodeLimitForFeasibilityChecks: 2 ** 60 },
  ];
  for (const b of schedulerBodies) await refused('PUT', sched, { body: JSON.stringify(b), status: 400, text: /^(Error parsing scheduler config: json: cannot unmarshal|invalid scheduler algorithm: )/ });
  await refused('PUT', sched, { body: '{"NodeLimitForFeasibilityChecks":1e400}', status: 400, text: /^Error parsing scheduler config: / });

  const ap = '/v1/operator/autopilot/configuration';
  const autopilotBodies = [
    { LastContactThreshold: 200 }, { LastContactThreshold: true }, { LastContactThreshold: ['1s'] }, { ServerStabilizationTime: {} },
    { CleanupDeadServers: 'false' }, { CleanupDeadServers: 1 }, { MaxTrailingLogs: -1 }, { MaxTrailingLogs: 1.25 }, { MaxTrailingLogs: '250' },
    { MaxTrailingLogs: 2 ** 54 }, { MinQuorum: -3 }, { MinQuorum: [] }, { EnableRedundancyZones: 'no' },
  ];
  for (const b of autopilotBodies) await refused('PUT', ap, { body: JSON.stringify(b), status: 400, text: /^Error parsing autopilot config: / });

  const itemsBodies = [
    {}, { Items: null }, { Items: [] }, { Items: ['a'] }, { Items: 'a=b' }, { Items: 5 }, { Items: {} }, { items: {} },
    { Items: { a: 1 } }, { Items: { a: null } }, { Items: { a: ['b'] } }, { Items: { a: { b: 'c' } } }, { Items: { a: true } },
    { Items: { a: 'x'.repeat(65_537) } },
  ];
  for (const b of itemsBodies) await refused('PUT', '/v1/var/hostile/items', { body: JSON.stringify(b), status: 400, text: /^variable(s are limited to 65536 bytes| missing required Items object| item "a" must be a string)/ });
  // JSON.parse makes `__proto__` an own key; it must neither reach Object.prototype nor be stored.
  await refused('PUT', '/v1/var/hostile/proto', { body: '{"Items":{"__proto__":"x"}}', status: 400 });
  assert.equal(({} as Record<string, unknown>).x, undefined, 'Object.prototype untouched');
  const pp = await send('PUT', '/v1/var/hostile/proto2', { body: '{"__proto__":{"Items":{"a":"b"}}}' });
  assert.equal(pp.status, 400, 'an Items only under __proto__ is no Items');
});

test('bodies over the JSON limit answer 413 `Request body too large` however they arrive, and change nothing', async () => {
  const big = Buffer.alloc(LIMIT + 1, 0x20);
  const bigJson = Buffer.from(`{"Items":{"a":"${'x'.repeat(LIMIT)}"}}`);
  const endpoints = [...JSON_ENDPOINTS, { method: 'PUT', path: '/v1/acl/bootstrap' }, { method: 'PUT', path: '/v1/operator/license' }];
  for (const e of endpoints) {
    const t = 'Request body too large';
    await refused(e.method, e.path, { body: big, status: 413, text: t });
    await refused(e.method, e.path, { body: bigJson, status: 413, text: t });
    // Chunked, with no Content-Length: the parser counts as it reads.
    await refused(e.method, e.path, { chunks: [bigJson.subarray(0, 1000), bigJson.subarray(1000)], status: 413, text: t });
    // A Content-Length over the limit is refused before the body is read (only 2 bytes follow).
    const lying = await raw(s.url, e.method, e.path, { headers: { 'X-Nomad-Token': mgmt, 'Content-Length': 50 * 1024 * 1024 }, chunks: ['{}'], timeoutMs: 5000 }).catch((err: Error) => ({ status: -1, text: err.message, headers: {} }));
    assert.equal(lying.status, 413, `${e.method} ${e.path} with a lying Content-Length: ${lying.text}`);
    // A gzip bomb as a Content-Encoding: gzip body stops at the limit, after inflating.
    await refused(e.method, e.path, { body: zlib.gzipSync(Buffer.alloc(64 * LIMIT, 0x20)), headers: { 'Content-Encoding': 'gzip' }, status: 413, text: t });
    // A body encoding that cannot be read is a 4xx, not a crash.
    await refused(e.method, e.path, { body: 'xyz', headers: { 'Content-Encoding': 'gzip' }, status: /^4\d\d$/ });
    await refused(e.method, e.path, { body: 'xyz', headers: { 'Content-Encoding': 'x-unknown' }, status: /^4\d\d$/ });
  }
  // Exactly at the limit is not too large (it fails on content, not size).
  const atLimit = Buffer.concat([Buffer.from('{"Items":{"a":"'), Buffer.alloc(LIMIT - 19, 0x61), Buffer.from('"}}')]);
  assert.equal(atLimit.length, LIMIT - 1);
  const r = await refused('PUT', '/v1/var/hostile/at-limit', { body: atLimit, status: 400 });
  assert.match(r.text, /limited to 65536 bytes/);
  // A URL longer than the header limit is refused by the HTTP parser (431); the server goes on.
  const long = await raw(s.url, 'GET', `/v1/vars?prefix=${'a'.repeat(20_000)}`).catch((err: Error) => ({ status: -1, text: err.message }));
  assert.ok(long.status === 431 || long.status === 414 || long.status === 400, `a huge URL: ${long.status}`);
  assert.equal((await send('GET', '/v1/var/keep/me')).status, 200, 'still serving');
});

test('query parameters: missing, empty, repeated (the first counts), and bracketed keys taken literally as Go does', async () => {
  // Repeated: Go's Query().Get takes the first value.
  await refused('PUT', '/v1/var/keep/me?cas=1&cas=x', { body: '{"Items":{"k":"changed"}}', status: 409 });
  await refused('PUT', '/v1/var/keep/me?cas=x&cas=1', { body: '{"Items":{"k":"changed"}}', status: 400, text: /^Error parsing cas value: .*"x"/ });
  await refused('GET', '/v1/vars?stale=bogus&stale=true', { status: 400, text: 'Expect `true` or `false` for `stale` query string parameter' });
  assert.equal((await send('GET', '/v1/vars?stale=true&stale=bogus')).status, 200);
  await refused('GET', '/v1/vars?region=elsewhere&region=global', { status: /^500$/, text: 'No path to region' });
  assert.equal((await send('GET', '/v1/vars?region=global&region=elsewhere')).status, 200);
  await refused('GET', '/v1/vars?per_page=x&per_page=1', { status: 400, text: 'Expect a number for `per_page` query string parameter' });
  await refused('GET', '/v1/vars?index=1&index=1&wait=x&wait=1s', { status: 400, text: 'Invalid wait time' });
  // Missing or empty.
  await refused('DELETE', '/v1/operator/raft/peer', { status: 400, text: "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove" });
  await refused('DELETE', '/v1/operator/raft/peer?id=', { status: /^500$/, text: 'id "" was not found in the Raft configuration' });
  await refused('DELETE', '/v1/operator/raft/peer?id=a&address=b', { status: 400, text: 'Must specify only one of ?id or ?address' });
  await refused('PUT', '/v1/operator/raft/transfer-leadership?address=10.0.0.2:4647&address=10.0.0.1:4647', { status: 400, text: 'must specify only one address' });
  await refused('PUT', '/v1/operator/raft/transfer-leadership?address=', { status: 400, text: 'address must be non-empty' });
  await refused('PUT', '/v1/agent/force-leave', { status: 400, text: 'missing node to force leave' });
  await refused('PUT', '/v1/agent/force-leave?node=', { status: 400, text: 'missing node to force leave' });
  await refused('PUT', '/v1/agent/join', { status: 400, text: 'missing address to join' });
  // `a[b]=c` is a key named "a[b]" (Go's url.ParseQuery), not a nested `a`.
  await refused('DELETE', '/v1/operator/raft/peer?address[a]=10.0.0.2:4647', { status: 400, text: "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove" });
  await refused('DELETE', '/v1/operator/raft/peer?id[]=22222222-2222-4222-8222-222222222222', { status: 400, text: /^Must specify either/ });
  await refused('PUT', '/v1/operator/raft/transfer-leadership?id[0]=x&id[1]=y', { status: 400, text: 'must specify id or address' });
  assert.equal((await send('GET', '/v1/vars?region[]=elsewhere')).status, 200, 'region[] is not region');
  assert.equal((await send('PUT', '/v1/var/keep/me?cas[]=x', { body: '{"Items":{"k":"v"}}' })).status, 200, 'cas[] is not cas');
  const saved = s.leader;
  s.leader = '';
  try {
    assert.equal((await send('GET', '/v1/status/leader?stale')).status, 200, '?stale works without a leader');
    await refused('GET', '/v1/status/leader?stale[x]=1', { status: /^500$/, text: 'No cluster leader' });
  } finally {
    s.leader = saved;
  }
  // Oddly encoded query strings: never a 5xx.
  for (const q of ['?%', '?%ZZ=1', '?=', '?&&&', '?stale=%ZZ', '?cas=%00', '?prefix=%E0%A4%A', `?${'a=1&'.repeat(2000)}`, '?wait=%2B1s', '?index=%2d1']) {
    const r = await send('GET', `/v1/vars${q}`);
    assert.ok(r.status < 500, `GET /v1/vars${q.slice(0, 40)}: ${r.status} ${r.text}`);
  }
});

test('invalid durations: `wait` on every read, autopilot durations, token TTLs — 400 and no change', async () => {
  const badWaits = ['5', '1x', 'abc', '-', '.s', '1.5.5s', '9999999999999999h', '1e3s', ' 1s', '1s ', '+-1s', '1µ', 's', '1h-1m', '0x10s', '١s'];
  for (const w of badWaits) {
    for (const p of ['/v1/vars', '/v1/var/keep/me', '/v1/operator/scheduler/configuration', '/v1/acl/tokens', '/v1/acl/policies', '/v1/status/leader']) {
      await refused('GET', `${p}?wait=${encodeURIComponent(w)}`, { status: 400, text: 'Invalid wait time' });
    }
  }
  for (const w of ['0', '-1s', '1.5h', '1h2m3s4ms5us6ns', '1µs', '1μs']) assert.equal((await send('GET', `/v1/vars?wait=${encodeURIComponent(w)}`)).status, 200, `wait=${w} is a Go duration`);
  for (const d of ['abc', '5', '-1s', '1e3s', '9999999999999999h', '1 s', 'NaN', '∞s']) {
    for (const key of ['LastContactThreshold', 'ServerStabilizationTime']) {
      await refused('PUT', '/v1/operator/autopilot/configuration', { body: JSON.stringify({ [key]: d }), status: 400, text: new RegExp(`^Error parsing autopilot config: .*${key}`) });
    }
  }
  for (const ttl of ['soon', '5', '1e3s', '9999999999999999h']) {
    await refused('PUT', '/v1/acl/token', { body: JSON.stringify({ Type: 'management', ExpirationTTL: ttl }), status: 400 });
  }
});

test('invalid `cas` values answer 400 `Error parsing cas value:` naming the value, on every CAS endpoint', async () => {
  const bad = ['', 'abc', '-1', '1.5', '0x10', '+1', ' 1', '1 ', '１', '1e3', '99999999999999999999', 'null', '[1]'];
  const targets: [string, string, string | undefined][] = [
    ['PUT', '/v1/var/keep/me', '{"Items":{"k":"x"}}'],
    ['DELETE', '/v1/var/keep/me', undefined],
    ['PUT', '/v1/operator/scheduler/configuration', '{"SchedulerAlgorithm":"spread"}'],
    ['PUT', '/v1/operator/autopilot/configuration', '{"CleanupDeadServers":true}'],
  ];
  for (const [method, p, body] of targets) {
    for (const v of bad) {
      const r = await refused(method, `${p}?cas=${encodeURIComponent(v)}`, { body, status: 400, text: /^Error parsing cas value: / });
      assert.ok(r.text.includes(JSON.stringify(v)), `${method} ${p} cas=${v}: the detail names the value (${r.text})`);
    }
  }
  // `?cas` with no value at all is an empty value, not an absent one.
  await refused('PUT', '/v1/var/keep/me?cas', { body: '{"Items":{"k":"x"}}', status: 400, text: /^Error parsing cas value: / });
});

test('invalid UUIDs, tokens and accessors are refused without a state change', async () => {
  for (const id of ['not-a-uuid', '11111111-1111-4111-8111-11111111111', '11111111-1111-4111-8111-1111111111111', 'g1111111-1111-4111-8111-111111111111', '{11111111-1111-4111-8111-111111111111}', '11111111111141118111111111111111', 'urn:uuid:11111111-1111-4111-8111-111111111111', ' 11111111-1111-4111-8111-111111111111', '%00']) {
    await refused('PUT', `/v1/operator/raft/transfer-leadership?id=${encodeURIComponent(id)}`, { status: 400, text: /^id must be a uuid: / });
  }
  for (const a of ['10.0.0.2', '10.0.0.2:', ':4647', 'host:4647', '10.0.0.2:99999', '10.0.0.2:-1', '[::1]', '300.1.1.1:4647', '10.0.0.2:4647:1']) {
    await refused('PUT', `/v1/operator/raft/transfer-leadership?address=${encodeURIComponent(a)}`, { status: 400, text: /^address must be in IP:port format: / });
  }
  // Tokens that are not UUIDs, unknown ones, and odd header shapes: 403, never a 5xx.
  for (const headers of <Record<string, string>[]>[{}, { 'X-Nomad-Token': 'not-a-uuid' }, { 'X-Nomad-Token': '00000000-0000-4000-8000-000000000000' }, { 'X-Nomad-Token': 'x'.repeat(8000) }, { 'X-Nomad-Token': '  ' }, { Authorization: 'Bearer' }, { Authorization: 'Basic abc' }, { Authorization: 'Bearer   not-a-uuid  extra' }, { Authorization: `Basic ${mgmt}` }]) {
    await refused('PUT', '/v1/var/keep/me', { body: '{"Items":{"k":"x"}}', headers, anonymous: true, status: 403, text: 'Permission denied' });
    await refused('GET', '/v1/operator/raft/configuration', { headers, anonymous: true, status: 403, text: 'Permission denied' });
  }
  for (const acc of ['not-a-uuid', '00000000-0000-4000-8000-000000000000', '%ZZ', 'a/b']) {
    await refused('GET', `/v1/acl/token/${acc}`, { status: /^(400|403|404)$/ });
    await refused('DELETE', `/v1/acl/token/${acc}`, { status: /^(400|403|404)$/ });
  }
});

test('invalid paths and unknown paths: 400 / 404, never a 5xx, nothing written', async () => {
  const badVarPaths = ['a%20b', 'a%00b', '..', 'a/../b', '../../etc/passwd', '%2e%2e/x', 'a\\b', 'a;b', 'x'.repeat(129), '%C3%BCml', 'a*b', 'a%0Ab', 'a%2Fb%00'];
  for (const p of badVarPaths) {
    await refused('PUT', `/v1/var/${p}`, { body: '{"Items":{"a":"b"}}', status: /^(400|404)$/ });
    await refused('DELETE', `/v1/var/${p}`, { status: /^(400|404)$/ });
  }
  for (const p of ['%ZZ', '%', '%E0%A4%A', 'a%C0%AFb']) await refused('PUT', `/v1/var/${p}`, { body: '{"Items":{"a":"b"}}', status: 400 });
  await refused('GET', '/v1/var/', { status: 400, text: 'missing variable path' });
  await refused('PUT', '/v1/var', { body: '{"Items":{"a":"b"}}', status: 400, text: 'missing variable path' });
  for (const p of ['/v1/nope', '/v2/status/leader', '/v1/operator/nope', '/v1/operator/snapshot/x', '/', '/v1', '/v1/', '//v1/status/leader', '/v1/status/leader/x', '/%ZZ', '*', '/v1/acl', '/v1/agent']) {
    for (const m of ['GET', 'PUT', 'DELETE']) await refused(m, p, { body: m === 'GET' ? undefined : '{}', status: /^(400|404|405)$/ });
  }
  for (const p of ['/v1/operator/raft/bogus', '/v1/operator/raft/', '/v1/operator/raft/configuration/x', '/v1/operator/raft/%ZZ']) {
    await refused('GET', p, { status: /^(400|404)$/ });
  }
});

test('unknown and wrong methods: 4xx on every endpoint, never a 5xx or a crash', async () => {
  const paths = ['/v1/operator/raft/configuration', '/v1/operator/raft/peer', '/v1/operator/raft/transfer-leadership', '/v1/operator/autopilot/configuration', '/v1/operator/autopilot/health',
    '/v1/operator/scheduler/configuration', '/v1/operator/snapshot', '/v1/operator/license', '/v1/status/leader', '/v1/status/peers', '/v1/agent/self', '/v1/agent/members', '/v1/agent/health',
    '/v1/agent/join', '/v1/agent/force-leave', '/v1/metrics', '/v1/acl/bootstrap', '/v1/acl/policies', '/v1/acl/policy/ops', '/v1/acl/tokens', '/v1/acl/token', '/v1/acl/token/self', '/v1/vars', '/v1/var/keep/me', '/v1/nope'];
  const methods = ['PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'PURGE', 'SEARCH', 'M-SEARCH', 'LINK', 'REPORT'];
  for (const p of paths) for (const m of methods) await refused(m, p, { body: '{}', status: /^4\d\d$/ });
  // Methods the HTTP parser itself refuses, and CONNECT (no handler: the socket is closed).
  for (const m of ['FOO', 'GETT', 'CONNECT']) {
    const before = fingerprint(s);
    const r = await raw(s.url, m, m === 'CONNECT' ? '127.0.0.1:1' : '/v1/status/leader', { timeoutMs: 5000 }).catch((e: Error) => ({ status: 0, text: e.message }));
    assert.ok(r.status === 0 || (r.status >= 400 && r.status < 500), `${m}: ${r.status} ${r.text}`);
    assert.equal(fingerprint(s), before);
  }
  assert.equal((await send('GET', '/v1/var/keep/me')).status, 200, 'still serving');
});

test('a burst of 600 concurrent requests, good and bad mixed: each answered as alone, only the good writes land', async () => {
  const before = s.fsm.listVariables('burst/').length;
  assert.equal(before, 0);
  const burstAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  try {
    const jobs: Promise<{ kind: string; status: number; text: string }>[] = [];
    for (let i = 0; i < 600; i++) {
      const kind = ['good', 'badjson', 'badcas', 'toolarge', 'badpath', 'read'][i % 6]!;
      const o: RawOptions = { agent: burstAgent, headers: { 'X-Nomad-Token': mgmt } };
      let method = 'PUT';
      let p = `/v1/var/burst/k${i}`;
      if (kind === 'good') o.body = `{"Items":{"i":"${i}"}}`;
      if (kind === 'badjson') o.body = '{"Items":';
      if (kind === 'badcas') (p += '?cas=zz'), (o.body = '{"Items":{"a":"b"}}');
      if (kind === 'toolarge') o.body = Buffer.alloc(LIMIT + 10, 0x41);
      if (kind === 'badpath') (p = `/v1/var/burst/k${i}%20x`), (o.body = '{"Items":{"a":"b"}}');
      if (kind === 'read') (method = 'GET'), (p = '/v1/var/keep/me');
      jobs.push(raw(s.url, method, p, o).then((r) => ({ kind, status: r.status, text: r.text })));
    }
    const answers = await Promise.all(jobs);
    const want: Record<string, number> = { good: 200, badjson: 400, badcas: 400, toolarge: 413, badpath: 400, read: 200 };
    for (const a of answers) assert.equal(a.status, want[a.kind], `${a.kind}: ${a.text.slice(0, 100)}`);
    const stored = s.fsm.listVariables('burst/');
    assert.equal(stored.length, 100, 'exactly the 100 good writes');
  } finally {
    burstAgent.destroy();
  }
});

type RawOptions = Parameters<typeof raw>[3] & object;
