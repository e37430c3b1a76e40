// The chaos workload: clients doing compare-and-set writes and consistent reads through the HTTP
// API, every operation recorded as invoke / ok / fail / info (Jepsen style) for the
// linearizability checker.
//
// - Variables: groups of a few clients share one key (`/v1/var/chaos/g<g>/e<epoch>`); the key
//   changes every `epochMs`, so each key's history stays small enough for the checker to decide.
//   A write is `PUT ?cas=<ModifyIndex>` (cas=0 when the client believes the key is absent) with
//   `Items.v = "c<client>:<seq>"`: every value names its writer and sequence number and is unique,
//   so a ModifyIndex stands for exactly one value and `cas=<index>` is the model's cas(expected).
// - Scheduler configuration: a couple of clients CAS it with `NodeLimitForFeasibilityChecks =
//   client * 100000 + seq` (the one numeric field free to carry a value). Its starting value
//   (written by the first leader) is the model's null.
//
// Outcomes (contract Part A §7): 200 / 404 / 409 (and `Updated:false`) are definite (`ok`); an
// answer that says the request was refused before it was proposed (`No cluster leader`), or a
// connection that was refused (by the server, or by the leader it forwards to: nothing was
// delivered), is `fail`; everything else (`leadership lost
// while committing log`, `timed out waiting for the write to commit`, `leadership transfer in
// progress`, failed forwarding, other 5xx, network errors, client timeouts) is `info`:
// indeterminate, the write may or may not take effect.
import type { HistoryEvent } from '../lib/linearizability.ts';
import type { KvInput, RegisterOutput } from '../lib/models.ts';
import type { Rng } from '../../src/util/random.ts';
import type { TestCluster, TestNode } from '../integration/harness.ts';
import { sleep } from '../integration/harness.ts';

export type Input = KvInput<string>;
export type Output = RegisterOutput<string>;
export type Event = HistoryEvent<Input, Output>;

export const SCHED_KEY = 'sched';

export interface Reply {
  status: number;
  body: unknown;
  text: string;
}

/** One HTTP request with its own timeout; throws on network errors and timeouts. */
export async function call(node: TestNode, method: string, p: string, body?: unknown, timeoutMs = 5000): Promise<Reply> {
  const r = await fetch(node.url(p), {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await r.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: r.status, body: parsed, text };
}

/** Refused before it was proposed: it never takes effect (Part A §7). */
const DEFINITE_REFUSALS = ['No cluster leader', 'Not ready to serve consistent reads'];

type Outcome = { kind: 'ok'; output: Output; known?: Known } | { kind: 'fail'; why: string } | { kind: 'info'; why: string };

/** What a client believes a key holds: its value (null = absent / initial) and ModifyIndex. */
interface Known {
  value: string | null;
  index: number;
}

function classifyError(e: unknown): Outcome {
  const err = e as Error & { cause?: { code?: string } };
  // Nothing reached the server: a definite failure.
  if (err.cause?.code === 'ECONNREFUSED') return { kind: 'fail', why: 'ECONNREFUSED' };
  if (err.name === 'TimeoutError') return { kind: 'info', why: 'client timeout' };
  return { kind: 'info', why: `network: ${err.cause?.code ?? err.message}` };
}

function classifyStatus(r: Reply): Outcome {
  const text = r.text.trim();
  if (r.status >= 400 && r.status < 500 && r.status !== 409) return { kind: 'fail', why: `${r.status} ${text.slice(0, 80)}` };
  if (DEFINITE_REFUSALS.includes(text)) return { kind: 'fail', why: text };
  // A follower could not even connect to the leader it forwards to: nothing was delivered.
  if (/^failed to forward the request to the leader at \S+: connect ECONNREFUSED \S+$/.test(text)) return { kind: 'fail', why: 'forward: ECONNREFUSED' };
  return { kind: 'info', why: `${r.status} ${text.slice(0, 160)}` };
}

export interface WorkloadOptions {
  groups: number;
  clientsPerGroup: number;
  schedClients: number;
  epochMs: number;
  /** Client timeout of a write (then `info`). */
  timeoutMs: number;
  /**
   * Client timeout of a read. Shorter: a read that times out constrains nothing and is dropped,
   * and a client stuck behind a paused server should soon be free to go on elsewhere.
   */
  readTimeoutMs: number;
}

export interface OpCounts {
  invoked: number;
  ok: number;
  fail: number;
  info: number;
  reads: number;
  writes: number;
  /** Acknowledged CAS writes that took effect (200, Updated true). */
  acked: number;
  /** Why operations were indeterminate, with counts. */
  infoWhy: Map<string, number>;
}

export class Workload {
  readonly events: Event[] = [];
  readonly counts: OpCounts = { invoked: 0, ok: 0, fail: 0, info: 0, reads: 0, writes: 0, acked: 0, infoWhy: new Map() };
  /** Every key used (for the final reads). */
  readonly keys = new Set<string>();
  private nextOp = 0;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private ackListeners: (() => void)[] = [];
  private readonly t0 = performance.now();
  /** The scheduler configuration as the first read saw it (its ModifyIndex stands for null). */
  schedInitial: { limit: number; index: number } | undefined;

  constructor(
    private readonly cluster: TestCluster,
    private readonly rng: Rng,
    readonly opts: WorkloadOptions,
  ) {}

  now(): number {
    return performance.now() - this.t0;
  }

  async start(): Promise<void> {
    // The starting scheduler configuration: the first leader writes it once.
    const first = this.cluster.nodes[0]!;
    for (let i = 0; i < 100 && !this.schedInitial; i++) {
      const r = await call(first, 'GET', '/v1/operator/scheduler/configuration').catch(() => undefined);
      const c = r?.status === 200 ? (r.body as { SchedulerConfig: { NodeLimitForFeasibilityChecks: number; ModifyIndex: number } }).SchedulerConfig : undefined;
      if (c) this.schedInitial = { limit: c.NodeLimitForFeasibilityChecks, index: c.ModifyIndex };
      else await sleep(200);
    }
    if (!this.schedInitial) throw new Error('workload: could not read the initial scheduler configuration');
    let client = 0;
    for (let g = 0; g < this.opts.groups; g++) for (let i = 0; i < this.opts.clientsPerGroup; i++) this.loops.push(this.varLoop(++client, g, this.rng.fork()));
    for (let i = 0; i < this.opts.schedClients; i++) this.loops.push(this.schedLoop(++client, this.rng.fork()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  /** Resolves at the next acknowledged write (the whole-cluster power loss is timed on it). */
  nextAck(): Promise<void> {
    return new Promise((r) => this.ackListeners.push(r));
  }

  private pickNode(rng: Rng): TestNode | undefined {
    // Paused (SIGSTOP) nodes count as running: clients do hit them, as real clients would.
    const up = this.cluster.running();
    return up.length === 0 ? undefined : rng.pick(up);
  }

  private record(clientId: number, input: Input, outcome: Outcome, invokeAt: number): void {
    const opId = this.nextOp++;
    this.keys.add(input.key);
    this.events.push({ kind: 'invoke', clientId, opId, time: invokeAt, input });
    const at = this.now();
    this.counts.invoked++;
    if (input.kind === 'read') this.counts.reads++;
    else this.counts.writes++;
    if (outcome.kind === 'ok') {
      this.events.push({ kind: 'ok', clientId, opId, time: at, output: outcome.output });
      this.counts.ok++;
      if (input.kind === 'cas' && outcome.output === true) {
        this.counts.acked++;
        const ls = this.ackListeners;
        this.ackListeners = [];
        for (const l of ls) l();
      }
    } else {
      this.events.push({ kind: outcome.kind, clientId, opId, time: at });
      if (outcome.kind === 'fail') this.counts.fail++;
      else {
        this.counts.info++;
        const why = outcome.why.replace(/\d+/g, 'N');
        this.counts.infoWhy.set(why, (this.counts.infoWhy.get(why) ?? 0) + 1);
      }
    }
  }

  private async varLoop(clientId: number, group: number, rng: Rng): Promise<void> {
    let epoch = -1;
    let known: Known | undefined;
    let seq = 0;
    while (!this.stopped) {
      const e = Math.floor(this.now() / this.opts.epochMs);
      if (e !== epoch) {
        epoch = e;
        known = { value: null, index: 0 }; // a fresh key: absent
      }
      const key = `chaos/g${group}/e${epoch}`;
      const node = this.pickNode(rng);
      if (!node) {
        await sleep(50);
        continue;
      }
      const read = known === undefined || rng.chance(0.45);
      const invokeAt = this.now();
      let outcome: Outcome;
      let input: Input;
      if (read) {
        input = { key, kind: 'read' };
        outcome = await this.readVar(node, key);
      } else {
        const value = `c${clientId}:${++seq}`;
        input = { key, kind: 'cas', expected: known!.value, value };
        outcome = await this.casVar(node, key, known!.index, value);
      }
      this.record(clientId, input, outcome, invokeAt);
      if (outcome.kind === 'ok' && outcome.known) known = outcome.known;
      else if (outcome.kind === 'info') known = undefined; // unsure: read before the next write
      if (outcome.kind !== 'ok') await sleep(20 + rng.int(60));
    }
  }

  private async readVar(node: TestNode, key: string, timeoutMs = this.opts.readTimeoutMs): Promise<Outcome> {
    try {
      const r = await call(node, 'GET', `/v1/var/${key}`, undefined, timeoutMs);
      if (r.status === 200) {
        const v = r.body as { Items?: { v?: string }; ModifyIndex: number };
        const value = v.Items?.v;
        if (typeof value !== 'string') return { kind: 'info', why: `200 without Items.v` };
        return { kind: 'ok', output: value, known: { value, index: v.ModifyIndex } };
      }
      if (r.status === 404) return { kind: 'ok', output: null, known: { value: null, index: 0 } };
      return classifyStatus(r);
    } catch (e) {
      return classifyError(e);
    }
  }

  private async casVar(node: TestNode, key: string, index: number, value: string): Promise<Outcome> {
    try {
      const r = await call(node, 'PUT', `/v1/var/${key}?cas=${index}`, { Items: { v: value } }, this.opts.timeoutMs);
      if (r.status === 200) return { kind: 'ok', output: true, known: { value, index: (r.body as { ModifyIndex: number }).ModifyIndex } };
      if (r.status === 409) {
        const cur = r.body as { Items?: { v?: string }; ModifyIndex?: number } | undefined;
        const v = cur?.Items?.v;
        return { kind: 'ok', output: false, ...(cur && typeof v === 'string' && cur.ModifyIndex ? { known: { value: v, index: cur.ModifyIndex } } : {}) };
      }
      return classifyStatus(r);
    } catch (e) {
      return classifyError(e);
    }
  }

  /** The scheduler value as the model sees it: null for the starting configuration. */
  schedValue(limit: number, index: number): string | null {
    return index === this.schedInitial!.index ? null : `n${limit}`;
  }

  private async schedLoop(clientId: number, rng: Rng): Promise<void> {
    let known: Known | undefined;
    let seq = 0;
    while (!this.stopped) {
      const node = this.pickNode(rng);
      if (!node) {
        await sleep(50);
        continue;
      }
      const read = known === undefined || rng.chance(0.45);
      const invokeAt = this.now();
      let outcome: Outcome;
      let input: Input;
      if (read) {
        input = { key: SCHED_KEY, kind: 'read' };
        outcome = await this.readSched(node);
      } else {
        const limit = clientId * 100_000 + ++seq;
        input = { key: SCHED_KEY, kind: 'cas', expected: known!.value, value: `n${limit}` };
        outcome = await this.casSched(node, known!.index, limit);
      }
      this.record(clientId, input, outcome, invokeAt);
      if (outcome.kind === 'ok' && outcome.known) known = outcome.known;
      else if (outcome.kind !== 'ok' || (input.kind === 'cas' && outcome.output === false)) known = undefined;
      // The scheduler key is one register for the whole run: keep its history lighter.
      await sleep(outcome.kind === 'ok' ? 30 + rng.int(70) : 50 + rng.int(100));
    }
  }

  async readSched(node: TestNode, timeoutMs = this.opts.readTimeoutMs): Promise<Outcome> {
    try {
      const r = await call(node, 'GET', '/v1/operator/scheduler/configuration', undefined, timeoutMs);
      if (r.status === 200) {
        const c = (r.body as { SchedulerConfig: { NodeLimitForFeasibilityChecks: number; ModifyIndex: number } }).SchedulerConfig;
        const value = this.schedValue(c.NodeLimitForFeasibilityChecks, c.ModifyIndex);
        return { kind: 'ok', output: value, known: { value, index: c.ModifyIndex } };
      }
      return classifyStatus(r);
    } catch (e) {
      return classifyError(e);
    }
  }

  private async casSched(node: TestNode, index: number, limit: number): Promise<Outcome> {
    const body = { SchedulerAlgorithm: 'binpack', PreemptionConfig: { SystemSchedulerEnabled: true }, NodeLimitForFeasibilityChecks: limit };
    try {
      const r = await call(node, 'PUT', `/v1/operator/scheduler/configuration?cas=${index}`, body, this.opts.timeoutMs);
      if (r.status === 200) {
        const b = r.body as { Updated: boolean; Index: number };
        return b.Updated ? { kind: 'ok', output: true, known: { value: `n${limit}`, index: b.Index } } : { kind: 'ok', output: false };
      }
      return classifyStatus(r);
    } catch (e) {
      return classifyError(e);
    }
  }

  /**
   * After healing: one consistent read of every key through `node` (retried), recorded as ops of
   * a client of its own, after everything else, so a write lost at the end shows in the check.
   * Returns the final value of each key it could read.
   */
  async finalReads(node: TestNode): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    const clientId = 0;
    for (const key of [...this.keys].sort()) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const invokeAt = this.now();
        const o = key === SCHED_KEY ? await this.readSched(node, 10_000) : await this.readVar(node, key, 10_000);
        if (o.kind === 'ok') {
          this.record(clientId, { key, kind: 'read' }, o, invokeAt);
          out.set(key, o.output as string | null);
          break;
        }
        await sleep(300);
      }
    }
    return out;
  }
}
