// The chaos nemesis: a seeded fault schedule (printed before the run, so a failure replays) and
// the code that carries each fault out on real server processes, recording whether it actually
// took effect.
//
// Fault kinds:
//   kill               SIGKILL one server (the leader half the time), restart it after a pause
//   powerloss          SIGUSR2 to one server: crashable storage drops its unsynced batches, then it SIGKILLs itself
//   cluster-powerloss  SIGUSR2 to every server at once, right after an acknowledged write
//   pause              SIGSTOP one server (the leader half the time) longer than an election timeout, then SIGCONT
//   partition-one      cut one follower off from everyone (both ways)
//   partition-leader   cut the leader off from everyone
//   partition-minority cut a random minority off from the majority
//   partition-majority every server sees a majority, but no two the same one (a ring; a bridge at 3 nodes)
//   partition-oneway   the leader (or a random server) stops hearing from, or being heard by, the others
//   partition-pause    cut the leader off, SIGSTOP it past an election timeout, SIGCONT it still cut off
//                      for a while (it believes it leads until check-quorum steps it down), then heal
//   disk-slow          one server's synced writes each wait delay_ms
//   disk-fail          one server's next synced write fails: it must stop (exit 1); it is restarted
// Partitions and disk faults go through the test hooks of OPRAFT_TEST_FAULTS=1 (src/http/routes/test-faults.ts).
import { seededRng, type Rng } from '../../src/util/random.ts';
import { nodeId, sleep, until, type TestCluster, type TestNode } from '../integration/harness.ts';
import { call, type Workload } from './workload.ts';

export const FAULT_KINDS = [
  'kill',
  'powerloss',
  'cluster-powerloss',
  'pause',
  'partition-one',
  'partition-leader',
  'partition-minority',
  'partition-majority',
  'partition-oneway',
  'partition-pause',
  'disk-slow',
  'disk-fail',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedFault {
  n: number;
  kind: FaultKind;
  /** Quiet time before the fault, ms. */
  gapMs: number;
  /** How long the fault lasts (down time, pause, partition, slow disk), ms. */
  durationMs: number;
  /** Aim at the leader (where the kind has a choice). */
  leader: boolean;
  /** A number in [0, 1) that picks the victims among the candidates (sorted by name). */
  pick: number;
  /** partition-oneway: which way; disk-slow: the delay. */
  direction?: 'in' | 'out';
  delayMs?: number;
}

/**
 * The planned schedule: cycles through the kinds in a seeded order (every kind once per cycle),
 * enough faults for `durationMs` at an average of `avgStepMs` per fault.
 */
export function planSchedule(rng: Rng, kinds: readonly FaultKind[], durationMs: number, avgStepMs = 4000): PlannedFault[] {
  const count = Math.max(kinds.length, Math.ceil(durationMs / avgStepMs) + kinds.length);
  const out: PlannedFault[] = [];
  while (out.length < count) {
    const cycle = [...kinds];
    for (let i = cycle.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [cycle[i], cycle[j]] = [cycle[j]!, cycle[i]!];
    }
    for (const kind of cycle) {
      if (out.length >= count) break;
      const f: PlannedFault = { n: out.length + 1, kind, gapMs: 300 + rng.int(1200), durationMs: 0, leader: rng.chance(0.5), pick: rng.next() };
      switch (kind) {
        case 'kill':
        case 'powerloss':
        case 'disk-fail':
          f.durationMs = 200 + rng.int(1500);
          break;
        case 'cluster-powerloss':
          f.durationMs = 100 + rng.int(500);
          break;
        case 'pause':
          // Longer than the longest election timeout (20 ticks of 50 ms), shorter than a write's client timeout.
          f.durationMs = 1300 + rng.int(1200);
          break;
        case 'partition-pause':
          // Also longer than a read's client timeout (1.5 s), so clients get free, write through the
          // new leader and send reads to the paused one before it resumes.
          f.durationMs = 2000 + rng.int(1000);
          break;
        case 'disk-slow':
          f.durationMs = 1500 + rng.int(2500);
          f.delayMs = 20 + rng.int(200);
          break;
        case 'partition-oneway':
          f.direction = rng.chance(0.5) ? 'in' : 'out';
          f.durationMs = 1500 + rng.int(2500);
          break;
        default:
          f.durationMs = 1500 + rng.int(2500);
      }
      out.push(f);
    }
  }
  return out;
}

export function describePlanned(f: PlannedFault): string {
  const extra = [f.direction ? `direction ${f.direction}` : '', f.delayMs !== undefined ? `delay ${f.delayMs} ms` : ''].filter(Boolean).join(', ');
  return `#${f.n} ${f.kind} after ${f.gapMs} ms for ${f.durationMs} ms${['kill', 'powerloss', 'pause', 'partition-oneway', 'disk-slow', 'disk-fail'].includes(f.kind) ? (f.leader ? ', the leader' : ', any server') : ''}, pick ${f.pick.toFixed(3)}${extra ? `, ${extra}` : ''}`;
}

export interface FaultStats {
  planned: Map<FaultKind, number>;
  effective: Map<FaultKind, number>;
  /** One line per executed fault, with its time and outcome. */
  log: string[];
  /** Exits of servers that no fault caused. */
  unexpectedExits: string[];
}

export class Nemesis {
  readonly stats: FaultStats = { planned: new Map(), effective: new Map(), log: [], unexpectedExits: [] };
  private ids = new Map<TestNode, string>();
  /** Servers a fault is expected to stop right now (their exits are not unexpected). */
  private expectedDown = new Set<TestNode>();
  private watched = new Set<TestNode>();
  private readonly t0 = Date.now();

  constructor(
    private readonly cluster: TestCluster,
    private readonly workload: Workload,
    private readonly say: (s: string) => void,
  ) {}

  async init(): Promise<void> {
    for (const n of this.cluster.nodes) this.ids.set(n, await nodeId(n));
    for (const n of this.cluster.nodes) this.watch(n);
  }

  /** Notes exits no fault asked for (watching each new process as it starts). */
  private watch(n: TestNode): void {
    const proc = n.proc;
    if (!proc || this.watched.has(n)) return;
    this.watched.add(n);
    proc.once('exit', (code, signal) => {
      this.watched.delete(n);
      if (!this.expectedDown.has(n)) this.stats.unexpectedExits.push(`${this.t()} ${n.name} exited: code ${code} signal ${signal}`);
    });
  }

  private t(): string {
    return `t+${((Date.now() - this.t0) / 1000).toFixed(1)}s`;
  }

  private note(f: PlannedFault, effective: boolean, what: string): void {
    if (effective) this.stats.effective.set(f.kind, (this.stats.effective.get(f.kind) ?? 0) + 1);
    const line = `${this.t()} #${f.n} ${f.kind}: ${what}${effective ? '' : ' [did NOT take effect]'}`;
    this.stats.log.push(line);
    this.say(`chaos: ${line}`);
  }

  /** Runs faults from `plan` until `durationMs` has passed and every kind ran once (or `hardEndMs`). */
  async run(plan: PlannedFault[], durationMs: number, hardEndMs: number, shouldStop: () => boolean = () => false): Promise<void> {
    const end = Date.now() + durationMs;
    const hardEnd = Date.now() + hardEndMs;
    const kinds = new Set(plan.map((f) => f.kind));
    const ran = new Set<FaultKind>();
    for (const f of plan) {
      if (shouldStop() || Date.now() > hardEnd) break;
      if (Date.now() > end && [...kinds].every((k) => ran.has(k))) break;
      // Past the end, only kinds not yet run.
      if (Date.now() > end && ran.has(f.kind)) continue;
      await sleep(f.gapMs);
      this.stats.planned.set(f.kind, (this.stats.planned.get(f.kind) ?? 0) + 1);
      ran.add(f.kind);
      try {
        await this.execute(f);
      } catch (e) {
        this.note(f, false, `error: ${(e as Error).message}`);
      }
      await this.recover();
    }
  }

  /** Every server running, unpaused, healed, and a leader they agree on (best effort, bounded). */
  async recover(timeoutMs = 30_000): Promise<void> {
    for (const n of this.cluster.nodes) if (!n.running) await this.restart(n);
    await this.cluster.waitForLeader(timeoutMs).catch(() => this.say(`chaos: ${this.t()} no agreed leader within ${timeoutMs} ms after a fault`));
  }

  async healAll(): Promise<void> {
    for (const n of this.cluster.running()) {
      try {
        process.kill(n.proc!.pid!, 'SIGCONT');
      } catch {
        /* gone */
      }
      await call(n, 'DELETE', '/v1/opraft/test/partition', undefined, 3000).catch(() => undefined);
      await call(n, 'DELETE', '/v1/opraft/test/disk', undefined, 3000).catch(() => undefined);
    }
  }

  private async restart(n: TestNode): Promise<void> {
    this.expectedDown.delete(n);
    if (n.running) return;
    await n.start();
    this.watch(n);
    await until(`${n.name} to answer HTTP after its restart`, async () => {
      if (!n.running) throw new Error(`${n.name} exited after its restart: ${JSON.stringify(n.exits.at(-1))}`);
      const r = await call(n, 'GET', '/v1/agent/self', undefined, 1000);
      return r.status === 200 ? true : undefined;
    }, 30_000, 100).catch((e: Error) => this.say(`chaos: ${this.t()} ${e.message}`));
  }

  private async leader(): Promise<TestNode | undefined> {
    return this.cluster.waitForLeader(10_000).catch(() => undefined);
  }

  /** The victim: the leader when asked for and known, else one picked among `among` by f.pick. */
  private async victim(f: PlannedFault, among: TestNode[] = this.cluster.running()): Promise<{ node: TestNode; isLeader: boolean }> {
    const leader = await this.leader();
    if (f.leader && leader) return { node: leader, isLeader: true };
    const sorted = [...among].sort((a, b) => a.name.localeCompare(b.name));
    const node = sorted[Math.floor(f.pick * sorted.length)]!;
    return { node, isLeader: node === leader };
  }

  /** `size` servers chosen by the plan alone (a shuffle seeded from f.pick). */
  private pickSet(f: PlannedFault, size: number): TestNode[] {
    const rest = [...this.cluster.nodes].sort((a, b) => a.name.localeCompare(b.name));
    const r = seededRng(Math.floor(f.pick * 2 ** 32));
    for (let i = rest.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [rest[i], rest[j]] = [rest[j]!, rest[i]!];
    }
    return rest.slice(0, size);
  }

  private async crash(n: TestNode, sig: 'SIGKILL' | 'SIGUSR2'): Promise<boolean> {
    this.expectedDown.add(n);
    const res = await n.signal(sig);
    return res.signal === 'SIGKILL';
  }

  private async execute(f: PlannedFault): Promise<void> {
    switch (f.kind) {
      case 'kill':
      case 'powerloss': {
        const { node, isLeader } = await this.victim(f);
        const ok = await this.crash(node, f.kind === 'kill' ? 'SIGKILL' : 'SIGUSR2');
        await sleep(f.durationMs);
        await this.restart(node);
        return this.note(f, ok, `${f.kind === 'kill' ? 'SIGKILL' : 'SIGUSR2 (power loss)'} ${node.name}${isLeader ? ' (leader)' : ''}, down ${f.durationMs} ms, exit ${JSON.stringify(node.exits.at(-1))}`);
      }
      case 'cluster-powerloss': {
        const leader = await this.leader();
        const acked = await Promise.race([this.workload.nextAck().then(() => true), sleep(5000).then(() => false)]);
        const victims = this.cluster.running();
        const results = await Promise.all(victims.map((n) => this.crash(n, 'SIGUSR2')));
        await sleep(f.durationMs);
        for (const n of victims) await n.start();
        for (const n of victims) this.watch(n);
        for (const n of victims) this.expectedDown.delete(n);
        const ok = results.length === this.cluster.nodes.length && results.every(Boolean);
        return this.note(f, ok, `SIGUSR2 to ${victims.map((n) => n.name).join(', ')}${acked ? ' right after an acknowledged write' : ''} (leader was ${leader?.name ?? 'unknown'}), down ${f.durationMs} ms`);
      }
      case 'pause': {
        const { node, isLeader } = await this.victim(f);
        const termBefore = await this.term();
        process.kill(node.proc!.pid!, 'SIGSTOP');
        await sleep(f.durationMs);
        let alive = node.running;
        if (alive) process.kill(node.proc!.pid!, 'SIGCONT');
        alive = alive && node.running;
        const termAfter = await this.term(node);
        return this.note(f, alive, `SIGSTOP ${node.name}${isLeader ? ' (leader)' : ''} for ${f.durationMs} ms, then SIGCONT (term ${termBefore} -> ${termAfter})`);
      }
      case 'partition-one':
      case 'partition-leader':
      case 'partition-minority':
      case 'partition-majority': {
        const groups = await this.partitionGroups(f);
        if (!groups) return this.note(f, false, 'no leader to cut off');
        const termBefore = await this.term();
        const applied = await this.applyGroups(groups.sides);
        await sleep(f.durationMs);
        const termDuring = await this.term(groups.observer);
        await this.healAll();
        return this.note(f, applied, `${groups.what} for ${f.durationMs} ms (term ${termBefore} -> ${termDuring} seen by ${groups.observer?.name ?? '-'})`);
      }
      case 'partition-pause': {
        const leader = await this.leader();
        if (!leader) return this.note(f, false, 'no leader to cut off');
        const sides = new Map<TestNode, TestNode[]>();
        const rest = this.cluster.nodes.filter((x) => x !== leader);
        sides.set(leader, [leader]);
        for (const x of rest) sides.set(x, rest);
        const applied = await this.applyGroups(sides);
        process.kill(leader.proc!.pid!, 'SIGSTOP');
        await sleep(f.durationMs);
        const termDuring = await this.term(rest[0]);
        let alive = leader.running;
        if (alive) process.kill(leader.proc!.pid!, 'SIGCONT');
        await sleep(1000);
        alive = alive && leader.running;
        await this.healAll();
        return this.note(f, applied && alive, `${leader.name} (leader) cut off and SIGSTOPped for ${f.durationMs} ms, then 1000 ms running but still cut off (the others reached term ${termDuring})`);
      }
      case 'partition-oneway': {
        const { node, isLeader } = await this.victim(f);
        const others = this.cluster.nodes.filter((n) => n !== node).map((n) => this.ids.get(n)!);
        const q = others.map((id) => `node=${id}`).join('&');
        const termBefore = await this.term();
        const r = await call(node, 'PUT', `/v1/opraft/test/partition?${q}&direction=${f.direction}`, undefined, 3000).catch(() => undefined);
        await sleep(f.durationMs);
        const termDuring = await this.term(this.cluster.nodes.find((n) => n !== node));
        await this.healAll();
        return this.note(f, r?.status === 200, `${node.name}${isLeader ? ' (leader)' : ''} ${f.direction === 'in' ? 'hears nobody' : 'is heard by nobody'} for ${f.durationMs} ms (term ${termBefore} -> ${termDuring})`);
      }
      case 'disk-slow': {
        const { node, isLeader } = await this.victim(f);
        const r = await call(node, 'PUT', `/v1/opraft/test/disk?delay_ms=${f.delayMs}`, undefined, 3000).catch(() => undefined);
        const before = r?.status === 200 ? (r.body as { DelayedBatches: number }).DelayedBatches : undefined;
        await sleep(f.durationMs);
        const after = await call(node, 'GET', '/v1/opraft/test/disk', undefined, 5000).catch(() => undefined);
        await call(node, 'DELETE', '/v1/opraft/test/disk', undefined, 5000).catch(() => undefined);
        const delayed = after?.status === 200 && before !== undefined ? (after.body as { DelayedBatches: number }).DelayedBatches - before : 0;
        return this.note(f, delayed > 0, `${node.name}${isLeader ? ' (leader)' : ''}: every synced write waits ${f.delayMs} ms for ${f.durationMs} ms (${delayed} batches delayed)`);
      }
      case 'disk-fail': {
        const { node, isLeader } = await this.victim(f);
        this.expectedDown.add(node);
        const r = await call(node, 'PUT', '/v1/opraft/test/disk?fail=true', undefined, 3000).catch(() => undefined);
        const exited = r?.status === 200 ? await node.waitExit(8000).catch(() => undefined) : undefined;
        if (!exited) {
          await call(node, 'DELETE', '/v1/opraft/test/disk', undefined, 3000).catch(() => undefined);
          this.expectedDown.delete(node);
          return this.note(f, false, `${node.name}: armed a failing write, but it did not stop within 8 s`);
        }
        await sleep(f.durationMs);
        await this.restart(node);
        // Fail-stop: the server must exit non-zero on its own (not by a signal).
        return this.note(f, exited.code !== null && exited.code !== 0, `${node.name}${isLeader ? ' (leader)' : ''}: a synced write failed; it exited with ${JSON.stringify(exited)}, restarted after ${f.durationMs} ms`);
      }
    }
  }

  /** Sides of a partition (each a list of servers that still reach each other). */
  private async partitionGroups(f: PlannedFault): Promise<{ sides: Map<TestNode, TestNode[]>; what: string; observer: TestNode | undefined } | undefined> {
    const all = [...this.cluster.nodes];
    const n = all.length;
    const leader = await this.leader();
    const sides = new Map<TestNode, TestNode[]>();
    const split = (cut: TestNode[]) => {
      const rest = all.filter((x) => !cut.includes(x));
      for (const x of cut) sides.set(x, cut);
      for (const x of rest) sides.set(x, rest);
      return rest;
    };
    switch (f.kind) {
      case 'partition-one': {
        const followers = all.filter((x) => x !== leader).sort((a, b) => a.name.localeCompare(b.name));
        const victim = followers[Math.floor(f.pick * followers.length)]!;
        const rest = split([victim]);
        return { sides, what: `${victim.name} (follower) cut off from ${rest.map((x) => x.name).join(', ')}`, observer: victim };
      }
      case 'partition-leader': {
        if (!leader) return undefined;
        const rest = split([leader]);
        return { sides, what: `${leader.name} (leader) cut off from ${rest.map((x) => x.name).join(', ')}`, observer: rest[0] };
      }
      case 'partition-minority': {
        const cut = this.pickSet(f, Math.floor((n - 1) / 2));
        const rest = split(cut);
        return { sides, what: `minority ${cut.map((x) => x.name).join(', ')}${leader && cut.includes(leader) ? ' (with the leader)' : ''} | ${rest.map((x) => x.name).join(', ')}`, observer: rest[0] };
      }
      case 'partition-majority': {
        // A ring: each server reaches its neighbours only (i±1; at 5 nodes i±2 are cut), so each
        // sees a majority (itself and two neighbours) and no two see the same one. At 3 nodes:
        // a bridge (one link cut; the middle server sees everyone).
        const ring = this.pickSet(f, n);
        for (let i = 0; i < n; i++) {
          const near = n === 3 ? (i === 1 ? ring : [ring[i]!, ring[1]!]) : [ring[(i + n - 1) % n]!, ring[i]!, ring[(i + 1) % n]!];
          sides.set(ring[i]!, near);
        }
        return { sides, what: `${n === 3 ? 'bridge' : 'majorities ring'} ${ring.map((x) => x.name).join(' - ')}${n === 3 ? '' : ` - ${ring[0]!.name}`}`, observer: leader };
      }
      default:
        return undefined;
    }
  }

  /** Cuts each server off from everyone not on its side; true when every server took its cut. */
  private async applyGroups(sides: Map<TestNode, TestNode[]>): Promise<boolean> {
    let ok = true;
    let any = false;
    await Promise.all(
      [...sides].map(async ([node, side]) => {
        const cut = this.cluster.nodes.filter((x) => !side.includes(x)).map((x) => this.ids.get(x)!);
        if (cut.length === 0) return;
        any = true;
        const q = cut.map((id) => `node=${id}`).join('&');
        const r = await call(node, 'PUT', `/v1/opraft/test/partition?${q}`, undefined, 3000).catch(() => undefined);
        if (r?.status !== 200) ok = false;
      }),
    );
    return ok && any;
  }

  /** The Raft term as `via` (or any running server) sees it, for the fault log. */
  private async term(via?: TestNode): Promise<string> {
    const n = via && via.running ? via : this.cluster.running()[0];
    if (!n) return '?';
    const r = await call(n, 'GET', '/v1/agent/self', undefined, 3000).catch(() => undefined);
    return r?.status === 200 ? String((r.body as { stats: { raft: Record<string, string> } }).stats.raft['term'] ?? '?') : '?';
  }
}
