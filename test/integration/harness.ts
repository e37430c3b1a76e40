// Real opraft server processes on loopback for integration tests: free ports, temporary data
// directories, logs captured per node, and every process stopped by its PID (also on failure).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/opraft', import.meta.url));
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) if (p.pid && p.exitCode === null) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(stepMs);
  }
}

export interface NodeOptions {
  expect: number;
  join: string[];
  extraServerHcl?: string;
  extraHcl?: string;
  env?: Record<string, string>;
  /** The agent's raft_tick (a Go duration); default "25ms". */
  raftTick?: string;
  /** raft_snapshot_threshold; default 200 (snapshots and compaction happen in every test). */
  snapshotThreshold?: number;
}

export class TestNode {
  proc: ChildProcess | undefined;
  private logStream: WriteStream | undefined;
  exits: { code: number | null; signal: NodeJS.Signals | null }[] = [];
  constructor(
    readonly name: string,
    readonly dir: string,
    readonly httpPort: number,
    readonly rpcPort: number,
    public opts: NodeOptions,
  ) {}

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }
  get rpcAddr(): string {
    return `127.0.0.1:${this.rpcPort}`;
  }
  get logFile(): string {
    return path.join(this.dir, 'agent.log');
  }
  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  configHcl(): string {
    const o = this.opts;
    return `name = "${this.name}"
data_dir = "${this.dataDir}"
bind_addr = "127.0.0.1"
ports {
  http = ${this.httpPort}
  rpc = ${this.rpcPort}
}
raft_tick = "${o.raftTick ?? '25ms'}"
log_level = "DEBUG"
log_json = true
server {
  enabled = true
  bootstrap_expect = ${o.expect}
  failure_timeout = "1s"
  raft_snapshot_threshold = ${o.snapshotThreshold ?? 200}
  raft_trailing_logs = 50
  server_join {
    retry_join = [${o.join.map((a) => `"${a}"`).join(', ')}]
    retry_interval = "200ms"
  }
${o.extraServerHcl ?? ''}
}
${o.extraHcl ?? ''}
`;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    await mkdir(this.dir, { recursive: true });
    const cfg = path.join(this.dir, 'agent.hcl');
    await writeFile(cfg, this.configHcl());
    this.logStream = createWriteStream(this.logFile, { flags: 'a' });
    const proc = spawn(BIN, ['agent', '-config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.opts.env } });
    proc.stdout!.pipe(this.logStream, { end: false });
    proc.stderr!.pipe(this.logStream, { end: false });
    live.add(proc);
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      this.exits.push({ code, signal });
    });
    this.proc = proc;
  }

  /** Sends a signal by PID and waits for the process to exit. */
  async signal(sig: NodeJS.Signals, timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const proc = this.proc;
    if (!proc || !this.running) return { code: proc?.exitCode ?? null, signal: proc?.signalCode ?? null };
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    process.kill(proc.pid!, sig);
    const t = setTimeout(() => proc.pid && proc.exitCode === null && process.kill(proc.pid, 'SIGKILL'), timeoutMs);
    const res = await exited;
    clearTimeout(t);
    return res;
  }

  kill9(): Promise<unknown> {
    return this.signal('SIGKILL');
  }

  /** Waits for the process to exit on its own (start-up failures). */
  async waitExit(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const proc = this.proc!;
    if (!this.running) return { code: proc.exitCode, signal: proc.signalCode };
    return until(`${this.name} to exit`, () => (this.running ? undefined : { code: proc.exitCode, signal: proc.signalCode }), timeoutMs);
  }

  async log(): Promise<string> {
    try {
      return await readFile(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  url(p: string): string {
    return `http://127.0.0.1:${this.httpPort}${p}`;
  }

  async get(p: string): Promise<{ status: number; body: unknown; text: string }> {
    return this.req('GET', p);
  }

  async req(method: string, p: string, body?: unknown): Promise<{ status: number; body: unknown; text: string }> {
    const r = await fetch(this.url(p), { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
    const text = await r.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: r.status, body: parsed, text };
  }
}

export interface RaftServer {
  ID: string;
  Node: string;
  Address: string;
  Leader: boolean;
  Voter: boolean;
  RaftProtocol: string;
}

export class TestCluster {
  readonly nodes: TestNode[] = [];
  private constructor(readonly root: string) {}

  /** Creates (does not start) n nodes that know each other through retry_join. */
  static async create(n: number, opts: Partial<NodeOptions> = {}): Promise<TestCluster> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'opraft-it-'));
    const c = new TestCluster(root);
    const ports: { http: number; rpc: number }[] = [];
    for (let i = 0; i < n; i++) ports.push({ http: await freePort(), rpc: await freePort() });
    for (let i = 0; i < n; i++) {
      const join = ports.filter((_, j) => j !== i).map((p) => `127.0.0.1:${p.rpc}`);
      c.nodes.push(new TestNode(`s${i + 1}`, path.join(root, `s${i + 1}`), ports[i]!.http, ports[i]!.rpc, { expect: n, join, ...opts }));
    }
    return c;
  }

  /** Adds a node that joins the others through retry_join. */
  async addNode(opts: Partial<NodeOptions> = {}): Promise<TestNode> {
    const i = this.nodes.length;
    const node = new TestNode(`s${i + 1}`, path.join(this.root, `s${i + 1}`), await freePort(), await freePort(), {
      expect: 0,
      join: this.nodes.map((n) => n.rpcAddr),
      ...opts,
    });
    this.nodes.push(node);
    return node;
  }

  async startAll(): Promise<void> {
    for (const n of this.nodes) if (!n.running) await n.start();
  }

  running(): TestNode[] {
    return this.nodes.filter((n) => n.running);
  }

  /** The node every running node agrees is the leader (by stale local views). */
  async waitForLeader(timeoutMs = 20_000, among: TestNode[] = this.running()): Promise<TestNode> {
    return until(
      'a leader all running nodes agree on',
      async () => {
        const views = await Promise.all(among.map((n) => n.get('/v1/status/leader?stale').catch(() => undefined)));
        const addrs = new Set(views.map((v) => (v && v.status === 200 ? (v.body as string) : '')));
        if (addrs.size !== 1) return undefined;
        const [addr] = [...addrs];
        if (!addr) return undefined;
        return this.nodes.find((n) => n.rpcAddr === addr && n.running);
      },
      timeoutMs,
    );
  }

  async raftConfig(via: TestNode): Promise<{ Servers: RaftServer[]; Index: number }> {
    const r = await via.get('/v1/operator/raft/configuration');
    if (r.status !== 200) throw new Error(`raft configuration: ${r.status} ${r.text}`);
    return r.body as { Servers: RaftServer[]; Index: number };
  }

  /** Stops every process by PID (SIGKILL), then removes the data unless asked to keep it or KEEP_TEST_DATA is set. */
  async destroy(keepData = false): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.signal('SIGKILL').catch(() => undefined)));
    if (!keepData && !process.env.KEEP_TEST_DATA) await rm(this.root, { recursive: true, force: true });
  }

  /** Tails of every node's log, for a failing test's message. */
  async logs(lines = 30): Promise<string> {
    const parts = await Promise.all(this.nodes.map(async (n) => `--- ${n.name}\n${(await n.log()).split('\n').slice(-lines).join('\n')}`));
    return parts.join('\n');
  }
}

// ------------------------------------------------------------------ helpers the tests share

/** The server's node ID from `<data_dir>/server/node-id` (waits for a starting server to write it). */
export async function nodeId(n: TestNode): Promise<string> {
  return until(`${n.name}'s node-id file`, async () => (await readFile(path.join(n.dataDir, 'server', 'node-id'), 'utf8')).trim() || undefined);
}

/** The node's log as JSON records (lines that are not JSON are skipped). */
export async function logRecords(n: TestNode): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const line of (await n.log()).split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* a torn last line */
    }
  }
  return out;
}

/** How many log records contain `msg` in their message. */
export async function countLog(n: TestNode, msg: string): Promise<number> {
  return (await logRecords(n)).filter((r) => typeof r.msg === 'string' && r.msg.includes(msg)).length;
}

/** Waits until the node answers HTTP (it may have no leader); fails at once if it exits. */
export async function waitUp(n: TestNode, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!n.running) throw new Error(`${n.name} exited (${JSON.stringify(n.exits.at(-1))}) before answering HTTP`);
    const ok = await n.get('/v1/agent/self').then((r) => r.status === 200, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${n.name} to answer HTTP`);
    await sleep(100);
  }
}

/** `stats.raft` of /v1/agent/self. */
export async function raftStats(n: TestNode): Promise<Record<string, string>> {
  const r = await n.get('/v1/agent/self');
  assert.equal(r.status, 200, r.text);
  return (r.body as { stats: { raft: Record<string, string> } }).stats.raft;
}

/** The node's own view of the Raft configuration (`?stale`). */
export async function staleConfig(n: TestNode): Promise<{ Servers: RaftServer[]; Index: number }> {
  const r = await n.get('/v1/operator/raft/configuration?stale');
  assert.equal(r.status, 200, r.text);
  return r.body as { Servers: RaftServer[]; Index: number };
}

/** The configuration as a comparable list: "id address voter", sorted. */
export function configShape(c: { Servers: RaftServer[] }): string[] {
  return c.Servers.map((s) => `${s.ID} ${s.Address} ${s.Voter ? 'voter' : 'nonvoter'}`).sort();
}

/** c.waitForLeader among `nodes`, failing at once when one of them exits (a failed start). */
export async function waitLeader(c: TestCluster, nodes: TestNode[], timeoutMs = 30_000): Promise<TestNode> {
  let done = false;
  const watch = (async () => {
    while (!done) {
      const gone = nodes.find((n) => !n.running);
      if (gone) throw new Error(`${gone.name} exited (${JSON.stringify(gone.exits.at(-1))}) while waiting for a leader`);
      await sleep(100);
    }
    return undefined as never;
  })();
  const leader = c.waitForLeader(timeoutMs, nodes);
  leader.catch(() => undefined); // still polling when the watch fails first
  try {
    return await Promise.race([leader, watch]);
  } finally {
    done = true;
    await watch.catch(() => undefined);
  }
}
