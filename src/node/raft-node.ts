// The runtime around the pure core: a timer that ticks it, a loop that takes each Ready,
// persists it (one synced batch), sends, applies and advances, and the futures that tell
// proposers and readers how their request ended.
import {
  EntryType,
  NONE,
  ProposalError,
  RaftCore,
  Role,
  defaultRaftConfig,
  type ConfChange,
  type Configuration,
  type Message,
  type NodeId,
  type RaftConfig,
  type Ready,
  type Snapshot,
  type SnapshotMeta,
} from '../raft/index.ts';
import type { LogPersistence, MessageLink, SnapshotPersistence, StateMachine } from './ports.ts';

export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };

/** Errors whose outcome is unknown (the write may still take effect): Part A §7. */
export class IndeterminateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndeterminateError';
  }
}

export const LEADERSHIP_LOST = 'leadership lost while committing log';
export const APPLY_TIMEOUT = 'timed out waiting for the write to commit';
export const TRANSFER_IN_PROGRESS = 'leadership transfer in progress';

export interface RaftNodeOptions<R> {
  id: NodeId;
  log: LogPersistence;
  snapshots: SnapshotPersistence;
  link: MessageLink;
  fsm: StateMachine<R>;
  /** Milliseconds per core tick. */
  tickMs: number;
  /** Overrides of the core's configuration (ticks, flow control, pre-vote…). */
  raft?: Partial<Omit<RaftConfig, 'id' | 'random'>>;
  /** Entries applied since the last snapshot before another is taken. */
  snapshotThreshold?: number;
  /** Entries kept in the log behind a snapshot, for followers that are a little behind. */
  trailingLogs?: number;
  applyTimeoutMs?: number;
  logger?: Logger;
  random?: () => number;
  /** Called once when the node stops after a fatal error (a failed disk write): the agent fails stop. */
  onFatal?: (e: Error) => void;
}

export interface NodeStatus {
  id: NodeId;
  role: Role;
  term: number;
  leader: NodeId;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  lastTerm: number;
  snapshotIndex: number;
  snapshotTerm: number;
  /** The committed configuration. */
  config: Configuration;
  /** The newest configuration in the log (maybe uncommitted) and the index of its entry. */
  latestConfig: Configuration;
  latestConfigIndex: number;
  /** Milliseconds since we last heard from the leader (0 on the leader). */
  lastContactMs: number;
}

interface PendingProposal<R> {
  term: number;
  resolve(v: { index: number; result: R | undefined }): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

interface PendingRead {
  resolve(index: number): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  index?: number;
}

export class RaftNode<R = unknown> {
  private core!: RaftCore;
  private ticker: NodeJS.Timeout | undefined;
  /** Index of the last entry handed to the state machine (ahead of core.appliedIndex until advance). */
  private appliedThrough = 0;
  private draining = false;
  private drainAgain = false;
  private stopped = false;
  private fatal: Error | undefined;
  private proposals = new Map<number, PendingProposal<R>>();
  private reads = new Map<string, PendingRead>();
  private readSeq = 0;
  private lastSnapshotIndex = 0;
  /**
   * Snapshots already on disk, oldest first, whose log compaction waits for trailingLogs more
   * entries. A queue: with one slot, each snapshot (every 8192 entries by default) replaced the
   * one still waiting out its 10,240 trailing entries, and the log was never compacted.
   */
  private pendingCompactions: Snapshot[] = [];
  private snapshotting = false;
  private lastLeaderContact = Date.now();
  private roleListeners: ((role: Role, leader: NodeId, term: number) => void)[] = [];
  private readonly log: LogPersistence;
  private readonly logger: Logger;

  private constructor(private readonly opts: RaftNodeOptions<R>) {
    this.log = opts.log;
    this.logger = opts.logger ?? silentLogger;
  }

  /** Loads persisted state, restores the state machine and builds the core (not yet ticking). */
  static async open<R>(opts: RaftNodeOptions<R>): Promise<RaftNode<R>> {
    const node = new RaftNode(opts);
    await node.load();
    return node;
  }

  private async load(): Promise<void> {
    const persisted = await this.log.load();
    const onDisk = await this.opts.snapshots.loadLatest();
    const compactedTo = persisted.snapshotMeta?.index ?? 0;
    let snapshot: Snapshot | undefined;
    if (onDisk && onDisk.meta.index >= compactedTo) snapshot = onDisk;
    else if (compactedTo > 0) {
      throw new Error(`cannot start: the log was compacted to index ${compactedTo} but no valid snapshot at or above it was found`);
    }
    let entries = persisted.entries;
    if (snapshot) {
      const s = snapshot.meta;
      const at = entries.find((e) => e.index === s.index);
      // Keep the log after the snapshot only if it continues the snapshot's history.
      if ((at && at.term === s.term) || (!at && entries.length > 0 && entries[0]!.index === s.index + 1)) {
        entries = entries.filter((e) => e.index > s.index);
      } else {
        entries = [];
      }
      this.opts.fsm.restore(snapshot.data);
      this.lastSnapshotIndex = s.index;
    }
    const random = this.opts.random ?? Math.random;
    const cfg: RaftConfig = { ...defaultRaftConfig(this.opts.id, random), ...this.opts.raft, id: this.opts.id, random };
    const state = snapshot
      ? { hardState: persisted.hardState, snapshot, entries, applied: snapshot.meta.index }
      : { hardState: persisted.hardState, entries };
    this.core = new RaftCore(cfg, state);
    this.logger.info({ term: this.core.term, commit: this.core.commitIndex, last: this.core.lastIndex, snapshot: this.lastSnapshotIndex }, 'raft state loaded');
  }

  /** Starts ticking and receiving messages. */
  start(): void {
    this.opts.link.onMessage((m) => this.receive(m));
    this.opts.link.onUnreachable((peer) => {
      if (this.stopped) return;
      this.core.reportUnreachable(peer);
    });
    this.ticker = setInterval(() => {
      if (this.stopped || this.fatal) return;
      this.core.tick();
      this.schedule();
    }, this.opts.tickMs);
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    const err = new IndeterminateError('server shutting down');
    for (const p of this.proposals.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.proposals.clear();
    for (const r of this.reads.values()) {
      clearTimeout(r.timer);
      r.reject(new Error('server shutting down'));
    }
    this.reads.clear();
    // Let an in-flight persist finish before the store closes.
    while (this.draining) await new Promise((r) => setTimeout(r, 5));
    await this.log.close();
  }

  onRoleChange(fn: (role: Role, leader: NodeId, term: number) => void): void {
    this.roleListeners.push(fn);
  }

  // ------------------------------------------------------------ requests

  /** First-time bootstrap with a known set of voters (bootstrap_expect reached). */
  bootstrap(config: Configuration): void {
    this.core.bootstrap(config);
    this.logger.info({ voters: config.voters }, 'bootstrapping the cluster');
    this.schedule();
  }

  get hasState(): boolean {
    return this.core.lastIndex > 0 || this.core.term > 0;
  }

  /** Proposes a command; resolves once it is committed and applied, with the state machine's result. */
  propose(data: Uint8Array): Promise<{ index: number; result: R | undefined }> {
    return this.track(() => this.core.propose(data));
  }

  proposeConfChange(cc: ConfChange): Promise<{ index: number; result: R | undefined }> {
    return this.track(() => this.core.proposeConfChange(cc));
  }

  private track(propose: () => { index: number; term: number }): Promise<{ index: number; result: R | undefined }> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.stopped) return Promise.reject(new Error('server shutting down'));
    let at: { index: number; term: number };
    try {
      at = propose();
    } catch (e) {
      if (e instanceof ProposalError && e.code === 'transferring') return Promise.reject(new IndeterminateError(TRANSFER_IN_PROGRESS));
      return Promise.reject(e);
    }
    this.schedule();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.proposals.get(at.index)?.timer === timer) {
          this.proposals.delete(at.index);
          reject(new IndeterminateError(APPLY_TIMEOUT));
        }
      }, this.opts.applyTimeoutMs ?? 10_000);
      this.proposals.set(at.index, { term: at.term, resolve, reject, timer });
    });
  }

  /** A linearizable read point: resolves with an index once this node has applied up to it. */
  readIndex(timeoutMs = this.opts.applyTimeoutMs ?? 10_000): Promise<number> {
    if (this.fatal) return Promise.reject(this.fatal);
    const ctx = `${this.opts.id}:${++this.readSeq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.reads.delete(ctx)) reject(new Error('timed out waiting for a read index'));
      }, timeoutMs);
      this.reads.set(ctx, { resolve, reject, timer });
      this.core.readIndex(ctx);
      this.schedule();
    });
  }

  transferLeadership(target: NodeId): void {
    this.core.transferLeadership(target);
    this.schedule();
  }

  /** Takes a snapshot now (operator-triggered or tests), if anything was applied since the last one. */
  async snapshotNow(): Promise<SnapshotMeta | undefined> {
    return this.takeSnapshot(true);
  }

  /** The term of the entry at index (the snapshot's term at its index; undefined when unknown). */
  termAt(index: number): number | undefined {
    if (index === this.core.snapshotMeta.index) return this.core.snapshotMeta.term;
    return this.core.termAt(index);
  }

  /** The leader's view of a follower's replication (undefined when not leader). */
  progress(id: NodeId): ReturnType<RaftCore['progress']> {
    return this.core.progress(id);
  }

  status(): NodeStatus {
    const c = this.core;
    const latest = c.latestConfiguration();
    return {
      id: c.id,
      role: c.role,
      term: c.term,
      leader: c.leader,
      commitIndex: c.commitIndex,
      appliedIndex: this.lastAppliedInBatch(),
      lastIndex: c.lastIndex,
      lastTerm: c.lastTerm,
      snapshotIndex: c.snapshotMeta.index,
      snapshotTerm: c.snapshotMeta.term,
      config: c.config,
      latestConfig: latest.config,
      latestConfigIndex: latest.index,
      lastContactMs: c.role === Role.Leader ? 0 : Date.now() - this.lastLeaderContact,
    };
  }

  // ------------------------------------------------------------ the loop

  private receive(m: Message): void {
    if (this.stopped || this.fatal) return;
    if ((m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') && m.term >= this.core.term) {
      this.lastLeaderContact = Date.now();
    }
    try {
      this.core.step(m);
    } catch (e) {
      this.die(e as Error);
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    setImmediate(() => {
      this.drain()
        .catch((e: Error) => this.die(e))
        .finally(() => {
          this.draining = false;
          if (this.drainAgain && !this.stopped && !this.fatal) {
            this.drainAgain = false;
            this.schedule();
          }
        });
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && !this.fatal && this.core.hasReady()) {
      this.drainAgain = false;
      const rd = this.core.ready();
      for (const m of rd.eagerMessages) this.opts.link.send(m.to, m);
      // Entries committed before this Ready's new ones are durable here and on a quorum: apply them
      // (and answer their clients) now rather than after this Ready's fsync.
      const early = !rd.snapshot && (rd.entries.length === 0 || rd.committedEntries.length === 0 || rd.committedEntries[rd.committedEntries.length - 1]!.index < rd.entries[0]!.index);
      if (early) this.apply(rd);
      await this.persist(rd);
      for (const m of rd.messages) this.opts.link.send(m.to, m);
      if (!early) this.apply(rd);
      this.core.advance();
      if (rd.softState) this.onSoftState(rd);
      await this.maybeSnapshot();
    }
  }

  private async persist(rd: Ready): Promise<void> {
    if (rd.snapshot) {
      // The file first: a crash before the log batch restarts from the snapshot (it is committed data).
      await this.opts.snapshots.save(rd.snapshot.meta, rd.snapshot.data);
    }
    if (rd.snapshot || rd.entries.length > 0 || rd.hardState) {
      const batch: { snapshotMeta?: SnapshotMeta; entries: typeof rd.entries; hardState?: typeof rd.hardState } = { entries: rd.entries };
      if (rd.snapshot) batch.snapshotMeta = rd.snapshot.meta;
      if (rd.hardState) batch.hardState = rd.hardState;
      await this.log.persist(batch);
    }
  }

  private apply(rd: Ready): void {
    if (rd.snapshot) {
      this.opts.fsm.restore(rd.snapshot.data);
      this.lastSnapshotIndex = rd.snapshot.meta.index;
      this.appliedThrough = Math.max(this.appliedThrough, rd.snapshot.meta.index);
      this.pendingCompactions = [];
      this.logger.info({ index: rd.snapshot.meta.index, term: rd.snapshot.meta.term }, 'installed snapshot from the leader');
      // Proposals at or below the snapshot point cannot be matched to their result any more.
      for (const [index, p] of this.proposals) {
        if (index <= rd.snapshot.meta.index) {
          clearTimeout(p.timer);
          this.proposals.delete(index);
          p.reject(new IndeterminateError(LEADERSHIP_LOST));
        }
      }
    }
    for (const e of rd.committedEntries) {
      this.appliedThrough = e.index;
      let result: R | undefined;
      if (e.type === EntryType.Normal) result = this.opts.fsm.apply(e.index, e.data);
      else if (e.type === EntryType.Config) this.logger.info({ index: e.index, config: e.config ?? e.change }, 'configuration change committed');
      const p = this.proposals.get(e.index);
      if (p) {
        this.proposals.delete(e.index);
        clearTimeout(p.timer);
        if (p.term === e.term) p.resolve({ index: e.index, result });
        else p.reject(new IndeterminateError(LEADERSHIP_LOST));
      }
    }
    for (const rs of rd.readStates) {
      const r = this.reads.get(rs.context);
      if (r) r.index = rs.index;
    }
    for (const rf of rd.readFailures) {
      const r = this.reads.get(rf.context);
      if (r) {
        this.reads.delete(rf.context);
        clearTimeout(r.timer);
        r.reject(new Error(rf.reason));
      }
    }
    this.releaseReads();
  }

  /** Reads whose index has been applied can be served now. */
  private releaseReads(): void {
    const applied = this.lastAppliedInBatch();
    for (const [ctx, r] of this.reads) {
      if (r.index !== undefined && r.index <= applied) {
        this.reads.delete(ctx);
        clearTimeout(r.timer);
        r.resolve(r.index);
      }
    }
  }

  /**
   * The index the state machine has applied. The core learns it only at advance(), after the
   * Ready's fsync; entries applied early (drain) are already in the state: reads must not wait
   * for them, and a snapshot taken meanwhile must be labelled with them (it contains them).
   */
  private lastAppliedInBatch(): number {
    return Math.max(this.core.appliedIndex, this.appliedThrough);
  }

  private onSoftState(rd: Ready): void {
    const s = rd.softState!;
    this.logger.info({ role: s.role, leader: s.leader || null, term: this.core.term }, s.role === Role.Leader ? 'became leader' : `now ${s.role}`);
    if (s.role !== Role.Leader && this.proposals.size > 0) {
      for (const p of this.proposals.values()) {
        clearTimeout(p.timer);
        p.reject(new IndeterminateError(LEADERSHIP_LOST));
      }
      this.proposals.clear();
    }
    if (s.leader !== NONE) this.lastLeaderContact = Date.now();
    for (const fn of this.roleListeners) fn(s.role, s.leader, this.core.term);
  }

  private async maybeSnapshot(): Promise<void> {
    const threshold = this.opts.snapshotThreshold ?? 8192;
    const trailing = this.opts.trailingLogs ?? 10240;
    const applied = this.lastAppliedInBatch();
    // The newest waiting snapshot that trailingLogs entries have passed is the new start of the log.
    let due: Snapshot | undefined;
    while (this.pendingCompactions.length > 0 && applied >= this.pendingCompactions[0]!.meta.index + trailing) due = this.pendingCompactions.shift();
    if (due && due.meta.index > this.core.snapshotMeta.index) {
      this.core.compact(due.meta.index, due.data);
      await this.log.compact(this.core.snapshotMeta);
      this.logger.info({ index: due.meta.index }, 'compacted the log');
    }
    if (applied - this.lastSnapshotIndex >= threshold) await this.takeSnapshot(false);
  }

  private async takeSnapshot(force: boolean): Promise<SnapshotMeta | undefined> {
    if (this.snapshotting) return undefined;
    const index = this.lastAppliedInBatch();
    if (index <= this.lastSnapshotIndex && !force) return undefined;
    if (index === 0 || index <= this.core.snapshotMeta.index) return undefined;
    this.snapshotting = true;
    try {
      const data = this.opts.fsm.snapshot();
      const meta: SnapshotMeta = { index, term: this.core.termAt(index)!, config: this.core.configurationAt(index) };
      await this.opts.snapshots.save(meta, data);
      this.lastSnapshotIndex = index;
      this.pendingCompactions.push({ meta, data });
      this.logger.info({ index, term: meta.term, bytes: data.length }, 'snapshot saved');
      return meta;
    } finally {
      this.snapshotting = false;
    }
  }

  private die(e: Error): void {
    if (this.fatal) return;
    this.fatal = e;
    this.logger.error({ err: e.message }, 'raft node stopped after a fatal error');
    for (const p of this.proposals.values()) {
      clearTimeout(p.timer);
      p.reject(new IndeterminateError(e.message));
    }
    this.proposals.clear();
    for (const r of this.reads.values()) {
      clearTimeout(r.timer);
      r.reject(e);
    }
    this.reads.clear();
    this.opts.onFatal?.(e);
  }
}
