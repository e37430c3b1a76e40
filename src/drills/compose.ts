// The drills' second cluster driver, `--compose`: the servers are the services of the docker
// compose cluster (docker-compose.yml: server-1 … server-N), already up (`docker compose up -d`).
// kill -9 → `docker compose kill -s SIGKILL server-N`, SIGTERM → `docker compose stop server-N`,
// start → `docker compose start server-N`; HTTP at the published ports that `docker compose config`
// names (`docker-compose` when the `compose` plugin is missing). Each server's RPC address and node
// ID come from its /v1/agent/self. Drills that need the servers' files (peers.json, wiping data) or
// brand-new servers do not run here (index.ts: COMPOSE_UNSUPPORTED).
import { execFile } from 'node:child_process';
import { DrillNode, LocalCluster, type AutopilotSettings, type KeptServer } from './cluster.ts';
import { getJson, request, until } from './http.ts';

export interface ComposeOptions {
  /** The compose file (`-f`); default: compose's own lookup (docker-compose.yml in the current directory). */
  file?: string;
  /** Host of the published ports; default $OPRAFT_COMPOSE_HOST, else the port's host_ip, else 127.0.0.1. */
  host?: string;
}

/** The server's HTTP port inside the container (compose/server-N/server.hcl: ports.http). */
const CONTAINER_HTTP = 4646;

function run(cmd: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; out: string; err: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (e, out, err) => {
      // exit status in e.code (a number); 'ENOENT' when the command is not there; a timeout kills it
      const c = (e as { code?: unknown } | null)?.code;
      resolve({ code: e ? (typeof c === 'number' ? c : 127) : 0, out: String(out), err: String(err) || (e ? e.message : ''), missing: c === 'ENOENT' });
    });
  });
}

function parseJson(text: string): object | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `docker compose …` or `docker-compose …`, whichever works (found by the first `config`). */
export class Compose {
  private flavour: { cmd: string; pre: string[] } | undefined;
  constructor(readonly opts: ComposeOptions) {}

  private fileArgs(): string[] {
    return this.opts.file ? ['-f', this.opts.file] : [];
  }

  get commandLine(): string {
    const f = this.flavour ?? { cmd: 'docker', pre: ['compose'] };
    return [f.cmd, ...f.pre, ...this.fileArgs()].join(' ');
  }

  /** The normalised compose configuration, as an object. */
  async config(): Promise<{ services?: Record<string, { ports?: unknown[] }> }> {
    const tried: string[] = [];
    for (const f of [{ cmd: 'docker', pre: ['compose'] }, { cmd: 'docker-compose', pre: [] }]) {
      const base = [...f.pre, ...this.fileArgs(), 'config'];
      const j = await run(f.cmd, [...base, '--format', 'json']);
      if (j.code === 0) {
        // (a docker CLI without the compose plugin may print "unknown command" and still exit 0)
        const parsed = parseJson(j.out);
        if (parsed) {
          this.flavour = f;
          return parsed as never;
        }
        j.err ||= 'no JSON on stdout';
      }
      tried.push(`${[f.cmd, ...base, '--format', 'json'].join(' ')}: ${j.missing ? 'not found' : j.err.trim().split('\n')[0]}`);
      if (f.cmd === 'docker-compose' && !j.missing) {
        // docker-compose 1.x has no --format: YAML (the `yaml` package, a dev dependency).
        const y = await run(f.cmd, base);
        if (y.code === 0) {
          this.flavour = f;
          const { parse } = await import('yaml');
          return parse(y.out) as never;
        }
        tried.push(`${[f.cmd, ...base].join(' ')}: ${y.err.trim().split('\n')[0]}`);
      }
    }
    throw new Error(`--compose: cannot read the compose configuration:\n  ${tried.join('\n  ')}`);
  }

  /** Runs one compose command (e.g. ['kill', '-s', 'SIGKILL', 'server-1']); throws on failure. */
  async exec(args: string[]): Promise<void> {
    if (!this.flavour) await this.config();
    const f = this.flavour!;
    const r = await run(f.cmd, [...f.pre, ...this.fileArgs(), ...args]);
    if (r.code !== 0) throw new Error(`${this.commandLine} ${args.join(' ')} failed (exit ${r.code}): ${r.err.trim()}`);
  }
}

/** The published host port (and host_ip) of the container's HTTP port, from a normalised `ports` list. */
export function publishedHttp(ports: unknown[] | undefined): { port: number; hostIp?: string } | undefined {
  const all: { target: number; port: number; hostIp?: string }[] = [];
  for (const p of ports ?? []) {
    if (typeof p === 'string' || typeof p === 'number') {
      // short syntax: [host_ip:]published:target[/proto]
      const parts = String(p).split('/')[0]!.split(':');
      if (parts.length < 2) continue;
      const target = Number(parts.at(-1));
      const port = Number(parts.at(-2));
      const hostIp = parts.length > 2 ? parts.slice(0, -2).join(':') : undefined;
      if (port) all.push({ target, port, ...(hostIp ? { hostIp } : {}) });
    } else if (p && typeof p === 'object') {
      const o = p as { target?: unknown; published?: unknown; host_ip?: unknown };
      const port = Number(o.published);
      if (port) all.push({ target: Number(o.target), port, ...(typeof o.host_ip === 'string' && o.host_ip ? { hostIp: o.host_ip } : {}) });
    }
  }
  const m = all.find((x) => x.target === CONTAINER_HTTP) ?? (all.length === 1 ? all[0] : undefined);
  return m && { port: m.port, ...(m.hostIp ? { hostIp: m.hostIp } : {}) };
}

export class ComposeNode extends DrillNode {
  up = true; // the compose cluster is up when the drill begins (checked by waitUp)
  id: string | undefined;
  constructor(
    override readonly cluster: ComposeCluster,
    name: string,
    private readonly http: string,
  ) {
    super(cluster, { name, httpPort: 0, rpcPort: 0, bootstrapExpect: 0, retryJoin: [] }, '');
  }

  override get httpAddr(): string {
    return this.http;
  }
  override get running(): boolean {
    return this.up;
  }
  override get logFile(): string {
    return `\`${this.cluster.compose.commandLine} logs ${this.name}\``;
  }

  override async start(): Promise<void> {
    if (this.up) throw new Error(`${this.name} is already running`);
    await this.cluster.compose.exec(['start', this.name]);
    this.up = true;
    this.starts++;
    this.cluster.note(`started ${this.name} (docker compose start ${this.name}; http ${this.http})`);
  }

  /** The server's RPC address and node ID from /v1/agent/self (member tags). */
  private async self(timeoutMs: number): Promise<void> {
    const r = await getJson(this, '/v1/agent/self', timeoutMs);
    if (r.status !== 200) throw new Error(`${this.name} /v1/agent/self: ${r.status}`);
    const tags = (r.body as { member?: { Tags?: Record<string, string> } }).member?.Tags ?? {};
    if (tags.rpc_addr && tags.port) this.spec.advertiseRpc = `${tags.rpc_addr}:${tags.port}`;
    if (tags.id) this.id = tags.id;
  }

  override async waitUp(timeoutMs = 60_000): Promise<void> {
    await until(`${this.name} to answer HTTP at ${this.http} (is the compose cluster up? docker compose up -d)`, async () => {
      await this.self(1000);
      return true;
    }, timeoutMs, 200);
  }

  override async signal(sig: NodeJS.Signals, _graceMs = 15_000, quiet = false): Promise<void> {
    if (!this.up) return;
    // `stop` sends the image's stop signal (SIGTERM) and waits (10 s, then SIGKILL), as the local driver does.
    await this.cluster.compose.exec(sig === 'SIGTERM' ? ['stop', this.name] : ['kill', '-s', sig, this.name]);
    this.up = false;
    if (!quiet) this.cluster.note(`${sig === 'SIGKILL' ? 'killed' : 'stopped'} ${this.name} (docker compose ${sig === 'SIGTERM' ? 'stop' : `kill -s ${sig}`} ${this.name})`);
  }

  override async nodeId(): Promise<string> {
    if (!this.id) await until(`${this.name}'s node ID (/v1/agent/self)`, async () => (await this.self(2000), this.id), 20_000);
    return this.id!;
  }

  override async wipeData(): Promise<void> {
    throw new Error(`--compose: deleting ${this.name}'s data is not done by the drill (docker compose rm -sf ${this.name} && docker volume rm <project>_${this.name}-data)`);
  }

  override release(): void {}
}

export class ComposeCluster extends LocalCluster {
  readonly compose: Compose;
  private services: { name: string; http: string }[] | undefined;
  private savedAutopilot: Record<string, unknown> | undefined;
  constructor(
    opts: ComposeOptions,
    autopilot: Partial<AutopilotSettings>,
    note: (text: string) => void,
  ) {
    super('', autopilot, note, 'server');
    this.compose = new Compose(opts);
  }

  /** The compose services server-1, server-2, … with their published HTTP addresses. */
  async discover(): Promise<{ name: string; http: string }[]> {
    if (this.services) return this.services;
    const cfg = await this.compose.config();
    const hostOpt = this.compose.opts.host ?? process.env.OPRAFT_COMPOSE_HOST;
    const out: { name: string; http: string }[] = [];
    for (const [name, svc] of Object.entries(cfg.services ?? {})) {
      if (!/^server-\d+$/.test(name)) continue;
      const p = publishedHttp(svc.ports);
      if (!p) throw new Error(`--compose: service ${name} publishes no port for the container's ${CONTAINER_HTTP}`);
      const host = hostOpt ?? (p.hostIp && p.hostIp !== '0.0.0.0' && p.hostIp !== '::' ? p.hostIp : '127.0.0.1');
      out.push({ name, http: `http://${host.includes(':') ? `[${host}]` : host}:${p.port}` });
    }
    out.sort((a, b) => Number(a.name.slice(7)) - Number(b.name.slice(7)));
    this.services = out;
    return out;
  }

  override async create(n: number): Promise<DrillNode[]> {
    const services = await this.discover();
    if (services.length < n) {
      throw new Error(`--compose: ${n} servers wanted, the compose configuration has ${services.length} (${services.map((s) => s.name).join(', ')}); for 5: COMPOSE_PROFILES=five and docker compose --profile five up -d`);
    }
    const made = services.slice(0, n).map((s) => new ComposeNode(this, s.name, s.http));
    this.nodes.push(...made);
    this.note(`compose cluster (${this.compose.commandLine}): ${made.map((m) => `${m.name} at ${m.httpAddr}`).join(', ')}`);
    return made;
  }

  override async addJoiner(): Promise<DrillNode> {
    throw new Error('--compose: the drill would start a fresh server, which the compose driver does not do');
  }

  /** The drill's autopilot settings, through the API (the first leader's HCL does it locally); restored by destroy. */
  override async afterBoot(leader: DrillNode): Promise<void> {
    const r = await getJson(leader, '/v1/operator/autopilot/configuration');
    if (r.status !== 200) throw new Error(`autopilot configuration: ${r.status} ${r.text}`);
    this.savedAutopilot = r.body as Record<string, unknown>;
    const a = this.autopilot;
    const cfg = { ...this.savedAutopilot, CleanupDeadServers: a.cleanupDeadServers, LastContactThreshold: a.lastContactThreshold, ServerStabilizationTime: a.serverStabilizationTime, MaxTrailingLogs: a.maxTrailingLogs, MinQuorum: a.minQuorum };
    const w = await request(leader, 'PUT', '/v1/operator/autopilot/configuration', cfg);
    if (w.status !== 200) throw new Error(`autopilot set-config: ${w.status} ${w.text}`);
    this.note(`autopilot configuration for the drill: CleanupDeadServers=${a.cleanupDeadServers} LastContactThreshold=${a.lastContactThreshold} ServerStabilizationTime=${a.serverStabilizationTime} (restored afterwards)`);
  }

  override release(): KeptServer[] {
    return [];
  }

  /** The compose cluster stays: services the drill left stopped are started again, the autopilot configuration restored. */
  override async destroy(_keep: boolean): Promise<void> {
    for (const n of this.nodes as ComposeNode[]) {
      if (n.up) continue;
      await n.start().catch((e: Error) => this.note(`could not start ${n.name} again: ${e.message}`));
    }
    if (this.savedAutopilot) {
      const saved = this.savedAutopilot;
      this.savedAutopilot = undefined;
      await until('the autopilot configuration restored', async () => {
        for (const n of this.running()) {
          const w = await request(n, 'PUT', '/v1/operator/autopilot/configuration', saved, 5000).catch(() => undefined);
          if (w?.status === 200) return true;
        }
        return undefined;
      }, 20_000, 500).catch((e: Error) => this.note(`autopilot configuration not restored: ${e.message}`));
    }
  }

  override async logTails(): Promise<string> {
    return `server logs: ${this.compose.commandLine} logs --tail 20 ${this.nodes.map((n) => n.name).join(' ')}`;
  }
}
