// The ACL matrix: every endpoint the app serves × every kind of caller, against the status the
// contract names (§6.1, §6.2, §6.3, §6.4, §1.13, §9.10, Part A 14, 20, 22, 23). The expectations
// below are written from the contract, not from the code. Refusals must be exactly
// 403 `Permission denied`; allowed requests must not be 403 and must reach the success status of a
// valid request (or the documented non-error status, e.g. 429 for an unhealthy autopilot, 404 for
// `token/self` without a token, 400 for a bootstrap that was already done).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { generateLicenseKeyPair, loadPublicKeys, signLicense, temporaryLicense } from '../../src/license/index.ts';
import { startFakeServer, type FakeServer } from './fake-server.ts';

type Json = Record<string, unknown>;
type Grant = 'mgmt' | 'opRead' | 'opWrite' | 'snapshotSave' | 'licenseRead' | 'nsRead' | 'nsWrite' | 'agentRead' | 'agentWrite' | 'nodeRead';

interface Kind {
  name: string;
  /** The request headers carrying (or not carrying) the secret. */
  headers: Record<string, string>;
  grants: Set<Grant>;
  /** The ACL token behind the caller (absent for anonymous callers and secrets that do not resolve). */
  token?: { SecretID: string; AccessorID: string };
  /** The single policy attached to the token. */
  policy?: string;
  /** No secret at all: Nomad's anonymous identity (§6.1). */
  anonymous?: boolean;
  /** The secret does not resolve (expired, unknown UUID, not a UUID): 403 everywhere a token is resolved. */
  invalid?: boolean;
  /** The `anonymous` policy exists while this kind runs. */
  anonymousPolicy?: boolean;
}

interface Row {
  method: string;
  path: string | ((k: Kind) => string | Promise<string>);
  body?: (k: Kind) => BodyInit | Promise<BodyInit>;
  expect: (k: Kind) => number;
  check?: (r: { status: number; text: string; json: unknown }, k: Kind) => string | undefined;
}

// ------------------------------------------------------------------ expectation helpers

/** A check the endpoint makes on the resolved identity (§6.2); unresolvable secrets are refused. */
const need = (g: Grant, ok = 200) => (k: Kind) => (k.invalid ? 403 : k.grants.has(g) ? ok : 403);
/** Any identity that resolves (the endpoint filters what it shows instead of refusing). */
const resolvable = (ok = 200) => (k: Kind) => (k.invalid ? 403 : ok);
/** No ACL at all (§1.12 status "none", Part A 22 health/metrics): not even a bad secret is refused. */
const open = (ok = 200) => () => ok;

const ALL: Grant[] = ['mgmt', 'opRead', 'opWrite', 'snapshotSave', 'licenseRead', 'nsRead', 'nsWrite', 'agentRead', 'agentWrite', 'nodeRead'];
// What each policy grants, per §6.2's expansion (`read` → license-read; `write` → snapshot-save,
// license-read) and Part A 23 (namespace write implies read).
const POLICIES: Record<string, { rules: string; grants: Grant[] }> = {
  'op-read': { rules: 'operator { policy = "read" }', grants: ['opRead', 'licenseRead'] },
  'op-write': { rules: 'operator { policy = "write" }', grants: ['opRead', 'opWrite', 'snapshotSave', 'licenseRead'] },
  'snap-save': { rules: 'operator { capabilities = ["snapshot-save"] }', grants: ['snapshotSave'] },
  'ns-read': { rules: 'namespace "default" { policy = "read" }', grants: ['nsRead'] },
  'ns-write': { rules: 'namespace "default" { policy = "write" }', grants: ['nsRead', 'nsWrite'] },
  'agent-read': { rules: 'agent { policy = "read" }', grants: ['agentRead'] },
  'agent-write': { rules: 'agent { policy = "write" }', grants: ['agentRead', 'agentWrite'] },
  'node-read': { rules: 'node { policy = "read" }', grants: ['nodeRead'] },
};
const ANONYMOUS_RULES = 'operator { policy = "read" }\nnamespace "default" { policy = "read" }';
const ANONYMOUS_GRANTS: Grant[] = ['opRead', 'licenseRead', 'nsRead'];

const LEADER = '11111111-1111-4111-8111-111111111111';
const FOLLOWER = '22222222-2222-4222-8222-222222222222';
const AUTOPILOT_DEFAULTS = JSON.stringify({ LastContactThreshold: '200ms', ServerStabilizationTime: '10s', CleanupDeadServers: true, MaxTrailingLogs: 250 });

// ------------------------------------------------------------------ the shared server

let s: FakeServer;
let mgmt: string;
let target: Json;
let snapshot: Uint8Array<ArrayBuffer>;
let licenseBlob: string;
let serial = 0;
const kinds: Kind[] = [];

async function call(method: string, path: string, headers: Record<string, string>, body?: BodyInit) {
  return s.fetch(path, { method, headers, ...(body === undefined ? {} : { body }) });
}

async function asMgmt(method: string, path: string, body?: unknown): Promise<Json> {
  const r = await call(method, path, { 'X-Nomad-Token': mgmt }, body === undefined ? undefined : JSON.stringify(body));
  assert.equal(r.status, 200, `setup ${method} ${path}: ${r.text}`);
  return (r.json ?? {}) as Json;
}

before(async () => {
  s = await startFakeServer();
  s.aclEnabled = true;
  const pair = generateLicenseKeyPair();
  s.licenseKeys = await loadPublicKeys([pair.publicKeyPem]);
  s.applyDirect({ type: 'setLicense', blob: '', license: temporaryLicense(new Date()) });
  const now = Date.now();
  licenseBlob = await signLicense({
    LicenseID: 'matrix', CustomerID: 'acme', InstallationID: '*',
    IssueTime: new Date(now - 1000).toISOString(), StartTime: new Date(now - 1000).toISOString(),
    ExpirationTime: new Date(now + 86_400_000).toISOString(), TerminationTime: new Date(now + 2 * 86_400_000).toISOString(),
    NonProduction: false, Product: 'nomad', Flags: null, Modules: null, Features: null,
  }, pair.privateKeyPem);

  const boot = await call('POST', '/v1/acl/bootstrap', {});
  assert.equal(boot.status, 200, boot.text);
  mgmt = (boot.json as Json).SecretID as string;
  const mgmtAccessor = (boot.json as Json).AccessorID as string;

  for (const [name, p] of Object.entries(POLICIES)) await asMgmt('PUT', `/v1/acl/policy/${name}`, { Name: name, Rules: p.rules });
  target = await asMgmt('PUT', '/v1/acl/token', { Name: 'target', Type: 'client', Policies: ['node-read'] });
  await asMgmt('PUT', '/v1/var/matrix/x', { Items: { k: 'v' } });

  // An expired management token cannot be made through the API (the TTL minimum is 1m): write it
  // straight into the state. Were expiry not checked, it would pass every check.
  const expired = {
    ExpirationTTL: 0, AccessorID: randomUUID(), SecretID: randomUUID(), Name: 'expired', Type: 'management' as const, Policies: null, Roles: null,
    Global: false, Hash: '', CreateTime: new Date(now - 7_200_000).toISOString(), ExpirationTime: new Date(now - 3_600_000).toISOString(),
  };
  assert.equal(s.applyDirect({ type: 'upsertAclTokens', tokens: [expired] }).result.ok, true);

  kinds.push(
    { name: 'no token', headers: {}, grants: new Set(), anonymous: true },
    // An empty X-Nomad-Token and a non-Bearer Authorization both read as "no token" (§0.1 parseToken).
    { name: 'anonymous (empty X-Nomad-Token, Basic auth)', headers: { 'X-Nomad-Token': '', Authorization: 'Basic Zm9vOmJhcg==' }, grants: new Set(), anonymous: true },
  );
  for (const [name, p] of Object.entries(POLICIES)) {
    const t = await asMgmt('PUT', '/v1/acl/token', { Name: name, Type: 'client', Policies: [name] });
    // Half of them as Bearer tokens, so both header forms are exercised.
    const headers: Record<string, string> = kinds.length % 2 ? { 'X-Nomad-Token': t.SecretID as string } : { Authorization: `Bearer ${t.SecretID as string}` };
    kinds.push({ name, headers, grants: new Set(p.grants), token: { SecretID: t.SecretID as string, AccessorID: t.AccessorID as string }, policy: name });
  }
  kinds.push(
    { name: 'management', headers: { 'X-Nomad-Token': mgmt }, grants: new Set(ALL), token: { SecretID: mgmt, AccessorID: mgmtAccessor } },
    { name: 'expired management', headers: { 'X-Nomad-Token': expired.SecretID }, grants: new Set(), invalid: true, token: { SecretID: expired.SecretID, AccessorID: expired.AccessorID } },
    { name: 'unknown UUID', headers: { 'X-Nomad-Token': randomUUID() }, grants: new Set(), invalid: true },
    { name: 'malformed (not a UUID)', headers: { 'X-Nomad-Token': 'not-a-uuid' }, grants: new Set(), invalid: true },
    // Last: the `anonymous` policy is created for it and removed afterwards.
    { name: 'no token, with an `anonymous` policy', headers: {}, grants: new Set(ANONYMOUS_GRANTS), anonymous: true, anonymousPolicy: true },
  );

  // Taken after every token and policy exists, so the management row's restore keeps them.
  const snap = await fetch(`${s.url}/v1/operator/snapshot`, { headers: { 'X-Nomad-Token': mgmt } });
  assert.equal(snap.status, 200);
  snapshot = new Uint8Array(await snap.arrayBuffer());
});
after(() => s.close());

// ------------------------------------------------------------------ the table

const listed = (r: { json: unknown }) => ((r.json ?? []) as Json[]).map((v) => v.Path);

const ROWS: Row[] = [
  // §1.1–§1.3: management only.
  { method: 'GET', path: '/v1/operator/raft/configuration', expect: need('mgmt') },
  { method: 'DELETE', path: `/v1/operator/raft/peer?id=${FOLLOWER}`, expect: need('mgmt') },
  { method: 'PUT', path: `/v1/operator/raft/transfer-leadership?id=${LEADER}`, expect: need('mgmt') },
  // §1.4–§1.6: operator read / write; health answers 429 while unhealthy (the fake's zero reply).
  { method: 'GET', path: '/v1/operator/autopilot/configuration', expect: need('opRead') },
  { method: 'PUT', path: '/v1/operator/autopilot/configuration', body: () => AUTOPILOT_DEFAULTS, expect: need('opWrite'), check: (r) => (r.text === 'true' ? undefined : `body ${r.text}`) },
  { method: 'GET', path: '/v1/operator/autopilot/health', expect: need('opRead', 429) },
  // §1.7, §1.8.
  { method: 'GET', path: '/v1/operator/scheduler/configuration', expect: need('opRead') },
  { method: 'PUT', path: '/v1/operator/scheduler/configuration', body: () => JSON.stringify({ SchedulerAlgorithm: 'binpack', PreemptionConfig: { SystemSchedulerEnabled: true } }), expect: need('opWrite') },
  // §1.9, §1.10, §9.10: save = management, operator write or `snapshot-save`; restore = management.
  { method: 'GET', path: '/v1/operator/snapshot', expect: need('snapshotSave') },
  { method: 'PUT', path: '/v1/operator/snapshot', body: () => snapshot, expect: need('mgmt') },
  // Part A 14: GET operator:read or `license-read`; PUT operator:write.
  { method: 'GET', path: '/v1/operator/license', expect: need('licenseRead') },
  { method: 'PUT', path: '/v1/operator/license?force=true', body: () => licenseBlob, expect: need('opWrite') },
  // §1.12: no ACL; the token is authenticated "only for metrics", i.e. never refused.
  { method: 'GET', path: '/v1/status/leader', expect: open() },
  { method: 'GET', path: '/v1/status/peers', expect: open() },
  // §1.13, §6.2.
  { method: 'GET', path: '/v1/agent/self', expect: need('agentRead') },
  { method: 'GET', path: '/v1/agent/members', expect: need('nodeRead') },
  {
    // §6.2 "agent/force-leave (and non-deprecated join) | agent write" and §1.13 "Anonymous joins
    // currently succeed with a deprecation warning": a request without a token is let through
    // (with a `warning`), a token must resolve and hold agent write.
    method: 'PUT', path: '/v1/agent/join?address=10.0.0.9',
    expect: (k) => (k.invalid ? 403 : k.grants.has('agentWrite') || k.anonymous ? 200 : 403),
    check: (r, k) => {
      const warning = (r.json as Json).warning;
      if (k.anonymous && !k.grants.has('agentWrite')) return typeof warning === 'string' && warning !== '' ? undefined : `no deprecation warning: ${r.text}`;
      return warning ? `unexpected warning: ${r.text}` : undefined;
    },
  },
  { method: 'PUT', path: '/v1/agent/force-leave?node=gone.global', expect: need('agentWrite') },
  // Part A 22: exactly as Nomad, which checks no ACL on either.
  { method: 'GET', path: '/v1/agent/health', expect: open() },
  { method: 'GET', path: '/v1/metrics', expect: open() },
  {
    // Part A 23. The contract does not say whether a list the caller may not read is refused or
    // filtered; Nomad filters (and so does opraft): every resolvable caller gets 200, and sees
    // only what it may list.
    method: 'GET', path: '/v1/vars?prefix=matrix/x', expect: resolvable(),
    check: (r, k) => {
      const want = k.grants.has('nsRead') ? ['matrix/x'] : [];
      return JSON.stringify(listed(r)) === JSON.stringify(want) ? undefined : `listed ${JSON.stringify(listed(r))}, want ${JSON.stringify(want)}`;
    },
  },
  { method: 'GET', path: '/v1/var/matrix/x', expect: need('nsRead') },
  { method: 'PUT', path: '/v1/var/matrix/x', body: () => JSON.stringify({ Items: { k: 'w' } }), expect: need('nsWrite') },
  {
    method: 'DELETE', expect: need('nsWrite'),
    path: async () => {
      const p = `matrix/d${++serial}`;
      await asMgmt('PUT', `/v1/var/${p}`, { Items: { k: 'v' } });
      return `/v1/var/${p}`;
    },
  },

  // §6.3: no authentication; already bootstrapped → 400 for every caller.
  { method: 'PUT', path: '/v1/acl/bootstrap', expect: open(400), check: (r) => (r.text.startsWith('ACL bootstrap already done (reset index: ') ? undefined : r.text) },
  // §6.4.
  { method: 'GET', path: '/v1/acl/tokens', expect: need('mgmt') },
  { method: 'PUT', path: '/v1/acl/token', body: () => JSON.stringify({ Type: 'client', Policies: ['node-read'] }), expect: need('mgmt') },
  { method: 'GET', path: () => `/v1/acl/token/${target.AccessorID as string}`, expect: need('mgmt') },
  {
    // "management, or the token's own secret": each token reads itself (callers without a token
    // ask for another's).
    method: 'GET', path: (k) => `/v1/acl/token/${k.token?.AccessorID ?? (target.AccessorID as string)}`,
    expect: (k) => (k.invalid ? 403 : k.token ? 200 : 403),
  },
  {
    method: 'PUT', path: () => `/v1/acl/token/${target.AccessorID as string}`,
    body: () => JSON.stringify({ AccessorID: target.AccessorID, Name: 'target', Type: 'client', Policies: ['node-read'] }), expect: need('mgmt'),
  },
  {
    method: 'DELETE', expect: need('mgmt'),
    path: async () => `/v1/acl/token/${(await asMgmt('PUT', '/v1/acl/token', { Type: 'client', Policies: ['node-read'] })).AccessorID as string}`,
  },
  // "any valid token"; 404 `ACL token not found` when the identity is not an ACL token.
  { method: 'GET', path: '/v1/acl/token/self', expect: (k) => (k.invalid ? 403 : k.token ? 200 : 404), check: (r) => (r.status === 404 && r.text !== 'ACL token not found' ? r.text : undefined) },
  {
    // "any token: management sees all, others only policies attached to them".
    method: 'GET', path: '/v1/acl/policies', expect: resolvable(),
    check: (r, k) => {
      const names = ((r.json ?? []) as Json[]).map((p) => p.Name as string);
      const want = k.grants.has('mgmt') ? null : k.policy ? [k.policy] : k.anonymousPolicy ? ['anonymous'] : [];
      return want === null ? (names.length >= Object.keys(POLICIES).length ? undefined : `saw ${names}`) : JSON.stringify(names) === JSON.stringify(want) ? undefined : `saw ${names}, want ${want}`;
    },
  },
  // "management, attached policy, or the `anonymous` policy".
  { method: 'GET', path: '/v1/acl/policy/op-read', expect: (k) => (k.invalid ? 403 : k.grants.has('mgmt') || k.policy === 'op-read' ? 200 : 403) },
  {
    method: 'GET', path: '/v1/acl/policy/anonymous', expect: (k) => (k.invalid ? 403 : k.anonymousPolicy ? 200 : 404),
    check: (r) => (r.status === 404 && r.text !== 'ACL policy not found' ? r.text : undefined),
  },
  { method: 'PUT', path: '/v1/acl/policy/scratch', body: () => JSON.stringify({ Name: 'scratch', Rules: '' }), expect: need('mgmt') },
  {
    method: 'DELETE', expect: need('mgmt'),
    path: async () => {
      const name = `disposable-${++serial}`;
      await asMgmt('PUT', `/v1/acl/policy/${name}`, { Name: name, Rules: '' });
      return `/v1/acl/policy/${name}`;
    },
  },
  {
    // §6.4 says "any". Ambiguous for a caller without a token: opraft follows Nomad, whose handler
    // resolves `self` from the token (a UUID secret lists its policies, nothing else has any), and
    // refuses a request that carries no token. Token holders see their own policies.
    method: 'GET', path: '/v1/acl/policy/self', expect: (k) => (k.invalid || !k.token ? 403 : 200),
  },
];

// ------------------------------------------------------------------ the test

test('ACL matrix: every endpoint × every kind of caller answers as the contract says', async () => {
  const failures: string[] = [];
  let cells = 0;
  for (const k of kinds) {
    if (k.anonymousPolicy) await asMgmt('PUT', '/v1/acl/policy/anonymous', { Name: 'anonymous', Rules: ANONYMOUS_RULES });
    for (const row of ROWS) {
      const path = typeof row.path === 'string' ? row.path : await row.path(k);
      const body = row.body ? await row.body(k) : undefined;
      const r = await call(row.method, path, k.headers, body);
      const want = row.expect(k);
      cells++;
      const where = `${row.method} ${path} as ${k.name}`;
      if (r.status !== want) {
        failures.push(`${where}: got ${r.status} ${r.text.slice(0, 120)}, want ${want}`);
        continue;
      }
      if (want === 403 && r.text !== 'Permission denied') failures.push(`${where}: 403 with body ${JSON.stringify(r.text)}`);
      const problem = want !== 403 ? row.check?.(r, k) : undefined;
      if (problem) failures.push(`${where}: ${problem}`);
    }
    if (k.anonymousPolicy) await asMgmt('DELETE', '/v1/acl/policy/anonymous');
  }
  assert.equal(cells, kinds.length * ROWS.length);
  assert.deepEqual(failures, [], `${failures.length} of ${cells} cells differ from the contract:\n${failures.join('\n')}`);
});
