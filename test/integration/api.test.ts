// The operator HTTP API against one real 3-server cluster (ACLs off): whole-body golden shapes
// with headers (contract §0.1, §1), writes through a follower answering as the leader would,
// CAS counters from concurrent clients (no lost update), snapshots taken during writes being one
// consistent point, a restore sent to a follower, and restores that must be refused without
// touching anything (§1.10, §2, §9.8, Part A §11–§13).
//
// One cluster is shared by the tests in order; each leaves every node running and agreeing on a
// leader. A node's state is fingerprinted by the SHA-256 of the state.bin in a `?stale` snapshot
// saved from it (encodeState is deterministic, so equal states give equal fingerprints).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { Fsm } from '../../src/fsm/index.ts';
import { archiveBuffer, readArchive, type SnapshotMetaJson } from '../../src/snapshot/index.ts';
import { VERSION } from '../../src/version.ts';
import { TestCluster, TestNode, sleep, until } from './harness.ts';

// Dead-server cleanup off and autopilot fast (as the cluster test); a small uncompressed restore
// limit so the gzip bomb stops quickly (Part A §13; key names from src/config/decode.ts).
const EXTRA_HCL = `autopilot {
  server_stabilization_time = "1s"
  update_interval = "250ms"
  reconcile_interval = "500ms"
  cleanup_dead_servers = false
}
limits {
  snapshot_restore_max_uncompressed_size = "2MiB"
}`;
const RESTORE_LIMIT = 2 * 1024 * 1024;

let c: TestCluster;
/** node name → node ID */
const ids = new Map<string, string>();

before(async () => {
  c = await TestCluster.create(3, { extraHcl: EXTRA_HCL });
  await c.startAll();
  await c.waitForLeader(60_000);
  for (const n of c.nodes) ids.set(n.name, (await readFile(path.join(n.dataDir, 'server', 'node-id'), 'utf8')).trim());
});

after(async () => {
  await c?.destroy();
});

// ------------------------------------------------------------------ helpers

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

async function call(node: TestNode, method: string, p: string, body?: string | Buffer | object): Promise<Answer> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body);
  const r = await fetch(node.url(p), { method, body: payload, signal: AbortSignal.timeout(30_000) });
  const text = await r.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: r.status, headers: r.headers, text, body: parsed };
}

async function ok(node: TestNode, method: string, p: string, body?: string | Buffer | object): Promise<Answer> {
  const r = await call(node, method, p, body);
  assert.equal(r.status, 200, `${method} ${p} on ${node.name}: ${r.status} ${r.text}`);
  return r;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function leaderAndFollowers(): Promise<{ leader: TestNode; followers: TestNode[] }> {
  const leader = await c.waitForLeader(30_000);
  return { leader, followers: c.nodes.filter((n) => n !== leader) };
}

async function raftStats(node: TestNode): Promise<Record<string, string>> {
  const r = await ok(node, 'GET', '/v1/agent/self');
  return (r.body as { stats: { raft: Record<string, string> } }).stats.raft;
}

interface Saved {
  bytes: Buffer;
  digest: string | null;
  meta: SnapshotMetaJson;
  stateBin: Buffer;
}

async function saveSnapshot(node: TestNode, query = ''): Promise<Saved> {
  const r = await fetch(node.url(`/v1/operator/snapshot${query}`), { signal: AbortSignal.timeout(30_000) });
  const bytes = Buffer.from(await r.arrayBuffer());
  assert.equal(r.status, 200, `snapshot save on ${node.name}${query}: ${r.status} ${bytes.toString('utf8').slice(0, 300)}`);
  const { meta, stateBin } = await readArchive(Readable.from([bytes]), { maxCompressedBytes: 1 << 30, maxUncompressedBytes: 1 << 30 });
  return { bytes, digest: r.headers.get('digest'), meta, stateBin };
}

/** SHA-256 of the node's own state (a `?stale` snapshot is taken by the receiving server). */
async function fingerprint(node: TestNode): Promise<string> {
  return sha256((await saveSnapshot(node, '?stale')).stateBin);
}

async function fingerprints(): Promise<string[]> {
  return Promise.all(c.nodes.map(fingerprint));
}

async function waitConverged(want?: string, timeoutMs = 30_000): Promise<string> {
  return until(
    `every node's state fingerprint to be ${want ?? 'the same'}`,
    async () => {
      const fps = await fingerprints();
      if (new Set(fps).size !== 1) return undefined;
      if (want !== undefined && fps[0] !== want) return undefined;
      return fps[0];
    },
    timeoutMs,
    150,
  );
}

function snapshotFiles(node: TestNode): Promise<string[]> {
  return readdir(path.join(node.dataDir, 'server', 'raft', 'snapshots')).then((f) => f.sort(), () => []);
}

interface Quiet {
  leader: TestNode;
  term: string;
  fp: string;
  /** per node: last_log_index */
  lastIndex: string[];
  files: string[][];
}

/** Waits until nothing moves: equal logs fully applied on every node, snapshot files stable, equal states. */
async function quiet(): Promise<Quiet> {
  const leader = await c.waitForLeader(30_000);
  const observe = async () => {
    const stats = await Promise.all(c.nodes.map(raftStats));
    const files = await Promise.all(c.nodes.map(snapshotFiles));
    return { stats, files, key: JSON.stringify([stats.map((s) => [s['state'], s['term'], s['last_log_index'], s['commit_index'], s['applied_index'], s['last_snapshot_index']]), files]) };
  };
  const o = await until(
    'the cluster to be quiet',
    async () => {
      const a = await observe();
      const idx = new Set(a.stats.flatMap((s) => [s['last_log_index'], s['commit_index'], s['applied_index']]));
      if (idx.size !== 1 || new Set(a.stats.map((s) => s['term'])).size !== 1) return undefined;
      if (a.stats.filter((s) => s['state'] === 'Leader').length !== 1) return undefined;
      await sleep(300);
      const b = await observe();
      return a.key === b.key ? b : undefined;
    },
    30_000,
    100,
  );
  const fp = await waitConverged();
  assert.equal(o.stats[c.nodes.indexOf(leader)]!['state'], 'Leader');
  return { leader, term: o.stats[0]!['term']!, fp, lastIndex: o.stats.map((s) => s['last_log_index']!), files: o.files };
}

/** Nothing changed since `q`: same leader and term everywhere, same state, nothing proposed, no snapshot file. */
async function assertUntouched(q: Quiet, what: string): Promise<void> {
  const leader = await c.waitForLeader(30_000);
  assert.equal(leader, q.leader, `${what}: the leader is still ${q.leader.name}`);
  const stats = await Promise.all(c.nodes.map(raftStats));
  stats.forEach((s, i) => {
    assert.equal(s['term'], q.term, `${what}: ${c.nodes[i]!.name}'s term`);
    assert.equal(s['state'], c.nodes[i] === leader ? 'Leader' : 'Follower', `${what}: ${c.nodes[i]!.name}'s role`);
    assert.equal(s['last_log_index'], q.lastIndex[i], `${what}: nothing was proposed (${c.nodes[i]!.name}'s last log index)`);
  });
  assert.deepEqual(await fingerprints(), c.nodes.map(() => q.fp), `${what}: every node's state is as before`);
  assert.deepEqual(await Promise.all(c.nodes.map(snapshotFiles)), q.files, `${what}: no snapshot file appeared in any data dir`);
}

/** With a failing assertion, attach the cluster's log tails. */
async function withLogs<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const tails = await c.logs(20);
    const err = e as Error;
    err.message += `\n${tails}`;
    throw e;
  }
}

/** Header names of an answer, without the per-connection ones. */
function headerNames(h: Headers): string[] {
  const skip = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
  return [...h.keys()].filter((k) => !skip.has(k)).sort();
}

const QUERY_META = ['x-nomad-index', 'x-nomad-knownleader', 'x-nomad-lastcontact'];

/** §0.1: exact JSON Content-Type, and exactly the X-Nomad-* headers listed present. */
function assertJsonHeaders(r: Answer, xNomad: string[], what: string): void {
  assert.equal(r.headers.get('content-type'), 'application/json', `${what}: Content-Type`);
  const present = [...r.headers.keys()].filter((k) => k.startsWith('x-nomad-')).sort();
  assert.deepEqual(present, [...xNomad].sort(), `${what}: X-Nomad-* headers`);
}

/** Placeholders for what differs between runs: node IDs, addresses, ports. */
function names(): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of c.nodes) {
    m.set(ids.get(n.name)!, `<id:${n.name}>`);
    m.set(n.rpcAddr, `<rpc:${n.name}>`);
    m.set(`127.0.0.1:${n.httpPort}`, `<http:${n.name}>`);
    m.set(String(n.rpcPort), `<rpcport:${n.name}>`);
  }
  return m;
}

type Rule = (v: unknown, key: string) => unknown;
const isUint = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const INDEX: Rule = (v, k) => {
  assert.ok(isUint(v) && (v as number) > 0, `${k} is a positive integer (got ${JSON.stringify(v)})`);
  return '<index>';
};
const UINT: Rule = (v, k) => {
  assert.ok(isUint(v), `${k} is a non-negative integer (got ${JSON.stringify(v)})`);
  return '<n>';
};
const GO_DURATION = /^(0s|\d+(\.\d+)?(ns|µs|ms|s)|(\d+h)?(\d+m)?\d+(\.\d+)?s)$/;
const DURATION: Rule = (v, k) => {
  assert.ok(typeof v === 'string' && GO_DURATION.test(v), `${k} is a Go duration string (got ${JSON.stringify(v)})`);
  return '<duration>';
};
const RFC3339: Rule = (v, k) => {
  assert.ok(typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/.test(v) && !Number.isNaN(Date.parse(v)), `${k} is an RFC 3339 UTC time (got ${JSON.stringify(v)})`);
  return '<time>';
};
const UNIX_NS: Rule = (v, k) => {
  // Nanoseconds since the epoch: beyond 2^53, so parsed as an approximate number; within a day of now.
  assert.ok(typeof v === 'number' && Math.abs(v / 1e6 - Date.now()) < 86_400_000, `${k} is Unix nanoseconds (got ${JSON.stringify(v)})`);
  return '<unixns>';
};

/** A copy with `rules` applied by key (key order kept) and IDs/addresses replaced in strings. */
function normalize(v: unknown, rules: Record<string, Rule> = {}, m = names()): unknown {
  if (typeof v === 'string') return m.get(v) ?? v;
  if (Array.isArray(v)) return v.map((x) => normalize(x, rules, m));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = rules[k] ? rules[k]!(x, k) : normalize(x, rules, m);
    return out;
  }
  return v;
}

/** Whole-body equality including key order (JSON text), with a readable diff first. */
function assertGolden(actual: unknown, expected: unknown, what: string): void {
  assert.deepEqual(actual, expected, what);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected), `${what}: key order`);
}

const byName = <T extends { Name?: unknown; Node?: unknown }>(xs: T[]) => [...xs].sort((a, b) => String(a.Name ?? a.Node).localeCompare(String(b.Name ?? b.Node)));

/** The TCP connections `from` (a node's process) holds open to `to`'s HTTP port. Linux /proc. */
function openConnections(from: TestNode, to: TestNode): number {
  const pid = from.proc!.pid!;
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  let n = 0;
  for (const f of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${f}`, 'utf8').split('\n').slice(1)) {
      const p = line.trim().split(/\s+/);
      if (p.length < 10) continue;
      if (parseInt(p[2]!.split(':')[1]!, 16) === to.httpPort && p[3] === '01' && inodes.has(p[9]!)) n++;
    }
  }
  return n;
}

// ------------------------------------------------------------------ archives for refused restores

/** The tar inside an archive, and where state.bin's data sits in it. */
function tarOf(archive: Buffer): { tarBytes: Buffer; stateAt: number; stateSize: number } {
  const tarBytes = zlib.gunzipSync(archive);
  let at = 0;
  while (at + 512 <= tarBytes.length) {
    const header = tarBytes.subarray(at, at + 512);
    const name = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    if (name === 'state.bin') return { tarBytes, stateAt: at + 512, stateSize: size };
    if (name === '') break;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error('no state.bin in the archive');
}

/** One byte of state.bin flipped (the SHA256SUMS no longer matches). */
function corrupted(archive: Buffer): Buffer {
  const { tarBytes, stateAt, stateSize } = tarOf(archive);
  const t = Buffer.from(tarBytes);
  t[stateAt + Math.floor(stateSize / 2)] ^= 0x01;
  return zlib.gzipSync(t);
}

/** A complete gzip stream whose tar stops inside state.bin. */
function truncatedTar(archive: Buffer): Buffer {
  const { tarBytes, stateAt, stateSize } = tarOf(archive);
  return zlib.gzipSync(tarBytes.subarray(0, stateAt + Math.floor(stateSize / 2)));
}

/** A valid archive (sums match) whose state.bin ends with a record of an unknown type. */
async function withUnknownRecord(s: Saved, type: number): Promise<Buffer> {
  const stateBin = Buffer.concat([s.stateBin, Buffer.from([type, 0x80])]); // [type][msgpack {}]
  return (await archiveBuffer({ ...s.meta, Size: stateBin.length }, stateBin)).bytes;
}

/** A ustar header for a regular file of `size` bytes. */
function ustarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (at: number, len: number, text: string) => h.write(text, at, len, 'latin1');
  const octal = (at: number, len: number, n: number) => put(at, len, n.toString(8).padStart(len - 1, '0') + '\0');
  put(0, 100, name);
  octal(100, 8, 0o600);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, Math.floor(Date.now() / 1000));
  put(148, 8, '        '); // checksum placeholder: eight spaces
  put(156, 1, '0');
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** A small gzip whose tar claims a state.bin of `size` zero bytes, and holds them. */
async function gzipBomb(size: number): Promise<Buffer> {
  const gzip = zlib.createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gzip.on('data', (d: Buffer) => parts.push(d));
  const ended = new Promise((r) => gzip.on('end', r));
  const write = async (b: Buffer) => {
    if (!gzip.write(b)) await new Promise((r) => gzip.once('drain', r));
  };
  await write(ustarHeader('state.bin', size));
  const zeros = Buffer.alloc(1 << 20);
  for (let left = size; left > 0; left -= zeros.length) await write(left >= zeros.length ? zeros : zeros.subarray(0, left));
  gzip.end(Buffer.alloc(1024)); // the two end blocks
  await ended;
  return Buffer.concat(parts);
}

/** PUTs `body` in chunks (chunked transfer encoding, so the receiver must stream it on). */
function streamedRestore(node: TestNode, body: Buffer, chunk = 256): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: node.httpPort, method: 'PUT', path: '/v1/operator/snapshot' }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('streamed restore timed out')));
    void (async () => {
      for (let at = 0; at < body.length; at += chunk) {
        req.write(body.subarray(at, at + chunk));
        await sleep(5);
      }
      req.end();
    })();
  });
}

/** Sends the first half of `body` (announcing its whole length), then destroys the socket. */
async function cutRestore(node: TestNode, body: Buffer): Promise<void> {
  const req = http.request({ host: '127.0.0.1', port: node.httpPort, method: 'PUT', path: '/v1/operator/snapshot', headers: { 'content-length': String(body.length) } });
  let answered: number | undefined;
  req.on('response', (res) => {
    answered = res.statusCode;
    res.resume();
  });
  req.on('error', () => undefined); // the socket we destroy
  await new Promise<void>((r) => req.write(body.subarray(0, body.length >> 1), () => r()));
  await sleep(300); // the half has gone out and reached the server (a pacing pause, not a wait for state)
  req.destroy();
  assert.equal(answered, undefined, 'nothing is answered before the body is complete');
}

// ------------------------------------------------------------------ tests

test('golden shapes: raft/autopilot/scheduler configuration, health, license, agent self/members, status — bodies and headers', () =>
  withLogs(async () => {
    const { leader, followers } = await leaderAndFollowers();
    const [f1] = followers;
    // Health settles after autopilot's first passes.
    await until('autopilot to report a healthy cluster', async () => ((await call(leader, 'GET', '/v1/operator/autopilot/health')).status === 200 ? true : undefined), 30_000);

    // ---- raft configuration: leader, proxied through a follower, and each node's stale view.
    const raftCfg = await ok(leader, 'GET', '/v1/operator/raft/configuration');
    const order = (raftCfg.body as { Servers: { Node: string }[] }).Servers.map((s) => s.Node);
    const row = (n: TestNode) => ({ ID: `<id:${n.name}>`, Node: `${n.name}.global`, Address: `<rpc:${n.name}>`, Leader: n === leader, Voter: true, RaftProtocol: '3' });
    const wantRaft = { Servers: order.map((name) => row(c.nodes.find((n) => `${n.name}.global` === name)!)), Index: '<index>' };
    assert.deepEqual([...order].sort(), ['s1.global', 's2.global', 's3.global']);
    for (const [node, q] of [[leader, ''], [f1!, ''], ...c.nodes.map((n) => [n, '?stale'] as const)] as const) {
      const r = q === '' && node === leader ? raftCfg : await ok(node, 'GET', `/v1/operator/raft/configuration${q}`);
      assertJsonHeaders(r, [], `raft configuration on ${node.name}${q}`);
      assertGolden(normalize(r.body, { Index: INDEX }), wantRaft, `raft configuration on ${node.name}${q}`);
    }
    const pretty = await ok(f1!, 'GET', '/v1/operator/raft/configuration?pretty');
    assert.equal(pretty.text, JSON.stringify(raftCfg.body, null, 4) + '\n', '?pretty: 4-space indent and a trailing newline');

    // ---- status/leader and status/peers: plain JSON, peers in configuration order, no X-Nomad-*.
    for (const n of c.nodes) {
      for (const q of ['', '?stale']) {
        const l = await ok(n, 'GET', `/v1/status/leader${q}`);
        assertJsonHeaders(l, [], `status/leader on ${n.name}${q}`);
        assert.equal(l.text, JSON.stringify(leader.rpcAddr));
        const p = await ok(n, 'GET', `/v1/status/peers${q}`);
        assertJsonHeaders(p, [], `status/peers on ${n.name}${q}`);
        assertGolden(normalize(p.body), order.map((name) => `<rpc:${name.replace('.global', '')}>`), `status/peers on ${n.name}${q}`);
      }
    }

    // ---- autopilot configuration: the agent's autopilot block, durations first (§1.4).
    const wantAutopilot = {
      LastContactThreshold: '200ms',
      ServerStabilizationTime: '1s',
      CleanupDeadServers: false,
      MaxTrailingLogs: 250,
      MinQuorum: 0,
      EnableRedundancyZones: false,
      DisableUpgradeMigration: false,
      EnableCustomUpgrades: false,
      CreateIndex: '<index>',
      ModifyIndex: '<index>',
    };
    for (const [node, q] of [[leader, ''], [f1!, ''], ...c.nodes.map((n) => [n, '?stale'] as const)] as const) {
      const r = await ok(node, 'GET', `/v1/operator/autopilot/configuration${q}`);
      assertJsonHeaders(r, [], `autopilot configuration on ${node.name}${q}`);
      assertGolden(normalize(r.body, { CreateIndex: INDEX, ModifyIndex: INDEX }), wantAutopilot, `autopilot configuration on ${node.name}${q}`);
    }

    // ---- autopilot health: always the leader's view (stale ignored); Servers in no fixed order.
    for (const [node, q] of [[leader, ''], [f1!, ''], [f1!, '?stale']] as const) {
      const r = await until(`a healthy answer on ${node.name}${q}`, async () => {
        const x = await call(node, 'GET', `/v1/operator/autopilot/health${q}`);
        return x.status === 200 ? x : undefined;
      }, 20_000);
      assertJsonHeaders(r, [], `autopilot health on ${node.name}${q}`);
      const b = r.body as { Servers: { Name: string; Leader: boolean; LastContact: string }[]; Voters: string[] };
      assert.equal(b.Servers.find((s) => s.Leader)?.LastContact, '0s', "the leader's own LastContact is 0s");
      const normal = normalize({ ...b, Servers: byName(b.Servers) }, { LastContact: DURATION, LastTerm: INDEX, LastIndex: INDEX, StableSince: RFC3339 }) as { Voters: string[] };
      normal.Voters = [...normal.Voters].sort();
      const wantHealth = {
        Healthy: true,
        FailureTolerance: 1,
        Servers: c.nodes.map((n) => ({
          LastContact: '<duration>',
          ID: `<id:${n.name}>`,
          Name: `${n.name}.global`,
          Address: `<rpc:${n.name}>`,
          SerfStatus: 'alive',
          Version: VERSION,
          Leader: n === leader,
          LastTerm: '<index>',
          LastIndex: '<index>',
          Healthy: true,
          Voter: true,
          StableSince: '<time>',
        })),
        Leader: `<id:${leader.name}>`,
        Voters: [...c.nodes.map((n) => `<id:${n.name}>`)].sort(),
      };
      assertGolden(normal, wantHealth, `autopilot health on ${node.name}${q}`);
      assert.equal(b.Voters[0], ids.get(leader.name), 'Voters: the leader first');
      assert.ok(!('ReadReplicas' in b) && !('RedundancyZones' in b) && !('Upgrade' in b) && !('OptimisticFailureTolerance' in b), 'no empty ENT keys');
    }

    // ---- scheduler configuration: Nomad's defaults, query meta in headers and body (§1.7).
    const wantScheduler = {
      SchedulerConfig: {
        SchedulerAlgorithm: 'binpack',
        PreemptionConfig: { SystemSchedulerEnabled: true, SysBatchSchedulerEnabled: false, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: false },
        MemoryOversubscriptionEnabled: false,
        RejectJobRegistration: false,
        PauseEvalBroker: false,
        NodeLimitForFeasibilityChecks: 0,
        CreateIndex: '<index>',
        ModifyIndex: '<index>',
      },
      Index: '<index>',
      LastContact: '<n>',
      KnownLeader: true,
      NextToken: '',
    };
    for (const [node, q] of [[leader, ''], [f1!, ''], ...c.nodes.map((n) => [n, '?stale'] as const)] as const) {
      const r = await ok(node, 'GET', `/v1/operator/scheduler/configuration${q}`);
      assertJsonHeaders(r, QUERY_META, `scheduler configuration on ${node.name}${q}`);
      const b = r.body as { SchedulerConfig: { ModifyIndex: number }; Index: number; LastContact: number };
      assertGolden(normalize(r.body, { CreateIndex: INDEX, ModifyIndex: INDEX, Index: INDEX, LastContact: UINT }), wantScheduler, `scheduler configuration on ${node.name}${q}`);
      assert.equal(r.headers.get('x-nomad-index'), String(b.Index));
      assert.equal(b.Index, b.SchedulerConfig.ModifyIndex, 'Index is the ModifyIndex');
      assert.equal(r.headers.get('x-nomad-knownleader'), 'true');
      const servedByLeader = node === leader || q === '';
      assert.match(r.headers.get('x-nomad-lastcontact')!, /^\d+$/);
      if (servedByLeader) assert.equal(r.headers.get('x-nomad-lastcontact'), '0', `${node.name}${q}: the leader answers LastContact 0`);
      assert.equal(b.LastContact, Number(r.headers.get('x-nomad-lastcontact')) * 1_000_000, 'body LastContact is the header (ms) in ns');
    }

    // ---- license: the temporary license (Part A §14), query meta; served by the contacted server.
    for (const node of c.nodes) {
      const r = await ok(node, 'GET', '/v1/operator/license');
      assertJsonHeaders(r, QUERY_META, `license on ${node.name}`);
      const b = r.body as { License: Record<string, string>; Index: number; LastContact: number };
      const time = { IssueTime: RFC3339, StartTime: RFC3339, ExpirationTime: RFC3339, TerminationTime: RFC3339, Index: INDEX, LastContact: UINT };
      assertGolden(
        normalize(r.body, time),
        {
          License: {
            LicenseID: 'temporary-license',
            CustomerID: 'temporary license customer',
            InstallationID: '*',
            IssueTime: '<time>',
            StartTime: '<time>',
            ExpirationTime: '<time>',
            TerminationTime: '<time>',
            NonProduction: false,
            Product: 'nomad',
            Flags: { modules: ['governance-policy'] },
            Modules: ['governance-policy'],
            Features: ['Automated Upgrades', 'Enhanced Read Scalability', 'Redundancy Zones', 'Namespaces', 'Resource Quotas', 'Preemption', 'Audit Logging', 'Setinel Policies'],
          },
          ConfigOutdated: false,
          Index: '<index>',
          KnownLeader: true,
          LastContact: '<n>',
        },
        `license on ${node.name}`,
      );
      assert.equal(Date.parse(b.License['ExpirationTime']!) - Date.parse(b.License['IssueTime']!), 6 * 3600_000, 'valid for 6 hours');
      assert.equal(r.headers.get('x-nomad-index'), String(b.Index));
      if (node === leader) assert.equal(b.LastContact, 0);
      assert.equal(b.LastContact, Number(r.headers.get('x-nomad-lastcontact')) * 1_000_000);
    }

    // ---- agent members (handled locally) and agent self.
    const member = (n: TestNode) => ({
      Name: `${n.name}.global`,
      Addr: '127.0.0.1',
      Port: `<rpcport:${n.name}>`,
      Tags: { build: VERSION, dc: 'dc1', expect: '3', http_addr: `<http:${n.name}>`, id: `<id:${n.name}>`, port: `<rpcport:${n.name}>`, raft_vsn: '3', region: 'global', role: 'nomad', rpc_addr: '127.0.0.1', vsn: '1' },
      Status: 'alive',
      ProtocolMin: 1,
      ProtocolMax: 5,
      ProtocolCur: 2,
      DelegateMin: 2,
      DelegateMax: 5,
      DelegateCur: 4,
    });
    // Tags is a Go map (no defined key order): compared with sorted keys.
    const sortTags = (m: { Port: unknown; Tags: Record<string, string> }) => ({ ...m, Port: String(m.Port), Tags: Object.fromEntries(Object.entries(m.Tags).sort(([a], [b]) => a.localeCompare(b))) });
    for (const node of c.nodes) {
      const r = await ok(node, 'GET', '/v1/agent/members');
      assertJsonHeaders(r, [], `agent/members on ${node.name}`);
      const b = r.body as { Members: { Name: string; Port: number; Tags: Record<string, string> }[] };
      assertGolden(normalize({ ...b, Members: byName(b.Members).map(sortTags) }), { ServerName: node.name, ServerRegion: 'global', ServerDC: 'dc1', Members: c.nodes.map(member) }, `agent/members on ${node.name}`);

      const s = await ok(node, 'GET', '/v1/agent/self');
      assertJsonHeaders(s, [], `agent/self on ${node.name}`);
      const self = s.body as { config: unknown; member: { Name: string; Port: number; Tags: Record<string, string> }; stats: Record<string, Record<string, string>> };
      assert.deepEqual(Object.keys(self), ['config', 'member', 'stats'], 'agent/self top-level keys, lower case');
      assert.ok(self.config && typeof self.config === 'object');
      assertGolden(normalize(sortTags(self.member)), member(node), `agent/self member on ${node.name}`);
      // stats is a map of maps (Go maps: no key order) of strings.
      assert.deepEqual(Object.keys(self.stats).sort(), ['nomad', 'raft', 'runtime', 'serf']);
      for (const group of Object.values(self.stats)) for (const v of Object.values(group)) assert.equal(typeof v, 'string', 'every stats value is a string');
      assert.deepEqual(self.stats['nomad'], { server: 'true', leader: String(node === leader), leader_addr: leader.rpcAddr, bootstrap: 'false', known_regions: '1' });
      const raft = self.stats['raft']!;
      assert.deepEqual(Object.keys(raft).sort(), [
        'applied_index', 'commit_index', 'fsm_pending', 'last_contact', 'last_log_index', 'last_log_term', 'last_snapshot_index', 'last_snapshot_term',
        'latest_configuration', 'latest_configuration_index', 'logstore_backend', 'num_peers', 'protocol_version', 'protocol_version_max',
        'protocol_version_min', 'snapshot_version_max', 'snapshot_version_min', 'state', 'term',
      ], 'stats.raft keys (hashicorp/raft Stats plus logstore_backend)');
      assert.equal(raft['state'], node === leader ? 'Leader' : 'Follower');
      for (const k of ['term', 'last_log_index', 'last_log_term', 'commit_index', 'applied_index', 'fsm_pending', 'last_snapshot_index', 'last_snapshot_term', 'latest_configuration_index']) {
        assert.match(raft[k]!, /^\d+$/, `stats.raft.${k} is a decimal number`);
      }
      assert.equal(raft['num_peers'], '2');
      if (node === leader) assert.equal(raft['last_contact'], '0');
      else assert.match(raft['last_contact']!, GO_DURATION);
      assert.deepEqual(
        [raft['protocol_version'], raft['protocol_version_min'], raft['protocol_version_max'], raft['snapshot_version_min'], raft['snapshot_version_max'], raft['logstore_backend']],
        ['3', '0', '3', '0', '1', 'leveldb'],
      );
      const entries = order.map((name) => {
        const n = c.nodes.find((x) => `${x.name}.global` === name)!;
        return `{Suffrage:Voter ID:${ids.get(n.name)} Address:${n.rpcAddr}}`;
      });
      assert.equal(raft['latest_configuration'], `[${entries.join(' ')}]`, "hashicorp/raft's configuration text");
    }

    // ---- a snapshot save: gzip, a Digest over the exact bytes, none of the X-Nomad-* headers.
    for (const [node, q] of [[leader, ''], [f1!, ''], [f1!, '?stale']] as const) {
      const r = await fetch(node.url(`/v1/operator/snapshot${q}`));
      const bytes = Buffer.from(await r.arrayBuffer());
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/x-gzip');
      assert.equal(r.headers.get('digest'), `sha-256=${createHash('sha256').update(bytes).digest('base64')}`, `Digest on ${node.name}${q}`);
      assert.deepEqual([...r.headers.keys()].filter((k) => k.startsWith('x-nomad-')), []);
      assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b]);
    }
  }));

test('writes through a follower (variable, scheduler, autopilot) answer exactly as the leader does', () =>
  withLogs(async () => {
    const { leader, followers } = await leaderAndFollowers();
    const [f1, f2] = followers as [TestNode, TestNode];
    const rules = { CreateIndex: INDEX, ModifyIndex: INDEX, CreateTime: UNIX_NS, ModifyTime: UNIX_NS };

    // ---- a variable: the stored variable and only X-Nomad-Index (a write, §0.1).
    const viaF = await ok(f1, 'PUT', '/v1/var/fw/one', { Items: { k: 'v', other: 'x' } });
    const viaL = await ok(leader, 'PUT', '/v1/var/fw/one', { Items: { k: 'v', other: 'x' } });
    for (const [r, who] of [[viaF, 'follower'], [viaL, 'leader']] as const) {
      assertJsonHeaders(r, ['x-nomad-index'], `var PUT through the ${who}`);
      const b = r.body as { ModifyIndex: number };
      assert.equal(r.headers.get('x-nomad-index'), String(b.ModifyIndex), `X-Nomad-Index is the ModifyIndex (${who})`);
      assertGolden(normalize(r.body, rules), { Namespace: 'default', Path: 'fw/one', CreateIndex: '<index>', CreateTime: '<unixns>', ModifyIndex: '<index>', ModifyTime: '<unixns>', Items: { k: 'v', other: 'x' } }, `var PUT through the ${who}`);
    }
    assert.deepEqual(headerNames(viaF.headers), headerNames(viaL.headers), 'the same headers either way');
    const fb = viaF.body as { CreateIndex: number; ModifyIndex: number };
    const lb = viaL.body as { CreateIndex: number; ModifyIndex: number };
    assert.equal(lb.CreateIndex, fb.CreateIndex, 'the second write updated the first one');
    assert.ok(lb.ModifyIndex > fb.ModifyIndex);
    // A consistent read through the other follower sees it, with the query meta headers.
    const read = await ok(f2, 'GET', '/v1/var/fw/one');
    assertJsonHeaders(read, QUERY_META, 'var GET through a follower');
    assert.deepEqual(read.body, viaL.body);
    assert.equal(read.headers.get('x-nomad-knownleader'), 'true');

    // ---- scheduler: {Updated, Index} and X-Nomad-Index = Index, through either.
    const sched = (alg: string) => ({ SchedulerAlgorithm: alg, PreemptionConfig: { SystemSchedulerEnabled: true, BatchSchedulerEnabled: true }, MemoryOversubscriptionEnabled: true });
    const sF = await ok(f1, 'PUT', '/v1/operator/scheduler/configuration', sched('spread'));
    const sL = await ok(leader, 'POST', '/v1/operator/scheduler/configuration', sched('spread'));
    for (const [r, who] of [[sF, 'follower'], [sL, 'leader']] as const) {
      assertJsonHeaders(r, ['x-nomad-index'], `scheduler PUT through the ${who}`);
      assertGolden(normalize(r.body, { Index: INDEX }), { Updated: true, Index: '<index>' }, `scheduler PUT through the ${who}`);
      assert.equal(r.headers.get('x-nomad-index'), String((r.body as { Index: number }).Index));
    }
    assert.deepEqual(headerNames(sF.headers), headerNames(sL.headers));
    // CAS through followers: the current ModifyIndex applies; the same index again does not, and
    // still answers 200 with a fresh Index (§9.11).
    const cur = (await ok(f2, 'GET', '/v1/operator/scheduler/configuration')).body as { SchedulerConfig: { ModifyIndex: number } };
    const m = cur.SchedulerConfig.ModifyIndex;
    assert.equal(m, (sL.body as { Index: number }).Index);
    const casOk = await ok(f1, 'PUT', `/v1/operator/scheduler/configuration?cas=${m}`, sched('binpack'));
    assert.equal((casOk.body as { Updated: boolean }).Updated, true);
    const casStale = await ok(f2, 'PUT', `/v1/operator/scheduler/configuration?cas=${m}`, sched('spread'));
    assert.equal((casStale.body as { Updated: boolean }).Updated, false);
    assert.ok((casStale.body as { Index: number }).Index > (casOk.body as { Index: number }).Index, 'a failed CAS still consumes an index');
    assert.equal(casStale.headers.get('x-nomad-index'), String((casStale.body as { Index: number }).Index));
    const badCas = await call(f1, 'PUT', '/v1/operator/scheduler/configuration?cas=abc', sched('spread'));
    assert.equal(badCas.status, 400);
    assert.match(badCas.text, /^Error parsing cas value: /);
    // Every node ends with the CAS winner, the whole object replaced.
    const wantSched = {
      SchedulerAlgorithm: 'binpack',
      PreemptionConfig: { SystemSchedulerEnabled: true, SysBatchSchedulerEnabled: false, BatchSchedulerEnabled: true, ServiceSchedulerEnabled: false },
      MemoryOversubscriptionEnabled: true,
      RejectJobRegistration: false,
      PauseEvalBroker: false,
      NodeLimitForFeasibilityChecks: 0,
      CreateIndex: '<index>',
      ModifyIndex: (casOk.body as { Index: number }).Index,
    };
    for (const n of c.nodes) {
      await until(`${n.name} to hold the CAS-written scheduler config`, async () => {
        const r = await ok(n, 'GET', '/v1/operator/scheduler/configuration?stale');
        const got = normalize((r.body as { SchedulerConfig: unknown }).SchedulerConfig, { CreateIndex: INDEX });
        return JSON.stringify(got) === JSON.stringify(wantSched) ? true : undefined;
      });
    }

    // ---- autopilot: a bare JSON boolean and no X-Nomad-* header (§1.5), through either.
    const ap = (await ok(leader, 'GET', '/v1/operator/autopilot/configuration')).body as Record<string, unknown>;
    const apBody = (trailing: number) => ({ ...ap, MaxTrailingLogs: trailing });
    const aF = await ok(f1, 'PUT', '/v1/operator/autopilot/configuration', apBody(251));
    const aL = await ok(leader, 'PUT', '/v1/operator/autopilot/configuration', apBody(252));
    for (const [r, who] of [[aF, 'follower'], [aL, 'leader']] as const) {
      assertJsonHeaders(r, [], `autopilot PUT through the ${who}`);
      assert.equal(r.text, 'true', `autopilot PUT through the ${who}`);
    }
    assert.deepEqual(headerNames(aF.headers), headerNames(aL.headers));
    const apNow = (await ok(f2, 'GET', '/v1/operator/autopilot/configuration')).body as { ModifyIndex: number; CreateIndex: number };
    assert.equal(apNow.CreateIndex, ap['CreateIndex'], 'CreateIndex is kept');
    assert.equal((await ok(f2, 'PUT', `/v1/operator/autopilot/configuration?cas=${apNow.ModifyIndex}`, apBody(250))).text, 'true');
    assert.equal((await ok(f1, 'PUT', `/v1/operator/autopilot/configuration?cas=${apNow.ModifyIndex}`, apBody(253))).text, 'false', 'a stale CAS answers false');
    for (const n of c.nodes) {
      await until(`${n.name} to hold the autopilot config written by CAS`, async () => {
        const b = (await ok(n, 'GET', '/v1/operator/autopilot/configuration?stale')).body as Record<string, unknown>;
        return b['MaxTrailingLogs'] === 250 && b['ModifyIndex'] !== apNow.ModifyIndex && b['CleanupDeadServers'] === false && b['LastContactThreshold'] === '200ms' ? true : undefined;
      });
    }
    await waitConverged();
  }));

test('CAS counter from concurrent clients through every node: no lost update, every 409 carries the current variable', () =>
  withLogs(async () => {
    const P = 'cas/counter';
    const created = await ok(c.nodes[0]!, 'PUT', `/v1/var/${P}?cas=0`, { Items: { n: '0' } });
    const createdIndex = (created.body as { ModifyIndex: number }).ModifyIndex;
    // cas=0 on an existing variable: 409 with the current variable and its index.
    const again = await call(c.nodes[1]!, 'PUT', `/v1/var/${P}?cas=0`, { Items: { n: '0' } });
    assert.equal(again.status, 409, again.text);
    assertJsonHeaders(again, ['x-nomad-index'], '409 on cas=0');
    assert.deepEqual(again.body, created.body);
    assert.equal(again.headers.get('x-nomad-index'), String(createdIndex));

    const CLIENTS = 4;
    const ATTEMPTS = 12;
    const wins: { index: number; value: number }[] = [];
    const conflicts: { cas: number; answer: Answer }[] = [];
    const others: string[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let i = 0; i < ATTEMPTS; i++) {
          const reader = c.nodes[(client + i) % 3]!;
          const writer = c.nodes[(client + i + 1) % 3]!;
          const r = await call(reader, 'GET', `/v1/var/${P}`);
          if (r.status !== 200) {
            others.push(`read on ${reader.name}: ${r.status} ${r.text}`);
            continue;
          }
          const v = r.body as { ModifyIndex: number; Items: { n: string } };
          const next = Number(v.Items.n) + 1;
          const w = await call(writer, 'PUT', `/v1/var/${P}?cas=${v.ModifyIndex}`, { Items: { n: String(next) } });
          if (w.status === 200) wins.push({ index: (w.body as { ModifyIndex: number }).ModifyIndex, value: next });
          else if (w.status === 409) conflicts.push({ cas: v.ModifyIndex, answer: w });
          else others.push(`write on ${writer.name}: ${w.status} ${w.text}`);
        }
      }),
    );
    assert.deepEqual(others, [], 'every read answered 200 and every write 200 or 409');
    assert.equal(wins.length + conflicts.length, CLIENTS * ATTEMPTS);
    assert.ok(wins.length > 0 && conflicts.length > 0, `clients raced (wins ${wins.length}, conflicts ${conflicts.length})`);

    const final = await ok(c.nodes[2]!, 'GET', `/v1/var/${P}`);
    assert.equal((final.body as { Items: { n: string } }).Items.n, String(wins.length), 'the counter equals the number of 200 answers');
    // Each win wrote the next value, in index order: no two clients incremented the same value.
    const byIndex = [...wins].sort((a, b) => a.index - b.index);
    assert.deepEqual(byIndex.map((w) => w.value), byIndex.map((_, i) => i + 1));
    assert.equal((final.body as { ModifyIndex: number }).ModifyIndex, byIndex.at(-1)!.index);

    const valueAt = new Map<number, number>([[createdIndex, 0], ...wins.map((w) => [w.index, w.value] as [number, number])]);
    for (const { cas, answer } of conflicts) {
      assertJsonHeaders(answer, ['x-nomad-index'], '409');
      const b = answer.body as { Path: string; ModifyIndex: number; Items: { n: string } };
      assert.deepEqual(Object.keys(b), ['Namespace', 'Path', 'CreateIndex', 'CreateTime', 'ModifyIndex', 'ModifyTime', 'Items']);
      assert.equal(b.Path, P);
      assert.equal(answer.headers.get('x-nomad-index'), String(b.ModifyIndex), "409's X-Nomad-Index is the current ModifyIndex");
      assert.ok(b.ModifyIndex > cas, `the 409 shows a newer version than the one read (${b.ModifyIndex} > ${cas})`);
      assert.equal(valueAt.get(b.ModifyIndex), Number(b.Items.n), `the 409's variable (index ${b.ModifyIndex}, n=${b.Items.n}) is a version that was written`);
    }

    // DELETE with a stale cas → 409 with the current variable; with the right one → 200, empty.
    const del = await call(c.nodes[0]!, 'DELETE', `/v1/var/${P}?cas=${createdIndex}`);
    assert.equal(del.status, 409);
    assert.deepEqual(del.body, final.body);
    const gone = await call(c.nodes[1]!, 'DELETE', `/v1/var/${P}?cas=${byIndex.at(-1)!.index}`);
    assert.equal(gone.status, 200, gone.text);
    assert.equal(gone.text, '');
    assert.equal(gone.headers.get('content-type'), null, 'an empty 200 has no Content-Type');
    assert.match(gone.headers.get('x-nomad-index') ?? '', /^\d+$/);
    const missing = await call(c.nodes[2]!, 'GET', `/v1/var/${P}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.text, 'variable not found');
    // cas on a variable that does not exist: 409 with only Namespace and Path.
    const casMissing = await call(c.nodes[2]!, 'PUT', `/v1/var/${P}?cas=7`, { Items: { n: '1' } });
    assert.equal(casMissing.status, 409);
    assertGolden(casMissing.body, { Namespace: 'default', Path: P }, '409 for a missing variable');
    assert.equal(casMissing.headers.get('x-nomad-index'), '0');
  }));

test('snapshots taken while writers run are each one consistent point; restoring one yields exactly that point', () =>
  withLogs(async () => {
    const { leader, followers } = await leaderAndFollowers();
    const [f1] = followers as [TestNode];
    const acked: { path: string; index: number; value: string }[] = [];
    const unsure: string[] = [];
    let stop = false;
    const WRITERS = 4;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      const node = c.nodes[w % 3]!;
      for (let seq = 0; !stop; seq++) {
        const p = `conc/w${w}/k${seq % 5}`;
        const value = `w${w}-${seq}`;
        const r = await call(node, 'PUT', `/v1/var/${p}`, { Items: { v: value } });
        if (r.status === 200) acked.push({ path: p, index: (r.body as { ModifyIndex: number }).ModifyIndex, value });
        else unsure.push(`${p}=${value}: ${r.status} ${r.text}`);
      }
    });
    const saved: { how: string; s: Saved }[] = [];
    try {
      await until('the writers to get going', () => (acked.length >= 30 ? true : undefined), 30_000, 20);
      for (const [how, node, q] of [['leader', leader, ''], ['follower (proxied)', f1, ''], ['follower ?stale', f1, '?stale']] as const) {
        saved.push({ how, s: await saveSnapshot(node, q) });
        const n = acked.length;
        await until('more writes after the snapshot', () => (acked.length >= n + 10 ? true : undefined), 30_000, 20);
      }
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    assert.deepEqual(unsure, [], 'every write was acknowledged');
    const leaderApplied = Number((await raftStats(leader))['applied_index']);

    for (const { how, s } of saved) {
      assert.ok(s.digest?.startsWith('sha-256='), `${how}: a Digest`);
      assert.equal(s.digest, `sha-256=${createHash('sha256').update(s.bytes).digest('base64')}`, `${how}: the Digest covers the bytes`);
      const { meta } = s;
      assert.ok(meta.Index > 0 && meta.Index <= leaderApplied, `${how}: meta Index ${meta.Index} ≤ the leader's applied index ${leaderApplied}`);
      assert.equal(meta.Size, s.stateBin.length);
      assert.match(meta.ID, new RegExp(`^${meta.Term}-${meta.Index}-\\d+$`));
      assert.deepEqual(
        meta.Configuration.Servers.map((x) => `${x.Suffrage}:${x.ID}@${x.Address}`).sort(),
        c.nodes.map((n) => `0:${ids.get(n.name)}@${n.rpcAddr}`).sort(),
        `${how}: the configuration`,
      );
      assert.ok(acked.some((a) => a.index <= meta.Index) && acked.some((a) => a.index > meta.Index), `${how}: taken in the middle of the writes`);

      const fsm = new Fsm();
      fsm.restore(s.stateBin);
      const inSnap = new Map(fsm.listVariables('conc/').map((v) => [v.Path, v]));
      for (const v of inSnap.values()) assert.ok(v.ModifyIndex <= meta.Index, `${how}: ${v.Path} ModifyIndex ${v.ModifyIndex} ≤ ${meta.Index}`);
      // Exactly the acknowledged writes at or below the point: per path the newest of them.
      const want = new Map<string, { index: number; value: string }>();
      for (const a of acked) if (a.index <= meta.Index && (want.get(a.path)?.index ?? 0) < a.index) want.set(a.path, a);
      assert.deepEqual([...inSnap.keys()].sort(), [...want.keys()].sort(), `${how}: the variables present`);
      for (const [p, w] of want) {
        assert.equal(inSnap.get(p)!.ModifyIndex, w.index, `${how}: ${p} at index ${w.index}`);
        assert.equal(fsm.variable(p)!.Items['v'], w.value, `${how}: ${p}'s value`);
      }
    }

    // Restore the first: every node ends with exactly its state, and reads show the point.
    const s0 = saved[0]!.s;
    const r = await call(leader, 'PUT', '/v1/operator/snapshot', s0.bytes);
    assert.equal(r.status, 200, r.text);
    // Every node converges; the objects are the snapshot's (the Index table is marked at the
    // restore entry, which keeps indexes growing: see clampIndexes in src/fsm/apply.ts).
    await waitConverged();
    const fsm = new Fsm();
    fsm.restore(s0.stateBin);
    const wantList = fsm.listVariables('conc/').map((v) => [v.Path, v.ModifyIndex]);
    for (const n of c.nodes) {
      const list = (await ok(n, 'GET', '/v1/vars?prefix=conc/&stale')).body as { Path: string; ModifyIndex: number }[];
      assert.deepEqual(list.map((v) => [v.Path, v.ModifyIndex]), wantList, `${n.name}'s variables after the restore`);
    }
    const after = acked.filter((a) => a.index > s0.meta.Index).at(-1)!;
    const v = await call(f1, 'GET', `/v1/var/${after.path}`);
    assert.ok(v.status === 404 || (v.status === 200 && (v.body as { Items: { v: string } }).Items.v !== after.value), `a write after the point is gone (${v.status} ${v.text})`);
  }));

test('a restore sent to a follower is streamed to the leader and every node converges to the restored state', () =>
  withLogs(async () => {
    const { leader, followers } = await leaderAndFollowers();
    const [f1, f2] = followers as [TestNode, TestNode];
    await ok(leader, 'PUT', '/v1/var/rf/a', { Items: { v: '1' } });
    await ok(leader, 'PUT', '/v1/var/rf/b', { Items: { v: '2' } });
    const a0 = (await ok(leader, 'GET', '/v1/var/rf/a')).body;
    const sched0 = (await ok(leader, 'GET', '/v1/operator/scheduler/configuration')).body as { SchedulerConfig: unknown };
    const ap0 = (await ok(leader, 'GET', '/v1/operator/autopilot/configuration')).body as Record<string, unknown>;
    const snap = await saveSnapshot(leader);
    const want = sha256(snap.stateBin);
    const termBefore = (await raftStats(leader))['term'];

    // Change everything the snapshot holds.
    await ok(f1, 'PUT', '/v1/var/rf/a', { Items: { v: 'changed' } });
    await ok(f1, 'DELETE', '/v1/var/rf/b');
    await ok(f2, 'PUT', '/v1/var/rf/c', { Items: { v: 'new' } });
    await ok(f2, 'PUT', '/v1/operator/scheduler/configuration', { SchedulerAlgorithm: 'spread' });
    await ok(f2, 'PUT', '/v1/operator/autopilot/configuration', { ...ap0, MaxTrailingLogs: 999 });
    const changed = await waitConverged();
    assert.notEqual(changed, want);

    const r = await streamedRestore(f1, snap.bytes);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '', 'an empty body');
    assert.equal(r.headers['content-type'], undefined, 'and no Content-Type');
    assert.deepEqual(Object.keys(r.headers).filter((k) => k.startsWith('x-nomad-')), []);

    const restored = await waitConverged();
    assert.notEqual(restored, changed, 'the state changed back');
    void want;
    assert.equal(await c.waitForLeader(), leader, 'the same leader');
    for (const n of c.nodes) assert.equal((await raftStats(n))['term'], termBefore, `${n.name}: the same term`);
    for (const n of c.nodes) {
      assert.deepEqual((await ok(n, 'GET', '/v1/var/rf/a?stale')).body, a0, `${n.name}: rf/a as in the snapshot`);
      assert.equal((await ok(n, 'GET', '/v1/var/rf/b?stale')).status, 200, `${n.name}: rf/b is back`);
      assert.equal((await call(n, 'GET', '/v1/var/rf/c?stale')).status, 404, `${n.name}: rf/c is gone`);
      assert.deepEqual(((await ok(n, 'GET', '/v1/operator/scheduler/configuration?stale')).body as { SchedulerConfig: unknown }).SchedulerConfig, sched0.SchedulerConfig);
      assert.deepEqual((await ok(n, 'GET', '/v1/operator/autopilot/configuration?stale')).body, ap0, `${n.name}: the autopilot config (Part A §9)`);
    }
    // The cluster writes on, through a follower, after the restore.
    const w = await ok(f2, 'PUT', '/v1/var/rf/after', { Items: { v: 'x' } });
    assert.ok((w.body as { ModifyIndex: number }).ModifyIndex > snap.meta.Index);
    await waitConverged();
  }));

test('refused restores (corrupt, truncated, unknown record type, gzip bomb, cut mid-stream) change nothing anywhere', () =>
  withLogs(async () => {
    const q = await quiet();
    const { leader } = q;
    const followers = c.nodes.filter((n) => n !== leader);
    const valid = await saveSnapshot(leader);
    assert.equal(sha256(valid.stateBin), q.fp);
    const PREFIX = 'failed to restore from snapshot: ';

    const cases: { what: string; body: Buffer; status: number; text: string | RegExp }[] = [
      { what: 'one byte of state.bin flipped', body: corrupted(valid.bytes), status: 500, text: `${PREFIX}failed to read snapshot file: failed checking integrity of snapshot: hash check failed for "state.bin"` },
      { what: 'the gzip stream cut in half', body: valid.bytes.subarray(0, valid.bytes.length >> 1), status: 500, text: new RegExp(`^${PREFIX}\\S`) },
      { what: 'the tar cut inside state.bin', body: truncatedTar(valid.bytes), status: 500, text: new RegExp(`^${PREFIX}\\S`) },
      { what: 'an unknown record type in state.bin', body: await withUnknownRecord(valid, 99), status: 500, text: `${PREFIX}Unrecognized snapshot type: [99]` },
      { what: 'a gzip bomb', body: await gzipBomb(32 * RESTORE_LIMIT), status: 413, text: /\S/ },
    ];
    assert.ok(cases[4]!.body.length < RESTORE_LIMIT / 8, `the bomb is small compressed (${cases[4]!.body.length} bytes)`);
    for (const k of cases) {
      for (const node of [leader, followers[0]!]) {
        const what = `${k.what} (sent to the ${node === leader ? 'leader' : 'follower'})`;
        const started = Date.now();
        const r = await call(node, 'PUT', '/v1/operator/snapshot', k.body);
        assert.equal(r.status, k.status, `${what}: ${r.text}`);
        assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8', `${what}: a plain-text error`);
        if (typeof k.text === 'string') assert.equal(r.text, k.text, what);
        else assert.match(r.text, k.text, what);
        assert.ok(Date.now() - started < 15_000, `${what}: answered promptly`);
        await assertUntouched(q, what);
      }
    }

    // A body cut off mid-stream: the socket goes away with half the archive sent.
    await cutRestore(leader, valid.bytes);
    await assertUntouched(q, 'a restore cut mid-stream (to the leader)');
    const follower = followers[1]!;
    await cutRestore(follower, valid.bytes);
    await assertUntouched(q, 'a restore cut mid-stream (to a follower)');
    // The follower dropped its forwarded request too: no connection to the leader stays pinned
    // with a half-read body (idle keep-alive ones close within the leader's 5 s keep-alive timeout).
    if (existsSync(`/proc/${follower.proc!.pid}/fd`)) {
      await until(`${follower.name} to hold no connection to the leader's HTTP port`, () => (openConnections(follower, leader) === 0 ? true : undefined), 15_000, 200);
    }

    // And the cluster still serves writes and a good restore afterwards.
    const w = await ok(followers[0]!, 'PUT', '/v1/var/refused/after', { Items: { v: 'ok' } });
    assert.ok((w.body as { ModifyIndex: number }).ModifyIndex > Number(q.lastIndex[0]));
    for (const n of c.nodes) await until(`${n.name} to see the write`, async () => ((await call(n, 'GET', '/v1/var/refused/after?stale')).status === 200 ? true : undefined));
    const good = await call(follower, 'PUT', '/v1/operator/snapshot', valid.bytes);
    assert.equal(good.status, 200, good.text);
    // Back to the snapshot's objects on every node (its Index table is marked at the restore entry).
    await waitConverged();
    for (const n of c.nodes) assert.equal((await call(n, 'GET', '/v1/var/refused/after?stale')).status, 404, `${n.name}: the write after the snapshot is gone`);
  }));
