// A 3-node etcd cluster on loopback (Debian's etcd-server 3.4), default timing (heartbeat 100 ms,
// election timeout 1000 ms), fsync on (etcd always syncs its WAL), talking JSON to its gRPC gateway.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BenchNode, type Cluster, KEYSPACE, type Workload, value100 } from './cluster.ts';
import { freePort, http, type Proc, spawnLogged, stop, until, killNode, restartDead } from './procs.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const aptGet = (args: string[]) => execFileSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env: APT_ENV });

/** The etcd binary; installs Debian's etcd-server (and etcd-client) with apt-get when missing. */
export function ensureEtcd(): string {
  const found = which('etcd');
  if (found) return found;
  console.log('bench: etcd not found, installing Debian etcd-server and etcd-client with apt-get');
  const install = ['install', '-y', '--no-install-recommends', 'etcd-server', 'etcd-client'];
  try {
    aptGet(install);
  } catch {
    aptGet(['update']); // a fresh machine may have no package lists yet
    aptGet(install);
  }
  // The package starts its own etcd service where no policy-rc.d forbids it; the harness runs
  // its own clusters and must not leave a daemon behind.
  try {
    execFileSync('invoke-rc.d', ['etcd', 'stop'], { stdio: 'ignore' });
  } catch {
    /* not started */
  }
  const bin = which('etcd');
  if (!bin) throw new Error('etcd still not on PATH after installing etcd-server');
  return bin;
}

export function etcdVersion(bin: string): string {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
    return /etcd Version: (\S+)/.exec(out)?.[1] ?? out.split('\n')[0]!;
  } catch {
    return 'unknown';
  }
}

class EtcdNode implements BenchNode {
  proc: Proc | undefined;
  constructor(
    readonly name: string,
    readonly dir: string,
    readonly httpPort: number,
    readonly peerPort: number,
  ) {}
  get dataDir(): string {
    return path.join(this.dir, 'data');
  }
  pid(): number | undefined {
    return this.proc?.running() ? this.proc.pid : undefined;
  }
  running(): boolean {
    return this.proc?.running() ?? false;
  }
}

export class EtcdCluster implements Cluster {
  readonly label = 'etcd';
  readonly nodes: EtcdNode[] = [];
  readonly info: Record<string, unknown>;
  private memberIds = new Map<string, number>(); // member id (decimal string) -> node index
  private constructor(
    readonly root: string,
    readonly bin: string,
  ) {
    this.info = { version: etcdVersion(bin), heartbeatMs: 100, electionMs: 1000, sync: 'WAL fdatasync per batch (always on in etcd)' };
  }

  static async create(bin: string, n = 3): Promise<EtcdCluster> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'bench-etcd-'));
    const c = new EtcdCluster(root, bin);
    for (let i = 0; i < n; i++) c.nodes.push(new EtcdNode(`e${i + 1}`, path.join(root, `e${i + 1}`), await freePort(), await freePort()));
    return c;
  }

  private args(node: EtcdNode): string[] {
    const initial = this.nodes.map((x) => `${x.name}=http://127.0.0.1:${x.peerPort}`).join(',');
    return [
      '--name', node.name,
      '--data-dir', node.dataDir,
      '--listen-client-urls', `http://127.0.0.1:${node.httpPort}`,
      '--advertise-client-urls', `http://127.0.0.1:${node.httpPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${node.peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${node.peerPort}`,
      '--initial-cluster', initial,
      '--initial-cluster-token', `bench-${path.basename(this.root)}`,
      '--initial-cluster-state', 'new',
      '--logger', 'zap',
      '--log-level', 'warn',
      // Defaults spelled out so the report shows what was compared.
      '--heartbeat-interval', '100',
      '--election-timeout', '1000',
    ];
  }

  private async startNode(i: number): Promise<void> {
    const node = this.nodes[i]!;
    await mkdir(node.dir, { recursive: true });
    // etcd 3.4 refuses to start on arm64 unless told; an empty value only draws a warning elsewhere.
    const env = process.arch === 'arm64' ? { ...process.env, ETCD_UNSUPPORTED_ARCH: 'arm64' } : process.env;
    node.proc = spawnLogged(this.bin, this.args(node), path.join(node.dir, 'etcd.log'), { env });
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) await this.startNode(i);
    await this.waitHealthy(60_000);
  }

  url(i: number, p: string): string {
    return `http://127.0.0.1:${this.nodes[i]!.httpPort}${p}`;
  }

  private async status(i: number): Promise<{ member: string; leader: string; raftIndex: number; raftApplied: number } | undefined> {
    if (!this.nodes[i]!.running()) return undefined;
    try {
      const r = await http('POST', this.url(i, '/v3/maintenance/status'), {}, 1000);
      if (r.status !== 200) return undefined;
      const b = r.body as { header: { member_id: string }; leader: string; raftIndex: string; raftAppliedIndex?: string };
      if (!b.leader || b.leader === '0') return undefined;
      this.memberIds.set(b.header.member_id, i);
      return { member: b.header.member_id, leader: b.leader, raftIndex: Number(b.raftIndex), raftApplied: Number(b.raftAppliedIndex ?? b.raftIndex) };
    } catch {
      return undefined;
    }
  }

  async leader(timeoutMs = 30_000): Promise<number> {
    return until(
      'an agreed etcd leader',
      async () => {
        const running = this.nodes.map((_, i) => i).filter((i) => this.nodes[i]!.running());
        const st = await Promise.all(running.map((i) => this.status(i)));
        if (st.some((s) => s === undefined)) return undefined;
        const leaders = new Set(st.map((s) => s!.leader));
        if (leaders.size !== 1) return undefined;
        const idx = this.memberIds.get([...leaders][0]!);
        return idx !== undefined && this.nodes[idx]!.running() ? idx : undefined;
      },
      timeoutMs,
      20,
    );
  }

  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await until(
      'a healthy etcd cluster',
      async () => {
        if (!this.nodes.every((n) => n.running())) return undefined;
        const st = await Promise.all(this.nodes.map((_, i) => this.status(i)));
        if (st.some((s) => s === undefined)) return undefined;
        if (new Set(st.map((s) => s!.leader)).size !== 1) return undefined;
        const top = Math.max(...st.map((s) => s!.raftIndex));
        return st.every((s) => s!.raftApplied >= top - 1) ? true : undefined;
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
    if (!existsSync(this.nodes[i]!.dataDir)) throw new Error(`${this.nodes[i]!.name} has no data dir`);
    await this.startNode(i);
  }

  async stop(graceful = false): Promise<void> {
    await Promise.all(this.nodes.map((n) => (n.proc ? stop(n.proc, graceful ? 'SIGTERM' : 'SIGKILL') : undefined)));
  }

  async cleanup(): Promise<void> {
    if (!process.env.KEEP_BENCH_DATA) await rm(this.root, { recursive: true, force: true });
  }

  private put(keyspace = KEYSPACE): Workload {
    return {
      name: 'kv-put',
      kind: 'write',
      method: 'POST',
      path: () => '/v3/kv/put',
      body: (n) => JSON.stringify({ key: b64(`bench/${n % keyspace}`), value: b64(value100(n)) }),
    };
  }

  writeWorkloads(): Workload[] {
    return [this.put()];
  }

  readWorkloads(keyspace = KEYSPACE): Workload[] {
    // A range without serializable=true is linearizable (ReadIndex through the leader).
    return [{ name: 'kv-range', kind: 'read', method: 'POST', path: () => '/v3/kv/range', body: (n) => JSON.stringify({ key: b64(`bench/${n % keyspace}`) }) }];
  }

  failoverWrite(): Workload {
    return this.put();
  }
}
