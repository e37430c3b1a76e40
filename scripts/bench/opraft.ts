// A 3-node opraft cluster on loopback, run from the build (dist/, `node dist/src/cli/main.js agent`),
// not through tsx. Nomad's timing by default (raft_tick 100 ms: heartbeat 100 ms, elections after
// 1–2 s); `raftTick` gives the local profile's tick. LevelDB with synced batches (opraft's only mode).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchNode, type Cluster, KEYSPACE, type Workload, value100 } from './cluster.ts';
import { freePort, http, type Proc, spawnLogged, stop, until, killNode, restartDead } from './procs.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN_JS = path.join(ROOT, 'dist/src/cli/main.js');
const BIN = path.join(ROOT, 'bin/opraft');

export interface OpraftOptions {
  label: string;
  /** A Go duration, e.g. "100ms". */
  raftTick: string;
  /** Directory for `node --cpu-prof` output (one .cpuprofile per server process when it exits). */
  cpuProfDir?: string;
  /** Extra `server { }` lines (history run: snapshot threshold, trailing logs). */
  extraServerHcl?: string;
}

class OpraftNode implements BenchNode {
  proc: Proc | undefined;
  constructor(
    readonly name: string,
    readonly dir: string,
    readonly httpPort: number,
    readonly rpcPort: number,
  ) {}
  get dataDir(): string {
    return path.join(this.dir, 'data');
  }
  get rpcAddr(): string {
    return `127.0.0.1:${this.rpcPort}`;
  }
  pid(): number | undefined {
    return this.proc?.running() ? this.proc.pid : undefined;
  }
  running(): boolean {
    return this.proc?.running() ?? false;
  }
}

export class OpraftCluster implements Cluster {
  readonly nodes: OpraftNode[] = [];
  readonly info: Record<string, unknown>;
  readonly label: string;
  private constructor(
    readonly root: string,
    readonly opts: OpraftOptions,
  ) {
    this.label = opts.label;
    this.info = { raftTick: opts.raftTick, build: 'dist/src/cli/main.js', sync: 'LevelDB write batches with sync: true' };
  }

  static async create(opts: OpraftOptions, n = 3): Promise<OpraftCluster> {
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build (npm run bench does)`);
    const root = await mkdtemp(path.join(os.tmpdir(), `bench-${opts.label}-`));
    const c = new OpraftCluster(root, opts);
    for (let i = 0; i < n; i++) c.nodes.push(new OpraftNode(`s${i + 1}`, path.join(root, `s${i + 1}`), await freePort(), await freePort()));
    return c;
  }

  private hcl(node: OpraftNode): string {
    const join = this.nodes.filter((x) => x !== node).map((x) => `"${x.rpcAddr}"`);
    // Nomad's defaults except: loopback, warn-level logs (etcd runs at warn too), no per-client
    // HTTP connection limit (all load and the followers' forwarding come from 127.0.0.1), and no
    // dead-server cleanup (the failover trials restart the killed server).
    return `name = "${node.name}"
data_dir = "${node.dataDir}"
bind_addr = "127.0.0.1"
ports {
  http = ${node.httpPort}
  rpc = ${node.rpcPort}
}
raft_tick = "${this.opts.raftTick}"
log_level = "WARN"
log_json = true
server {
  enabled = true
  bootstrap_expect = ${this.nodes.length}
  server_join {
    retry_join = [${join.join(', ')}]
    retry_interval = "200ms"
  }
${this.opts.extraServerHcl ?? ''}
}
autopilot {
  cleanup_dead_servers = false
}
limits {
  http_max_conns_per_client = 0
}
`;
  }

  private async startNode(i: number): Promise<void> {
    const node = this.nodes[i]!;
    await mkdir(node.dir, { recursive: true });
    const cfg = path.join(node.dir, 'agent.hcl');
    await writeFile(cfg, this.hcl(node));
    // Started as operators start it: bin/opraft (its node flags) on the build, not through tsx.
    const env: NodeJS.ProcessEnv = { ...process.env, OPRAFT_USE_BUILD: '1' };
    if (this.opts.cpuProfDir) env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${this.opts.cpuProfDir} --cpu-prof-name=${this.label}-${node.name}-${Date.now()}.cpuprofile`;
    node.proc = spawnLogged(BIN, ['agent', '-config', cfg], path.join(node.dir, 'agent.log'), { cwd: ROOT, env });
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) await this.startNode(i);
    await this.waitHealthy(60_000);
  }

  url(i: number, p: string): string {
    return `http://127.0.0.1:${this.nodes[i]!.httpPort}${p}`;
  }

  private async leaderView(i: number): Promise<string | undefined> {
    if (!this.nodes[i]!.running()) return undefined;
    try {
      const r = await http('GET', this.url(i, '/v1/status/leader?stale'), undefined, 1000);
      return r.status === 200 && typeof r.body === 'string' && r.body ? r.body : undefined;
    } catch {
      return undefined;
    }
  }

  async leader(timeoutMs = 30_000): Promise<number> {
    return until(
      'an agreed opraft leader',
      async () => {
        const running = this.nodes.map((_, i) => i).filter((i) => this.nodes[i]!.running());
        const views = await Promise.all(running.map((i) => this.leaderView(i)));
        if (views.some((v) => v === undefined) || new Set(views).size !== 1) return undefined;
        const idx = this.nodes.findIndex((n) => n.rpcAddr === views[0]);
        return idx >= 0 && this.nodes[idx]!.running() ? idx : undefined;
      },
      timeoutMs,
      20,
    );
  }

  private async raftStats(i: number): Promise<Record<string, string> | undefined> {
    try {
      const r = await http('GET', this.url(i, '/v1/agent/self'), undefined, 1000);
      return r.status === 200 ? (r.body as { stats: { raft: Record<string, string> } }).stats.raft : undefined;
    } catch {
      return undefined;
    }
  }

  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await until(
      'a healthy opraft cluster',
      async () => {
        if (!this.nodes.every((n) => n.running())) return undefined;
        const views = await Promise.all(this.nodes.map((_, i) => this.leaderView(i)));
        if (views.some((v) => v === undefined) || new Set(views).size !== 1) return undefined;
        const stats = await Promise.all(this.nodes.map((_, i) => this.raftStats(i)));
        if (stats.some((s) => s === undefined)) return undefined;
        const top = Math.max(...stats.map((s) => Number(s!['commit_index'])));
        return stats.every((s) => Number(s!['applied_index']) >= top - 1) ? true : undefined;
      },
      timeoutMs,
      50,
    );
  }

  heal(): Promise<string[]> {
    return restartDead(this);
  }

  kill9(i: number): Promise<void> {
    return killNode(this.nodes[i]!);
  }

  async restart(i: number): Promise<void> {
    if (this.nodes[i]!.running()) throw new Error(`${this.nodes[i]!.name} is running`);
    await this.startNode(i);
  }

  async stop(graceful = false): Promise<void> {
    await Promise.all(this.nodes.map((n) => (n.proc ? stop(n.proc, graceful ? 'SIGTERM' : 'SIGKILL', 15_000) : undefined)));
  }

  async cleanup(): Promise<void> {
    if (!process.env.KEEP_BENCH_DATA) await rm(this.root, { recursive: true, force: true });
  }

  private varPut(): Workload {
    return { name: 'var-put', kind: 'write', method: 'PUT', path: (n) => `/v1/var/bench/${n % KEYSPACE}`, body: (n) => JSON.stringify({ Items: { v: value100(n) } }) };
  }

  writeWorkloads(): Workload[] {
    const algos = ['binpack', 'spread'];
    return [
      this.varPut(),
      {
        name: 'sched-put',
        kind: 'write',
        method: 'PUT',
        path: () => '/v1/operator/scheduler/configuration',
        // Alternating the algorithm makes every write a real change.
        body: (n) =>
          JSON.stringify({
            SchedulerAlgorithm: algos[n % 2],
            PreemptionConfig: { SystemSchedulerEnabled: true, SysBatchSchedulerEnabled: false, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: false },
            MemoryOversubscriptionEnabled: false,
          }),
      },
    ];
  }

  readWorkloads(): Workload[] {
    // No `stale`: a consistent read (ReadIndex through the leader).
    return [{ name: 'var-get', kind: 'read', method: 'GET', path: (n) => `/v1/var/bench/${n % KEYSPACE}`, body: () => undefined }];
  }

  failoverWrite(): Workload {
    return this.varPut();
  }
}
