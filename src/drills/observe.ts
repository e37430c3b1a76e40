// What watches a drill from the outside: the leader poller (leaderless time), the background
// writer (acknowledged variable writes) and the verifier (every acknowledged write read back with
// ?stale from every node). None of them trusts the controller's idea of who leads.
import type { DrillNode, LocalCluster } from './cluster.ts';
import { getJson, request, sleep } from './http.ts';

export interface Gap {
  startMs: number;
  endMs: number | undefined;
}

/**
 * Polls GET /v1/status/leader?stale on every running server every `everyMs`. The cluster has a
 * leader at a sample when some server names itself as leader in its own answer (a server's own
 * view is the only one that cannot be stale about itself). Times are ms since the drill began.
 */
export class LeaderPoller {
  readonly gaps: Gap[] = [];
  leader: string | undefined;
  /** [time, leader name] on every change (including to none). */
  readonly changes: [number, string | undefined][] = [];
  samples = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  constructor(
    private readonly cluster: () => DrillNode[],
    private readonly now: () => number,
    private readonly everyMs = 50,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        const t = this.now();
        const nodes = this.cluster().filter((n) => n.running);
        const views = await Promise.all(nodes.map((n) => getJson(n, '/v1/status/leader?stale', 400).then((r) => (r.status === 200 ? (r.body as string) : ''), () => '')));
        const self = nodes.find((n, i) => views[i] !== '' && views[i] === n.rpcAddr);
        this.sample(t, self?.name);
        await sleep(this.everyMs);
      }
    })();
  }

  private sample(t: number, leader: string | undefined): void {
    this.samples++;
    if (leader !== this.leader || this.changes.length === 0) this.changes.push([t, leader]);
    const open = this.gaps.at(-1);
    if (leader === undefined && (!open || open.endMs !== undefined)) this.gaps.push({ startMs: t, endMs: undefined });
    if (leader !== undefined && open && open.endMs === undefined) open.endMs = t;
    this.leader = leader;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    const open = this.gaps.at(-1);
    if (open && open.endMs === undefined) open.endMs = this.now();
  }

  /** Gaps ignoring the ones before the first leader was seen (cluster start-up). */
  leaderless(): { totalMs: number; longestMs: number; count: number } {
    const firstLeader = this.changes.find(([, l]) => l !== undefined)?.[0] ?? Infinity;
    const gaps = this.gaps.filter((g) => g.startMs >= firstLeader).map((g) => (g.endMs ?? this.now()) - g.startMs);
    return { totalMs: gaps.reduce((a, b) => a + b, 0), longestMs: Math.max(0, ...gaps), count: gaps.length };
  }

  /** The first time at or after t when a leader other than `not` was seen. */
  leaderAfter(t: number, not?: string): { atMs: number; leader: string } | undefined {
    for (const [at, l] of this.changes) if (at >= t && l !== undefined && l !== not) return { atMs: at, leader: l };
    return undefined;
  }
}

export type WriteOutcome = 'acked' | 'refused' | 'unreachable' | 'indeterminate';

export interface WriteRecord {
  path: string;
  value: string;
  node: string;
  startMs: number;
  endMs: number;
  outcome: WriteOutcome;
  modifyIndex?: number;
  error?: string;
}

/**
 * Writes variables `drill/<run>/w<seq>` one after another to the running servers in turn (followers
 * forward to the leader), every `everyMs`. 200 = acknowledged; 500 `No cluster leader` = refused
 * before it was proposed (must never appear, Part A §7); connection refused = never reached;
 * anything else (timeouts, leadership lost) = indeterminate, not checked either way.
 */
export class BackgroundWriter {
  readonly records: WriteRecord[] = [];
  private seq = 0;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private turn = 0;
  constructor(
    private readonly cluster: LocalCluster,
    private readonly now: () => number,
    readonly prefix: string,
    private readonly everyMs = 50,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = (async () => {
      while (!this.stopped) {
        await this.writeOnce();
        await sleep(this.everyMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  get running(): boolean {
    return !this.stopped;
  }

  private async writeOnce(): Promise<void> {
    const nodes = this.cluster.running();
    if (nodes.length === 0) {
      await sleep(100);
      return;
    }
    const node = nodes[this.turn++ % nodes.length]!;
    const seq = ++this.seq;
    const rec: WriteRecord = { path: `${this.prefix}/w${String(seq).padStart(5, '0')}`, value: `v${seq}`, node: node.name, startMs: this.now(), endMs: 0, outcome: 'indeterminate' };
    try {
      const r = await request(node, 'PUT', `/v1/var/${rec.path}`, { Items: { seq: rec.value } }, 8000);
      if (r.status === 200) {
        rec.outcome = 'acked';
        rec.modifyIndex = (r.body as { ModifyIndex: number }).ModifyIndex;
      } else {
        rec.error = `${r.status} ${r.text.trim()}`;
        rec.outcome = r.status === 500 && /No cluster leader/.test(r.text) ? 'refused' : 'indeterminate';
      }
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      rec.error = cause?.code ?? (e as Error).message;
      rec.outcome = cause?.code === 'ECONNREFUSED' ? 'unreachable' : 'indeterminate';
    }
    rec.endMs = this.now();
    this.records.push(rec);
  }

  acked(): WriteRecord[] {
    return this.records.filter((r) => r.outcome === 'acked');
  }

  count(outcome: WriteOutcome): number {
    return this.records.filter((r) => r.outcome === outcome).length;
  }

  /** The first write started at or after t that was acknowledged. */
  firstAckAfter(t: number): WriteRecord | undefined {
    return this.records.find((r) => r.outcome === 'acked' && r.startMs >= t);
  }

  /**
   * The longest time the writer went without an acknowledgement while it ran: from the end of an
   * acknowledged write (or the first write after a pause) to the end of the next acknowledged one.
   */
  /** The writes from the last acknowledgement before the longest outage to the first after it. */
  longestOutageWrites(from = 0): WriteRecord[] {
    let best: [number, number] = [0, -1];
    let lastAck = -1;
    this.records.forEach((r, i) => {
      if (r.startMs < from || r.outcome !== 'acked') return;
      if (lastAck >= 0 && r.endMs - this.records[lastAck]!.endMs > best[0]) best = [r.endMs - this.records[lastAck]!.endMs, lastAck];
      lastAck = i;
    });
    if (best[1] < 0) return [];
    const out: WriteRecord[] = [];
    for (let i = best[1]; i < this.records.length; i++) {
      out.push(this.records[i]!);
      if (i > best[1] && this.records[i]!.outcome === 'acked') break;
    }
    return out;
  }

  longestOutageMs(from = 0, to = Infinity, via?: string[]): number {
    let longest = 0;
    let lastAck: number | undefined;
    for (const r of this.records) {
      if (r.startMs < from || r.startMs > to) continue;
      if (via && !via.includes(r.node)) continue;
      if (r.outcome !== 'acked') continue;
      if (lastAck !== undefined) longest = Math.max(longest, r.endMs - lastAck);
      lastAck = r.endMs;
    }
    return longest;
  }
}

export interface VerifyResult {
  nodes: string[];
  acknowledged: number;
  /** Acknowledged writes read back with the acknowledged value from every node. */
  survived: number;
  missing: { path: string; node: string; got: string }[];
  /** Refused writes (No cluster leader) found on some node: must be none. */
  refusedPresent: string[];
  readMs: number;
}

/**
 * Reads every acknowledged write back with ?stale from every node in `nodes`, waiting up to
 * `settleMs` for followers to apply; then checks that no refused write exists anywhere.
 */
export async function verifyWrites(writes: WriteRecord[], nodes: DrillNode[], refused: WriteRecord[], settleMs = 15_000): Promise<VerifyResult> {
  const t0 = Date.now();
  const want = writes.filter((w) => w.outcome === 'acked');
  const bad = new Map<string, { path: string; node: string; got: string }>();
  const deadline = Date.now() + settleMs;
  for (const node of nodes) {
    let pending = want;
    for (;;) {
      const failed: WriteRecord[] = [];
      for (let i = 0; i < pending.length; i += 16) {
        const batch = pending.slice(i, i + 16);
        const got = await Promise.all(
          batch.map(async (w) => {
            try {
              const r = await getJson(node, `/v1/var/${w.path}?stale`, 5000);
              if (r.status !== 200) return `${r.status} ${r.text.trim().slice(0, 60)}`;
              const v = (r.body as { Items?: { seq?: string } }).Items?.seq;
              return v === w.value ? undefined : `value ${JSON.stringify(v)}`;
            } catch (e) {
              return (e as Error).message;
            }
          }),
        );
        batch.forEach((w, j) => {
          const g = got[j];
          if (g === undefined) bad.delete(`${node.name} ${w.path}`);
          else {
            failed.push(w);
            bad.set(`${node.name} ${w.path}`, { path: w.path, node: node.name, got: g });
          }
        });
      }
      if (failed.length === 0 || Date.now() > deadline) break;
      pending = failed;
      await sleep(250);
    }
  }
  const refusedPresent: string[] = [];
  for (const node of nodes) {
    for (const w of refused) {
      const r = await getJson(node, `/v1/var/${w.path}?stale`, 5000).catch(() => undefined);
      if (r?.status === 200) refusedPresent.push(`${w.path} on ${node.name}`);
    }
  }
  const missingPaths = new Set([...bad.values()].map((b) => b.path));
  return {
    nodes: nodes.map((n) => n.name),
    acknowledged: want.length,
    survived: want.filter((w) => !missingPaths.has(w.path)).length,
    missing: [...bad.values()],
    refusedPresent,
    readMs: Date.now() - t0,
  };
}
