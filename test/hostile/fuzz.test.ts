// Property-based fuzzing (fast-check): the frame decoder and every check a received frame passes
// (handshake, frame kinds, Raft message validation, requests), a Raft core fed every message the
// validator lets through, and the HTTP API (real app and FSM, fake leader) fed random requests.
// Each run is seeded and prints its seed on failure (rerun with FC_SEED=<seed>).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fc from 'fast-check';
import { CodecError, decodeFrame, encodeFrame } from '../../src/transport/codec.ts';
import { FrameKinds } from '../../src/transport/frames.ts';
import { acceptHello, checkProof, checkWelcome, makeHello, parseRefuse } from '../../src/transport/handshake.ts';
import { parseRequest, parseResponse } from '../../src/transport/rpc.ts';
import { validateMessage } from '../../src/transport/validate.ts';
import { RaftCore, defaultRaftConfig, type Message } from '../../src/raft/index.ts';
import { startFakeServer, type FakeServer } from '../http/fake-server.ts';
import { fingerprint, raw } from './helpers.ts';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2 ** 31;
const params = (numRuns: number) => ({ numRuns, seed, endOnFailure: true });

// ------------------------------------------------------------------ frames

/** Values shaped like frames: known kinds and field names with arbitrary, often wrong, values. */
const wild = fc.oneof(
  { depthSize: 'small' },
  fc.constantFrom(0, 1, -1, 2 ** 53 - 1, 2 ** 53, 2 ** 64, -0, NaN, Infinity, 1.5, '', 'x', true, false, null, undefined),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.constant(new Uint8Array(32)),
  fc.anything({ maxDepth: 2 }),
);
const ids = fc.constantFrom('n1', 'n2', 'n3', '', 'x'.repeat(300));
const MSG_TYPES = ['app', 'appResp', 'heartbeat', 'heartbeatResp', 'vote', 'preVote', 'voteResp', 'preVoteResp', 'snap', 'snapResp', 'timeoutNow', 'readIndex', 'readIndexResp', 'bogus'];
const FIELDS = ['term', 'prevIndex', 'prevTerm', 'commit', 'entries', 'index', 'reject', 'hintIndex', 'hintTerm', 'context', 'lastIndex', 'lastTerm', 'transfer', 'meta', 'offset', 'data', 'totalSize', 'done'];
const messageLike = fc.record({
  type: fc.constantFrom(...MSG_TYPES),
  from: ids,
  to: ids,
  term: wild,
  rest: fc.dictionary(fc.constantFrom(...FIELDS), wild, { maxKeys: 8 }),
}).map(({ rest, ...m }) => ({ ...rest, ...m }));
const frameLike = fc.oneof(
  fc.record({ t: fc.constant('raft'), m: messageLike }),
  fc.record({ t: fc.constantFrom('hello', 'welcome', 'proof', 'refuse', 'req', 'res', 'mystery', ''), v: wild, cluster: wild, node: ids, auth: wild, nonce: wild, mac: wild, id: wild, method: wild, body: wild, ok: wild, error: wild, reason: wild }, { requiredKeys: ['t'] }),
  fc.anything({ maxDepth: 3 }),
);

function checkEverything(value: unknown): void {
  const kinds = new FrameKinds();
  const r = kinds.checkIncoming(value, 'n2', 'n1');
  assert.ok('frame' in r || (typeof r.reason === 'string' && typeof r.error === 'string'));
  const local = { node: 'n1', cluster: 'c1' };
  acceptHello(value, local);
  acceptHello(value, { ...local, key: Buffer.alloc(32, 7) });
  checkWelcome(value, makeHello(local), local, undefined);
  checkWelcome(value, makeHello({ ...local, key: Buffer.alloc(32, 7) }), { ...local, key: Buffer.alloc(32, 7) }, 'n2');
  checkProof(value, Buffer.alloc(32));
  parseRefuse(value);
  parseResponse(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) parseRequest(value as Record<string, unknown>);
  validateMessage(value);
}

test('fuzz: random bytes either decode or throw CodecError; whatever decodes passes every check without throwing', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), frameLike.map((f) => { try { return new Uint8Array(encodeFrame(f)); } catch { return new Uint8Array([0xc1]); } })), (bytes) => {
      let value: unknown;
      try {
        value = decodeFrame(bytes);
      } catch (e) {
        assert.ok(e instanceof CodecError, `not a CodecError: ${String(e)}`);
        return;
      }
      checkEverything(value);
    }),
    params(4000),
  );
});

test('fuzz: frames with bad fields are refused with a reason naming a field; good ones round-trip through the codec', () => {
  fc.assert(
    fc.property(frameLike, (frame) => {
      checkEverything(frame);
      let bytes: Buffer;
      try {
        bytes = encodeFrame(frame);
      } catch (e) {
        assert.ok(e instanceof CodecError);
        return;
      }
      const back = decodeFrame(bytes);
      const r = new FrameKinds().checkIncoming(back, 'n2', 'n1');
      if ('reason' in r) assert.ok(r.error.length > 0 && r.error.length < 2000, 'a short reason');
      else assert.equal((r.frame as { t: string }).t, 'raft');
    }),
    params(4000),
  );
});

// ------------------------------------------------------------------ a Raft core fed validated messages

/** Plausible Raft messages from n2 to n1: small terms and indexes, contiguous or not. */
const small = fc.nat({ max: 12 });
const entry = (index: number) => fc.record({ index: fc.constant(index), term: small, type: fc.constantFrom(0, 1), data: fc.uint8Array({ maxLength: 8 }) });
const plausible: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ prevIndex: small, prevTerm: small, commit: fc.nat({ max: 30 }), term: small, n: fc.nat({ max: 4 }) }).chain(({ prevIndex, prevTerm, commit, term, n }) =>
    fc.tuple(...Array.from({ length: n }, (_, i) => entry(prevIndex + 1 + i))).map((entries) => {
      let t = prevTerm;
      for (const e of entries) (e.term = Math.min(term, Math.max(t, e.term))), (t = e.term);
      return { type: 'app', from: 'n2', to: 'n1', term, prevIndex, prevTerm, commit, entries } as unknown as Message;
    })),
  fc.record({ type: fc.constant('appResp'), term: small, index: fc.nat({ max: 40 }), reject: fc.boolean(), hintIndex: fc.nat({ max: 40 }), hintTerm: small }),
  fc.record({ type: fc.constant('heartbeat'), term: small, commit: fc.nat({ max: 40 }), context: fc.constantFrom('', 'c1') }),
  fc.record({ type: fc.constant('heartbeatResp'), term: small, context: fc.constantFrom('', 'c1') }),
  fc.record({ type: fc.constantFrom('vote', 'preVote'), term: small, lastIndex: fc.nat({ max: 40 }), lastTerm: small, transfer: fc.boolean() }),
  fc.record({ type: fc.constantFrom('voteResp', 'preVoteResp'), term: small, reject: fc.boolean() }),
  fc.record({ type: fc.constant('snapResp'), term: small, index: fc.nat({ max: 40 }), offset: fc.nat({ max: 100 }), done: fc.boolean(), reject: fc.boolean() }),
  fc.record({ type: fc.constant('timeoutNow'), term: small }),
  fc.record({ type: fc.constant('readIndex'), term: small, context: fc.string({ maxLength: 4 }) }),
  fc.record({ type: fc.constant('readIndexResp'), term: small, context: fc.string({ maxLength: 4 }), index: fc.nat({ max: 40 }), reject: fc.boolean() }),
  fc.record({ term: small, index: small, offset: fc.nat({ max: 8 }), len: fc.nat({ max: 8 }), extra: fc.nat({ max: 8 }) }).map(({ term, index, offset, len, extra }) => ({
    type: 'snap', term, meta: { index, term: Math.min(term, 3), config: { voters: ['n1', 'n2', 'n3'], nonVoters: [] } }, offset, data: new Uint8Array(len), totalSize: offset + len + extra, done: extra === 0,
  } as unknown as Message)),
).map((m) => ({ ...m, from: 'n2', to: 'n1' }) as Message);

let stepped = 0;
function drive(core: RaftCore, steps: Message[]): void {
  for (const m of steps) {
    if (validateMessage(m) !== undefined) continue; // what the transport would have dropped
    stepped++;
    core.step(m);
    if (core.hasReady()) {
      core.ready();
      core.advance();
    }
    core.tick();
  }
}

test('fuzz: a Raft core (follower of 3, and a leader with a non-voter) takes any sequence of validated messages without throwing', () => {
  let n = 0;
  const random = () => ((n = (n * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  fc.assert(
    fc.property(fc.array(plausible, { maxLength: 40 }), (steps) => {
      const follower = new RaftCore(defaultRaftConfig('n1', random), { hardState: { term: 1, vote: '', commit: 0 }, entries: [], bootstrap: { voters: ['n1', 'n2', 'n3'], nonVoters: [] } });
      drive(follower, steps);
      const leader = new RaftCore(defaultRaftConfig('n1', random), { hardState: { term: 1, vote: '', commit: 0 }, entries: [], bootstrap: { voters: ['n1'], nonVoters: ['n2'] } });
      leader.campaign();
      for (let i = 0; i < 3 && leader.hasReady(); i++) (leader.ready(), leader.advance());
      assert.equal(leader.role, 'leader');
      leader.propose(new Uint8Array([1]));
      drive(leader, steps);
      assert.ok(follower.commitIndex <= follower.lastIndex && leader.commitIndex <= leader.lastIndex, 'commit never passes the log');
    }),
    params(600),
  );
  assert.ok(stepped > 3000, `the generator makes messages the validator accepts (${stepped} stepped)`);
});

// ------------------------------------------------------------------ HTTP

let s: FakeServer;
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
before(async () => {
  s = await startFakeServer();
  await s.fetch('/v1/var/fuzz/seed', { method: 'PUT', body: '{"Items":{"a":"b"}}' });
});
after(async () => {
  agent.destroy();
  await s.close();
});

/** 5xx answers the contract names for these inputs (anything else is a bug). */
const CONTRACT_500 = [/^No path to region$/, /^(id|address) ".*" was not found in the Raft configuration$/s, /^failed to restore from snapshot: /, /^license not initialized yet$/, /^No cluster leader$/];

const segment = fc.oneof(
  fc.constantFrom('v1', 'operator', 'raft', 'configuration', 'peer', 'transfer-leadership', 'autopilot', 'health', 'scheduler', 'snapshot', 'license', 'status', 'leader', 'peers', 'agent', 'self', 'members', 'join', 'force-leave', 'metrics', 'acl', 'token', 'tokens', 'policy', 'policies', 'bootstrap', 'vars', 'var', 'fuzz', 'seed', '..', '.', '', '%ZZ', '%00', '%2F', '%E0%A4%A', '~', 'x'.repeat(200)),
  fc.stringMatching(/^[a-zA-Z0-9_~%-]{1,12}$/),
);
const pathArb = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 6 }).map((segs) => `/${segs.join('/')}`),
  fc.constantFrom('/v1/operator/scheduler/configuration', '/v1/operator/autopilot/configuration', '/v1/var/fuzz/x', '/v1/vars', '/v1/operator/raft/transfer-leadership', '/v1/operator/raft/peer', '/v1/status/leader', '/v1/operator/snapshot', '/v1/agent/join', '/v1/agent/force-leave', '/v1/metrics'),
);
const queryArb = fc.array(
  fc.tuple(fc.constantFrom('stale', 'cas', 'wait', 'index', 'region', 'per_page', 'prefix', 'id', 'address', 'node', 'prune', 'pretty', 'format', 'type', 'force', 'filter', 'next_token', 'id[]', 'stale[a]', '', '%', 'x'), fc.oneof(fc.constantFrom('', 'true', 'false', '1', '-1', '0', 'global', 'other', '1s', '5', 'abc', '%ZZ', '11111111-1111-4111-8111-111111111111', '10.0.0.9:4647', 'x'.repeat(300)), fc.string({ maxLength: 10 }))),
  { maxLength: 5 },
).map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${/%/.test(v) ? v.replace(/[^A-Za-z0-9%._~-]/g, (c) => encodeURIComponent(c)) : encodeURIComponent(v)}`).join('&')}`));
const jsonish = fc.oneof(
  fc.record({ Items: fc.oneof(fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null)), { maxKeys: 3 }), fc.anything({ maxDepth: 1 })) }, { requiredKeys: [] }),
  fc.record({ SchedulerAlgorithm: fc.oneof(fc.constantFrom('binpack', 'spread', '', 'x'), fc.anything({ maxDepth: 0 })), PreemptionConfig: fc.anything({ maxDepth: 1 }), NodeLimitForFeasibilityChecks: fc.anything({ maxDepth: 0 }) }, { requiredKeys: [] }),
  fc.record({ LastContactThreshold: fc.oneof(fc.constantFrom('200ms', '-1s', 'x', '1e3s'), fc.anything({ maxDepth: 0 })), MaxTrailingLogs: fc.anything({ maxDepth: 0 }), CleanupDeadServers: fc.anything({ maxDepth: 0 }), MinQuorum: fc.anything({ maxDepth: 0 }) }, { requiredKeys: [] }),
  fc.anything({ maxDepth: 3 }),
).map((v) => JSON.stringify(v) ?? 'null');
const bodyArb = fc.oneof(fc.constant(undefined), jsonish, fc.string({ maxLength: 60 }), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)));
const requestArb = fc.record({
  method: fc.constantFrom('GET', 'GET', 'PUT', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
  path: pathArb,
  query: queryArb,
  body: bodyArb,
  token: fc.constantFrom(undefined, '', 'not-a-uuid', '00000000-0000-4000-8000-000000000000'),
});

test('fuzz: random HTTP requests never answer an uncontracted 5xx; every refusal is plain text and changes nothing; the server keeps serving', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(requestArb, async (r) => {
      n++;
      const before = fingerprint(s);
      const headers: Record<string, string> = {};
      if (r.token !== undefined) headers['X-Nomad-Token'] = r.token;
      const go = () => raw(s.url, r.method, r.path + r.query, { agent, headers, body: r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body });
      const a = await go().catch((e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? go() : Promise.reject(e)));
      const what = `${r.method} ${r.path}${r.query} ${String(r.body).slice(0, 80)} → ${a.status} ${a.text.slice(0, 200)}`;
      assert.ok(a.status >= 200 && a.status < 600, what);
      if (a.status >= 500) assert.ok(r.method === 'HEAD' || CONTRACT_500.some((re) => re.test(a.text)), `an uncontracted 5xx: ${what}`);
      if (a.status >= 400) {
        if (a.text !== '' && a.status !== 409) assert.match(String(a.headers['content-type']), /^text\/plain/, what);
        assert.equal(fingerprint(s), before, `a refused request changed the state: ${what}`);
      }
    }),
    params(2500),
  );
  assert.equal(n, 2500);
  const alive = await s.fetch('/v1/var/fuzz/seed');
  assert.equal(alive.status, 200, 'still serving');
});
