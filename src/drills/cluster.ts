// The drills' local-cluster controller: real `bin/opraft agent` processes on free loopback ports,
// one directory each under a root (a temporary one, or --data-dir), HCL written per node with the
// local timing the drills use; kill -9 / SIGTERM / restart by PID. Every process it starts is
// stopped when the drill ends, also on failure and on Ctrl-C (see trackProcesses).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Fatal, getJson, sleep, until } from './http.ts';

const BIN = fileURLToPath(new URL('../../bin/opraft', import.meta.url));

/** Every child of this process, so an exit (normal, error or signal) can stop them by PID. */
const live = new Set<ChildProcess>();
let hooked = false;
function trackProcesses(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const p of live) if (p.pid && p.exitCode === null && p.signalCode === null) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  });
  const onSignal = (sig: NodeJS.Signals) => {
    process.stderr.write(`opraft drill: ${sig}, stopping ${live.size} server(s)\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143); // the exit hook kills them
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
}

const handedOut = new Set<number>();

/**
 * A port nobody listens on, picked at random below the kernel's ephemeral range (32768 and up on
 * Linux), so that the drills' own outgoing connections (and other tests using port 0) never take
 * it between the check and the server's listen; never the same port twice in one process.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (ok) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found between 20000 and 32000');
}

async function portFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Where a drill's servers listen. Without a base port: free ports (freePort). With `--base-port P`:
 * the k-th server the drill creates (over all its clusters, 1-based) gets HTTP P+10(k−1) and RPC
 * P+1+10(k−1), as `opraft cluster` numbers node k; a port already in use is an error.
 */
export class PortPlan {
  private taken = 0;
  constructor(readonly base?: number) {}
  async take(): Promise<{ http: number; rpc: number }> {
    if (this.base === undefined) return { http: await freePort(), rpc: await freePort() };
    const http = this.base + 10 * this.taken++;
    const rpc = http + 1;
    if (rpc > 65535) throw new Error(`--base-port ${this.base}: server ${this.taken} would need port ${rpc} (> 65535)`);
    for (const p of [http, rpc]) if (!(await portFree(p))) throw new Error(`--base-port ${this.base}: port ${p} (server ${this.taken}) is already in use; choose another --base-port`);
    return { http, rpc };
  }
}

/** The autopilot settings a drill runs with (agent HCL; the first leader writes them once). */
export interface AutopilotSettings {
  cleanupDeadServers: boolean;
  lastContactThreshold: string;
  serverStabilizationTime: string;
  minQuorum: number;
  maxTrailingLogs: number;
  updateInterval: string;
  reconcileInterval: string;
}

export const DRILL_AUTOPILOT: AutopilotSettings = {
  cleanupDeadServers: false,
  lastContactThreshold: '200ms',
  serverStabilizationTime: '1s',
  minQuorum: 0,
  maxTrailingLogs: 250,
  updateInterval: '200ms',
  reconcileInterval: '500ms',
};

// 50 ms: twice the test default, so a loaded 2-core machine does not break the 250 ms leader lease
// (at 25 ms, CI saw spurious leader changes mid-drill); elections still take well under a second.
export const RAFT_TICK = '50ms';

export interface NodeSpec {
  name: string;
  httpPort: number;
  rpcPort: number;
  /** The RPC address other servers dial (default 127.0.0.1:rpcPort); set when a proxy stands in front. */
  advertiseRpc?: string;
  bootstrapExpect: number;
  retryJoin: string[];
}

export class DrillNode {
  proc: ChildProcess | undefined;
  starts = 0;
  constructor(
    readonly cluster: LocalCluster,
    public spec: NodeSpec,
    readonly dir: string,
  ) {}

  get name(): string {
    return this.spec.name;
  }
  get dataDir(): string {
    return path.join(this.dir, 'data');
  }
  get raftDir(): string {
    return path.join(this.dataDir, 'server', 'raft');
  }
  /** The Raft/RPC address in the configuration (what peers.json names). */
  get rpcAddr(): string {
    return this.spec.advertiseRpc ?? `127.0.0.1:${this.spec.rpcPort}`;
  }
  get httpAddr(): string {
    return `http://127.0.0.1:${this.spec.httpPort}`;
  }
  get logFile(): string {
    return path.join(this.dir, 'agent.log');
  }
  get pid(): number | undefined {
    return this.proc?.pid;
  }
  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  configHcl(): string {
    const s = this.spec;
    const ap = this.cluster.autopilot;
    return `# Written by 'opraft drill' before each start of this server.
name      = "${s.name}"
data_dir  = "${this.dataDir}"
bind_addr = "127.0.0.1"
ports {
  http = ${s.httpPort}
  rpc  = ${s.rpcPort}
}
${s.advertiseRpc ? `advertise {\n  rpc = "${s.advertiseRpc}"\n}\n` : ''}raft_tick = "${RAFT_TICK}"
log_level = "INFO"
log_json  = true
server {
  enabled                 = true
  bootstrap_expect        = ${s.bootstrapExpect}
  failure_timeout         = "1s"
  raft_snapshot_threshold = 200
  raft_trailing_logs      = 100
  server_join {
    retry_join     = [${s.retryJoin.map((a) => `"${a}"`).join(', ')}]
    retry_interval = "200ms"
  }
}
autopilot {
  cleanup_dead_servers      = ${ap.cleanupDeadServers}
  last_contact_threshold    = "${ap.lastContactThreshold}"
  server_stabilization_time = "${ap.serverStabilizationTime}"
  max_trailing_logs         = ${ap.maxTrailingLogs}
  min_quorum                = ${ap.minQuorum}
  update_interval           = "${ap.updateInterval}"
  reconcile_interval        = "${ap.reconcileInterval}"
}
`;
  }

  /** Writes the HCL and starts `opraft agent` in its own process group; does not wait. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    trackProcesses();
    await mkdir(this.dir, { recursive: true });
    const cfg = path.join(this.dir, 'agent.hcl');
    await writeFile(cfg, this.configHcl());
    // The log file is the server's stdout/stderr (no pipe through the drill), so a server kept
    // running with --keep goes on logging after the drill has exited.
    const log = openSync(this.logFile, 'a');
    let proc: ChildProcess;
    try {
      proc = spawn(BIN, ['agent', '-config', cfg], { stdio: ['ignore', log, log], detached: true, env: { ...process.env, ...this.cluster.env } });
    } finally {
      closeSync(log);
    }
    live.add(proc);
    proc.on('exit', () => live.delete(proc));
    this.proc = proc;
    this.starts++;
    this.cluster.note(`started ${this.name} (pid ${proc.pid}, http ${this.spec.httpPort}, rpc ${this.rpcAddr})`);
  }

  /** Resolves when the server answers /v1/agent/self; fails at once if the process exits. */
  async waitUp(timeoutMs = 40_000): Promise<void> {
    await until(`${this.name} to answer HTTP`, async () => {
      if (!this.running) throw new Fatal(`${this.name} exited (${this.proc?.exitCode ?? this.proc?.signalCode}) before answering HTTP; see ${this.logFile}`);
      const r = await getJson(this, '/v1/agent/self', 1000).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    }, timeoutMs);
  }

  /** Sends a signal by PID and waits for the exit (SIGKILL after graceMs). */
  async signal(sig: NodeJS.Signals, graceMs = 15_000, quiet = false): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    try {
      process.kill(proc.pid!, sig);
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => this.running && proc.pid && process.kill(proc.pid, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
    if (!quiet) this.cluster.note(`${sig === 'SIGKILL' ? 'killed' : 'stopped'} ${this.name} (pid ${proc.pid}, ${sig})`);
  }
  kill9(): Promise<void> {
    return this.signal('SIGKILL');
  }
  term(): Promise<void> {
    return this.signal('SIGTERM');
  }
  async restart(): Promise<void> {
    if (this.running) await this.term();
    await this.start();
    await this.waitUp();
  }

  /** `<data_dir>/server/node-id`, the server's Raft ID. */
  async nodeId(): Promise<string> {
    return until(`${this.name}'s node-id`, async () => (await readFile(path.join(this.dataDir, 'server', 'node-id'), 'utf8')).trim() || undefined, 20_000);
  }

  async wipeData(): Promise<void> {
    await rm(this.dataDir, { recursive: true, force: true });
    this.cluster.note(`deleted the data directory of ${this.name} (${this.dataDir})`);
  }

  /** --keep: no longer stopped when the drill exits; the drill may exit while it runs on. */
  release(): void {
    if (!this.proc) return;
    live.delete(this.proc);
    this.proc.unref();
  }
}

/** A server left running by --keep. */
export interface KeptServer {
  name: string;
  pid: number;
  http: string;
  rpc: string;
  log: string;
}

export class LocalCluster {
  readonly nodes: DrillNode[] = [];
  autopilot: AutopilotSettings;
  env: Record<string, string> = {};
  private counter = 0;
  constructor(
    readonly root: string,
    autopilot: Partial<AutopilotSettings>,
    readonly note: (text: string) => void,
    readonly label = 'node',
    readonly ports: PortPlan = new PortPlan(),
  ) {
    this.autopilot = { ...DRILL_AUTOPILOT, ...autopilot };
  }

  /** Creates n servers that bootstrap together (bootstrap_expect = n, retry_join the others). */
  async create(n: number, opts: { advertise?: (i: number) => Promise<string> } = {}): Promise<DrillNode[]> {
    const specs: NodeSpec[] = [];
    for (let i = 0; i < n; i++) {
      const name = `${this.label}-${++this.counter}`;
      const { http: httpPort, rpc: rpcPort } = await this.ports.take();
      specs.push({ name, httpPort, rpcPort, bootstrapExpect: n, retryJoin: [], ...(opts.advertise ? { advertiseRpc: await opts.advertise(i) } : {}) });
    }
    const addr = (s: NodeSpec) => s.advertiseRpc ?? `127.0.0.1:${s.rpcPort}`;
    for (const s of specs) s.retryJoin = specs.filter((o) => o !== s).map(addr);
    const made = specs.map((s) => new DrillNode(this, s, path.join(this.root, s.name)));
    this.nodes.push(...made);
    return made;
  }

  /** A fresh server (empty data, bootstrap_expect 0) that joins the running ones through retry_join. */
  async addJoiner(spec: Partial<NodeSpec> = {}): Promise<DrillNode> {
    const name = spec.name ?? `${this.label}-${++this.counter}`;
    const ports = spec.httpPort === undefined || spec.rpcPort === undefined ? await this.ports.take() : { http: spec.httpPort, rpc: spec.rpcPort };
    const full: NodeSpec = {
      name,
      httpPort: spec.httpPort ?? ports.http,
      rpcPort: spec.rpcPort ?? ports.rpc,
      bootstrapExpect: spec.bootstrapExpect ?? 0,
      retryJoin: spec.retryJoin ?? this.running().map((n) => n.rpcAddr),
      ...(spec.advertiseRpc ? { advertiseRpc: spec.advertiseRpc } : {}),
    };
    const node = new DrillNode(this, full, path.join(this.root, `${name}${this.nodes.some((n) => n.name === name) ? `-r${this.counter}` : ''}`));
    this.nodes.push(node);
    return node;
  }

  /** Starts the given servers together and waits for each to answer HTTP. */
  async startAll(nodes: DrillNode[] = this.nodes): Promise<void> {
    for (const n of nodes) if (!n.running) await n.start();
    await Promise.all(nodes.map((n) => n.waitUp()));
  }

  running(): DrillNode[] {
    return this.nodes.filter((n) => n.running);
  }

  byAddr(addr: string): DrillNode | undefined {
    return this.nodes.find((n) => n.rpcAddr === addr && n.running) ?? this.nodes.find((n) => n.rpcAddr === addr);
  }

  /** The leader all of `among` agree on (their stale views), once there is one. */
  async waitForLeader(among: DrillNode[] = this.running(), timeoutMs = 20_000, what = 'a leader every running server agrees on'): Promise<DrillNode> {
    return until(
      what,
      async () => {
        const gone = among.find((n) => !n.running);
        if (gone) throw new Fatal(`${gone.name} exited while waiting for a leader; see ${gone.logFile}`);
        const views = await Promise.all(among.map((n) => getJson(n, '/v1/status/leader?stale', 1000).catch(() => undefined)));
        const addrs = new Set(views.map((v) => (v && v.status === 200 ? (v.body as string) : '')));
        if (addrs.size !== 1) return undefined;
        const [addr] = [...addrs];
        if (!addr) return undefined;
        const node = this.nodes.find((n) => n.rpcAddr === addr && n.running);
        return node && among.includes(node) ? node : undefined;
      },
      timeoutMs,
    );
  }

  /** Called by boot() once the servers have a leader (the compose driver applies the drill's autopilot settings). */
  async afterBoot(_leader: DrillNode): Promise<void> {}

  /** --keep: the running servers stay up after the drill (not stopped on exit); returns where they are. */
  release(): KeptServer[] {
    return this.running().map((n) => {
      n.release();
      return { name: n.name, pid: n.pid!, http: n.httpAddr, rpc: n.rpcAddr, log: n.logFile };
    });
  }

  /** Stops every server by PID (SIGKILL) and removes the data unless keep. */
  async destroy(keep: boolean): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.signal('SIGKILL', 5000, true).catch(() => undefined)));
    if (!keep) await rm(this.root, { recursive: true, force: true }).catch(() => undefined);
  }

  /** The tail of every server's log (for a failed drill). */
  async logTails(lines = 15): Promise<string> {
    const parts = await Promise.all(
      this.nodes.map(async (n) => {
        const text = await readFile(n.logFile, 'utf8').catch(() => '');
        return `--- ${n.name} (${n.logFile})\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`;
      }),
    );
    return parts.join('\n');
  }
}

export { Fatal, sleep };
