// Runs one drill: builds the cluster controller, the leader poller and the background writer,
// runs the drill's steps, verifies every acknowledged write from every node, and always stops
// every server it started. The drill's outcome is a DrillReport (report.ts prints it).
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DRILL_AUTOPILOT, LocalCluster, PortPlan, RAFT_TICK, type AutopilotSettings, type DrillNode, type KeptServer } from './cluster.ts';
import { ComposeCluster, type ComposeOptions } from './compose.ts';
import { request } from './http.ts';
import { BackgroundWriter, LeaderPoller, verifyWrites, type VerifyResult, type WriteRecord } from './observe.ts';

export interface DrillOptions {
  /** Number of servers (where the drill allows a choice). */
  nodes?: number;
  /** Root directory for every server's data (default: a new temporary directory, removed after). */
  dataDir?: string;
  /** Leave the servers running after the report (their data with them); the report lists them. */
  keep?: boolean;
  /** HTTP P+10(k−1) and RPC P+1+10(k−1) for the k-th server the drill creates, instead of free ports. */
  basePort?: number;
  /** Run against the docker compose cluster instead of a local one (compose.ts). */
  compose?: ComposeOptions;
  sabotage?: string;
  /** Progress lines go here as they happen (stderr in the CLI). */
  progress?: (line: string) => void;
}

export interface Drill {
  name: string;
  summary: string;
  /** Server counts the drill accepts; the first is the default. */
  nodeCounts: number[];
  autopilot: Partial<AutopilotSettings>;
  /** Sabotage kinds this drill knows, each of which must make it fail. */
  sabotages: Record<string, string>;
  run(ctx: DrillContext): Promise<void>;
}

/** Every drill accepts this one: an acknowledged write is deleted behind the verifier's back. */
export const COMMON_SABOTAGES: Record<string, string> = {
  'drop-write': 'delete one acknowledged variable before verification (the verifier must notice)',
};

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface DrillReport {
  drill: string;
  ok: boolean;
  sabotage?: string;
  servers: number;
  raftTick: string;
  autopilot: AutopilotSettings;
  failure: string[];
  leaderless: { totalMs: number; longestMs: number; count: number };
  timeToLeaderMs?: number;
  timeToRecoveryMs?: number;
  figures: Record<string, number | string | boolean>;
  writes: {
    attempted: number;
    acknowledged: number;
    refused: number;
    unreachable: number;
    indeterminate: number;
    survived: number;
    verifiedOn: string[];
    missing: { path: string; node: string; got: string }[];
    refusedPresent: string[];
    longestOutageMs: number;
  };
  checks: Check[];
  steps: { atMs: number; text: string }[];
  error?: string;
  durationMs: number;
  dataDir: string;
  kept: boolean;
  /** --keep: the servers still running after the drill. */
  keptServers?: KeptServer[];
  /** --compose: the compose command the drill used. */
  compose?: string;
}

/** Thrown by ctx.require: the drill cannot go on, its report says why. */
export class DrillAbort extends Error {}

export class DrillContext {
  readonly t0 = Date.now();
  readonly steps: { atMs: number; text: string }[] = [];
  readonly checks: Check[] = [];
  readonly failure: string[] = [];
  readonly figures: Record<string, number | string | boolean> = {};
  readonly clusters: LocalCluster[] = [];
  cluster!: LocalCluster;
  poller!: LeaderPoller;
  writer!: BackgroundWriter;
  timeToLeaderMs: number | undefined;
  timeToRecoveryMs: number | undefined;
  /** Set by a drill that verifies on its own (several clusters); otherwise the runner verifies on the running servers. */
  verified: VerifyResult | undefined;
  /** Writes outside the background writer that must survive as well (same verification). */
  readonly extraWrites: WriteRecord[] = [];
  constructor(
    readonly drill: Drill,
    readonly root: string,
    readonly servers: number,
    readonly sabotage: string | undefined,
    readonly progress: (line: string) => void,
    /** Shared by every cluster of the drill, so that --base-port numbers all its servers. */
    readonly ports: PortPlan = new PortPlan(),
  ) {}

  now = (): number => Date.now() - this.t0;

  note(text: string): void {
    const atMs = this.now();
    this.steps.push({ atMs, text });
    this.progress(`[${(atMs / 1000).toFixed(1).padStart(5)}s] ${text}`);
  }

  /** Records what the drill broke (the report's "failed" line). */
  failed(text: string): void {
    this.failure.push(text);
    this.note(`FAILURE: ${text}`);
  }

  check(name: string, ok: boolean, detail?: string): boolean {
    this.checks.push({ name, ok, ...(detail !== undefined ? { detail } : {}) });
    this.progress(`        ${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
    return ok;
  }

  /** A check the rest of the drill depends on: a failure ends the drill (verification still runs). */
  require(name: string, ok: boolean, detail?: string): void {
    if (!this.check(name, ok, detail)) throw new DrillAbort(`${name}${detail ? ` (${detail})` : ''}`);
  }

  /** Runs a wait; a timeout becomes a failed check and ends the drill. */
  async expect<T>(name: string, fn: () => Promise<T>, detail?: (v: T) => string): Promise<T> {
    try {
      const v = await fn();
      this.check(name, true, detail?.(v));
      return v;
    } catch (e) {
      this.check(name, false, (e as Error).message);
      throw new DrillAbort(name);
    }
  }

  newCluster(label = 'node'): LocalCluster {
    const c = new LocalCluster(path.join(this.root, label === 'node' ? '' : label), this.drill.autopilot, (t) => this.note(t), label, this.ports);
    this.clusters.push(c);
    return c;
  }

  /** The drill's sabotage of this kind is on. */
  sabotaged(kind: string): boolean {
    if (this.sabotage !== kind) return false;
    this.note(`SABOTAGE ${kind}: ${this.drill.sabotages[kind] ?? COMMON_SABOTAGES[kind]}`);
    return true;
  }
}

export async function runDrill(drill: Drill, opts: DrillOptions = {}): Promise<DrillReport> {
  const servers = opts.nodes ?? drill.nodeCounts[0]!;
  if (!drill.nodeCounts.includes(servers)) throw new Error(`drill ${drill.name} runs with ${drill.nodeCounts.join(' or ')} servers, not ${servers}`);
  if (opts.sabotage && !(opts.sabotage in drill.sabotages) && !(opts.sabotage in COMMON_SABOTAGES)) {
    throw new Error(`drill ${drill.name} has no sabotage "${opts.sabotage}" (known: ${[...Object.keys(drill.sabotages), ...Object.keys(COMMON_SABOTAGES)].join(', ')})`);
  }
  let root: string;
  if (opts.compose) root = '';
  else if (opts.dataDir) {
    root = path.resolve(opts.dataDir, `${drill.name}-${Date.now()}`);
    await mkdir(root, { recursive: true });
  } else root = await mkdtemp(path.join(os.tmpdir(), `opraft-drill-${drill.name}-`));
  const ctx = new DrillContext(drill, root, servers, opts.sabotage, opts.progress ?? (() => undefined), new PortPlan(opts.basePort));
  if (opts.compose) {
    const c = new ComposeCluster(opts.compose, drill.autopilot, (t) => ctx.note(t));
    ctx.clusters.push(c);
    ctx.cluster = c;
  } else ctx.cluster = ctx.newCluster();
  ctx.poller = new LeaderPoller(() => ctx.clusters.flatMap((c) => c.nodes), ctx.now);
  ctx.writer = new BackgroundWriter(ctx.cluster, ctx.now, `drill/${drill.name}`);
  let error: string | undefined;
  ctx.note(`drill ${drill.name}: ${servers} servers ${opts.compose ? 'of the docker compose cluster' : `under ${root}`}${opts.sabotage ? `, sabotage ${opts.sabotage}` : ''}`);
  try {
    await drill.run(ctx);
  } catch (e) {
    if (!(e instanceof DrillAbort)) {
      error = (e as Error).stack ?? String(e);
      ctx.check('drill ran to the end', false, (e as Error).message);
    } else ctx.note(`drill stopped: ${(e as Error).message}`);
  }
  try {
    await ctx.writer.stop();
    if (!ctx.verified) {
      const nodes = ctx.cluster.running();
      if (ctx.sabotaged('drop-write')) await dropOneWrite(ctx, nodes);
      ctx.note(`verifying ${ctx.writer.acked().length + ctx.extraWrites.length} acknowledged writes with ?stale on ${nodes.map((n) => n.name).join(', ')}`);
      // Followers get 15 s to apply; a drill that already failed gets 3 s (its report is what matters).
      const settleMs = ctx.checks.every((c) => c.ok) ? 15_000 : 3000;
      ctx.verified = await verifyWrites([...ctx.writer.records, ...ctx.extraWrites], nodes, ctx.writer.records.filter((r) => r.outcome === 'refused'), settleMs);
      checkVerified(ctx, ctx.verified);
    }
  } catch (e) {
    error ??= (e as Error).stack ?? String(e);
    ctx.check('verification ran', false, (e as Error).message);
  }
  await ctx.poller.stop();
  const ok = ctx.checks.length > 0 && ctx.checks.every((c) => c.ok) && error === undefined;
  const keep = opts.keep === true || opts.dataDir !== undefined || !ok;
  if (!ok) ctx.progress(await ctx.cluster.logTails(8));
  let keptServers: KeptServer[] | undefined;
  if (opts.keep === true && !opts.compose) {
    // Only the servers still running stay; the others (killed by the drill, not restarted) are gone already.
    keptServers = ctx.clusters.flatMap((c) => c.release());
  } else {
    for (const c of ctx.clusters) await c.destroy(true);
    if (!keep) for (const c of ctx.clusters) await c.destroy(false);
  }
  const v = ctx.verified;
  const report: DrillReport = {
    drill: drill.name,
    ok,
    ...(opts.sabotage ? { sabotage: opts.sabotage } : {}),
    servers,
    raftTick: RAFT_TICK,
    autopilot: { ...DRILL_AUTOPILOT, ...drill.autopilot },
    failure: ctx.failure,
    leaderless: ctx.poller.leaderless(),
    ...(ctx.timeToLeaderMs !== undefined ? { timeToLeaderMs: ctx.timeToLeaderMs } : {}),
    ...(ctx.timeToRecoveryMs !== undefined ? { timeToRecoveryMs: ctx.timeToRecoveryMs } : {}),
    figures: ctx.figures,
    writes: {
      attempted: ctx.writer.records.length,
      acknowledged: v?.acknowledged ?? ctx.writer.acked().length,
      refused: ctx.writer.count('refused'),
      unreachable: ctx.writer.count('unreachable'),
      indeterminate: ctx.writer.count('indeterminate'),
      survived: v?.survived ?? 0,
      verifiedOn: v?.nodes ?? [],
      missing: (v?.missing ?? []).slice(0, 10),
      refusedPresent: v?.refusedPresent ?? [],
      longestOutageMs: ctx.writer.longestOutageMs(),
    },
    checks: ctx.checks,
    steps: ctx.steps,
    ...(error ? { error } : {}),
    durationMs: ctx.now(),
    dataDir: root,
    kept: keep && !opts.compose,
    ...(keptServers ? { keptServers } : {}),
    ...(opts.compose ? { compose: (ctx.cluster as ComposeCluster).compose.commandLine } : {}),
  };
  return report;
}

export function checkVerified(ctx: DrillContext, v: VerifyResult): void {
  ctx.check(
    `every acknowledged write read back with ?stale from every node`,
    v.acknowledged > 0 && v.survived === v.acknowledged,
    `${v.survived}/${v.acknowledged} on ${v.nodes.join(', ')}${v.missing.length ? `; missing e.g. ${v.missing.slice(0, 3).map((m) => `${m.path} on ${m.node}: ${m.got}`).join('; ')}` : ''}`,
  );
  ctx.check('no write refused with "No cluster leader" took effect', v.refusedPresent.length === 0, v.refusedPresent.length ? v.refusedPresent.slice(0, 3).join(', ') : undefined);
}

async function dropOneWrite(ctx: DrillContext, nodes: DrillNode[]): Promise<void> {
  const victim = ctx.writer.acked()[0];
  if (!victim || !nodes[0]) return;
  const r = await request(nodes[0], 'DELETE', `/v1/var/${victim.path}`);
  ctx.note(`deleted ${victim.path} (${r.status})`);
}
