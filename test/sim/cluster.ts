// A simulated cluster: N nodes (plus spare ids for membership changes) on the
// simulated network, one seeded Rng driving everything, the client workload, the
// invariant observer and the trace. Time advances in sub-steps; every node ticks
// once per `tickLen` sub-steps (each with its own phase).
import {
  defaultRaftConfig,
  EntryType,
  Role,
  type BrokenVariant,
  type Configuration,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfig,
  type ReadFailure,
  type ReadState,
} from '../../src/raft/index.ts';
import { seededRng, type Rng } from '../../src/util/random.ts';
import { Observer, type Violation } from './invariants.ts';
import type { Command } from './kv.ts';
import { Network } from './network.ts';
import { SimNode, type NodeHost } from './node.ts';
import { Scheduler } from './scheduler.ts';
import { Trace } from './trace.ts';
import { Workload } from './workload.ts';

export interface ClusterOptions {
  seed: number;
  nodes: number;
  spares: number;
  broken?: BrokenVariant;
  clients: number;
  keys: number;
  /** Sub-steps per tick. */
  tickLen: number;
  stopAtFirstViolation: boolean;
}

/** Per-seed core settings (drawn from the seed). */
export interface SimRaftSettings {
  electionTick: number;
  heartbeatTick: number;
  preVote: boolean;
  checkQuorum: boolean;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
  maxInflightBytes: number;
  maxUncommittedSize: number;
  snapshotChunkSize: number;
  /** Leader lease (ticks); undefined = electionTick (the core's default). */
  checkQuorumTick: number | undefined;
  initialNext: 'last' | 'commit';
  /** How the initial members get their configuration: PersistedState.bootstrap, or core.bootstrap() (a committed first entry). */
  bootstrap: 'persisted' | 'core';
  /** Auto-compact when the applied log exceeds this many entries. */
  compactEvery: number;
}

export interface ClusterCounters {
  ticks: number;
  crashes: number;
  crashesLostWrites: number;
  restarts: number;
  partitions: number;
  oneWayCuts: number;
  slowDisk: number;
  slowVotes: number;
  compactions: number;
  membershipChanges: number;
  addVoter: number;
  addNonVoter: number;
  promote: number;
  remove: number;
  leaderRemovals: number;
  confChangesProposed: number;
  confChangesRejected: number;
  transfersRequested: number;
  leadershipTransfers: number;
  checkpoints: number;
  unreachableReports: number;
  /** Heal-phase checks that a rejoining follower does not disturb a healthy leader. */
  rejoinChecks: number;
}

export class Cluster implements NodeHost {
  readonly sched = new Scheduler();
  readonly trace = new Trace();
  readonly rng: Rng;
  readonly observer: Observer;
  readonly net: Network;
  readonly nodes = new Map<NodeId, SimNode>();
  /** All ids, initial members first, then spares. */
  readonly ids: NodeId[] = [];
  readonly initial: NodeId[] = [];
  readonly settings: SimRaftSettings;
  readonly workload: Workload;
  readonly counters: ClusterCounters = {
    ticks: 0, crashes: 0, crashesLostWrites: 0, restarts: 0, partitions: 0, oneWayCuts: 0, slowDisk: 0, slowVotes: 0,
    compactions: 0, membershipChanges: 0, addVoter: 0, addNonVoter: 0, promote: 0, remove: 0, leaderRemovals: 0,
    confChangesProposed: 0, confChangesRejected: 0, transfersRequested: 0, leadershipTransfers: 0, checkpoints: 0,
    unreachableReports: 0, rejoinChecks: 0,
  };
  /** Ids that have ever been in a committed configuration (never reused once removed). */
  readonly everMember = new Set<NodeId>();
  stopped = false;
  private readonly phase = new Map<NodeId, number>();
  private readonly baseDisk = new Map<NodeId, number>();
  private readonly countedConfig = new Set<number>();
  private readonly bootstrap: Configuration;

  constructor(readonly opts: ClusterOptions) {
    this.rng = seededRng(opts.seed);
    this.observer = new Observer({
      seed: opts.seed,
      step: () => this.sched.now,
      onViolation: () => {
        if (this.opts.stopAtFirstViolation) this.stopped = true;
      },
    });
    const r = this.rng;
    this.settings = {
      electionTick: 10,
      heartbeatTick: r.chance(0.8) ? 1 : 2,
      preVote: r.chance(0.75),
      checkQuorum: r.chance(0.6),
      maxSizePerMsg: r.pick([120, 400, 2048, 1 << 20]),
      maxInflightMsgs: r.pick([1, 2, 4, 256]),
      maxInflightBytes: r.pick([0, 1024, 32 << 20]),
      maxUncommittedSize: r.pick([0, 4096, 64 << 20]),
      snapshotChunkSize: r.pick([24, 100, 256 << 10]),
      compactEvery: 12 + r.int(40),
      checkQuorumTick: r.chance(0.5) ? undefined : 5,
      bootstrap: r.chance(0.5) ? 'persisted' : 'core',
      initialNext: r.chance(0.5) ? 'last' : 'commit',
    };
    for (let i = 1; i <= opts.nodes + opts.spares; i++) this.ids.push(`n${i}`);
    for (let i = 0; i < opts.nodes; i++) this.initial.push(this.ids[i]!);
    this.bootstrap = { voters: [...this.initial], nonVoters: [] };
    for (const id of this.initial) this.everMember.add(id);
    this.net = new Network(this.sched, r.fork(), this.ids, (m) => this.deliver(m));
    this.net.onCut = (from, to) => {
      // A broken link is noticed by the transport now and then.
      if (this.rng.chance(0.05)) {
        this.sched.after(1, () => {
          const n = this.nodes.get(from);
          if (n?.up) {
            this.counters.unreachableReports++;
            n.reportUnreachable(to);
          }
        });
      }
    };
    for (const id of this.ids) {
      const boot = this.initial.includes(id) && this.settings.bootstrap === 'persisted' ? this.bootstrap : undefined;
      this.nodes.set(id, new SimNode(id, this, boot));
      this.phase.set(id, r.int(opts.tickLen));
      this.baseDisk.set(id, r.pick([0, 0, 1, 2]));
    }
    this.workload = new Workload(
      {
        sched: this.sched,
        observer: this.observer,
        rng: r.fork(),
        node: (id) => this.nodes.get(id),
        candidates: () => this.ids.filter((id) => this.nodes.get(id)!.up && this.isLikelyMember(id)),
      },
      { clients: opts.clients, keys: opts.keys, timeout: 3 * this.settings.electionTick * opts.tickLen },
    );
  }

  get violations(): Violation[] {
    return this.observer.violations;
  }

  /** Starts the initial members. */
  boot(): void {
    for (const id of this.initial) {
      const n = this.nodes.get(id)!;
      n.start();
      if (this.settings.bootstrap === 'core') n.bootstrap(this.bootstrap);
    }
  }

  /** One sub-step: due events, ticks, clients; the caller adds the nemesis. */
  step(extra?: () => void): void {
    const now = this.sched.now;
    this.sched.runDue(() => this.stopped);
    if (this.stopped) return;
    const tl = this.opts.tickLen;
    for (const id of this.ids) {
      const n = this.nodes.get(id)!;
      if (!n.up || (now + this.phase.get(id)!) % tl !== 0) continue;
      this.counters.ticks++;
      n.tick();
      if (this.stopped) return;
    }
    this.workload.step(now);
    if (this.stopped) return;
    extra?.();
    this.sched.now = now + 1;
  }

  private deliver(msg: Message): void {
    const n = this.nodes.get(msg.to);
    if (!n || !n.up) return;
    if (this.stopped) return;
    this.trace.add(`${this.sched.now} ${msg.from}>${msg.to} ${msg.type} t${msg.term}`);
    n.deliver(msg);
  }

  // ------------------------------------------------------------------ queries

  upNodes(): SimNode[] {
    const out: SimNode[] = [];
    for (const id of this.ids) {
      const n = this.nodes.get(id)!;
      if (n.up) out.push(n);
    }
    return out;
  }

  /** The up node that is leader with the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.upNodes()) {
      if (n.core!.role === Role.Leader && (!best || n.core!.term > best.core!.term)) best = n;
    }
    return best;
  }

  /** A rough membership test for client routing (not used for checking). */
  isLikelyMember(id: NodeId): boolean {
    return this.everMember.has(id) || this.nodes.get(id)!.applied > 0;
  }

  /**
   * The newest configuration anyone may end up with: the committed configuration
   * of the node with the most up-to-date log, plus its uncommitted config entries.
   */
  latestConfig(): Configuration {
    let best: SimNode | undefined;
    for (const n of this.upNodes()) {
      const c = n.core!;
      if (!best) best = n;
      else {
        const b = best.core!;
        if (c.lastTerm > b.lastTerm || (c.lastTerm === b.lastTerm && c.lastIndex > b.lastIndex)) best = n;
      }
    }
    if (!best) return { voters: [...this.initial], nonVoters: [] };
    const core = best.core!;
    const cfg = { voters: [...core.config.voters], nonVoters: [...core.config.nonVoters] };
    const from = Math.max(core.commitIndex + 1, core.firstIndex);
    if (from <= core.lastIndex) {
      for (const e of core.entries(from, core.lastIndex + 1)) if (e.type === EntryType.Config && e.change) applyChange(cfg, e.change);
    }
    return cfg;
  }

  /**
   * Everyone who may still be a member: the committed configuration of the node
   * with the highest commit, united with latestConfig() (uncommitted changes).
   */
  possibleMembers(): Set<NodeId> {
    const out = new Set<NodeId>();
    let best: SimNode | undefined;
    for (const n of this.upNodes()) if (!best || n.core!.commitIndex > best.core!.commitIndex) best = n;
    const committed = best ? best.core!.config : { voters: this.initial, nonVoters: [] };
    const latest = this.latestConfig();
    for (const c of [committed, latest]) for (const id of [...c.voters, ...c.nonVoters]) out.add(id);
    return out;
  }

  // ------------------------------------------------------------------ NodeHost

  makeConfig(id: NodeId): RaftConfig {
    const r = this.rng.fork();
    const s = this.settings;
    const cfg: RaftConfig = {
      ...defaultRaftConfig(id, () => r.next()),
      electionTick: s.electionTick,
      heartbeatTick: s.heartbeatTick,
      preVote: s.preVote,
      checkQuorum: s.checkQuorum,
      maxSizePerMsg: s.maxSizePerMsg,
      maxInflightMsgs: s.maxInflightMsgs,
      maxInflightBytes: s.maxInflightBytes,
      maxUncommittedSize: s.maxUncommittedSize,
      snapshotChunkSize: s.snapshotChunkSize,
      initialNext: s.initialNext,
    };
    if (s.checkQuorumTick !== undefined) cfg.checkQuorumTick = s.checkQuorumTick;
    if (this.opts.broken) cfg.broken = this.opts.broken;
    return cfg;
  }

  send(msg: Message): void {
    this.net.send(msg);
  }

  diskDelay(node: SimNode): number {
    if (node.slowDisk > 0) return node.slowDisk + this.rng.int(node.slowDisk);
    const b = this.baseDisk.get(node.id)!;
    return b === 0 ? 0 : this.rng.int(b + 1);
  }

  splitSend(): boolean {
    return this.rng.chance(0.15);
  }

  checkpointNow(): boolean {
    const yes = this.rng.chance(0.02);
    if (yes) this.counters.checkpoints++;
    return yes;
  }

  onApplied(node: SimNode, e: Entry, cmd: Command | undefined, result: boolean | undefined): void {
    if (e.type === EntryType.Config && e.change && !this.countedConfig.has(e.index)) {
      this.countedConfig.add(e.index);
      this.counters.membershipChanges++;
      this.counters[e.change.type]++;
      if (e.change.type !== 'remove') this.everMember.add(e.change.id);
      else if (this.observer.leaderOfTerm.get(e.term) === e.change.id) this.counters.leaderRemovals++;
      this.trace.add(`cfg ${e.index} ${e.change.type} ${e.change.id}`);
    }
    this.workload.onApplied(node, e, cmd, result);
  }

  onSnapshotRestored(node: SimNode, index: number): void {
    this.workload.onSnapshotRestored(node, index);
  }

  onReadState(node: SimNode, rs: ReadState): void {
    this.observer.onReadState(node.id, rs);
    this.workload.onReadState(node, rs);
  }

  onReadFailure(node: SimNode, rf: ReadFailure): void {
    this.workload.onReadFailure(node, rf);
  }

  afterApply(node: SimNode): void {
    this.workload.afterApply(node);
    const core = node.core;
    if (core && node.applied - (core.firstIndex - 1) > this.settings.compactEvery) {
      const inc = node.incarnation;
      this.sched.after(0, () => {
        if (node.incarnation === inc && node.compact()) this.counters.compactions++;
      });
    }
  }

  onCoreError(node: SimNode, what: string, err: unknown): void {
    const text = err instanceof Error ? `${err.message}${err.stack ? `\n${err.stack.split('\n').slice(1, 4).join('\n')}` : ''}` : String(err);
    this.observer.report('CORE', `${node.id} threw in ${what}: ${text}`, node.id);
  }

  // ------------------------------------------------------------------ faults used by the nemesis

  crash(node: SimNode): boolean {
    const lost = node.crash();
    this.counters.crashes++;
    if (lost) this.counters.crashesLostWrites++;
    this.workload.onCrash(node.id);
    return lost;
  }

  restart(node: SimNode): void {
    if (node.status !== 'down') return;
    this.counters.restarts++;
    node.start();
  }
}

export function applyChange(cfg: Configuration, cc: { type: string; id: NodeId }): void {
  const drop = (xs: NodeId[]): NodeId[] => xs.filter((x) => x !== cc.id);
  switch (cc.type) {
    case 'addVoter':
    case 'promote':
      cfg.nonVoters = drop(cfg.nonVoters);
      if (!cfg.voters.includes(cc.id)) cfg.voters.push(cc.id);
      break;
    case 'addNonVoter':
      if (!cfg.voters.includes(cc.id) && !cfg.nonVoters.includes(cc.id)) cfg.nonVoters.push(cc.id);
      break;
    case 'remove':
      cfg.voters = drop(cfg.voters);
      cfg.nonVoters = drop(cfg.nonVoters);
      break;
  }
}
