// One simulated server: a RaftCore, its storage and the replicated KV state
// machine, driven through the Ready contract of src/raft/API.md:
//   1. eagerMessages go out at once;
//   2. snapshot/entries/hardState are staged, then synced (possibly after a
//      slow-disk delay, during which steps and ticks continue);
//   3. only after the sync completes do `messages` go out (optionally one step
//      later, to open a crash window between sync and send);
//   4. the snapshot (if any) and committedEntries are applied, read states served;
//   5. advance().
// A crash drops the core, the outstanding Ready and unsynced writes; start()
// rebuilds everything from storage.load().
import {
  EntryType,
  ProposalError,
  RaftCore,
  type ConfChange,
  type Configuration,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfig,
  type ReadFailure,
  type ReadState,
  type Ready,
} from '../../src/raft/index.ts';
import { hashBytes } from './hash.ts';
import type { Observer } from './invariants.ts';
import { decodeCommand, KvStore, type Command } from './kv.ts';
import type { Scheduler } from './scheduler.ts';
import { SimStorage } from './storage.ts';
import type { Trace } from './trace.ts';

export interface NodeHost {
  readonly sched: Scheduler;
  readonly observer: Observer;
  readonly trace: Trace;
  makeConfig(id: NodeId): RaftConfig;
  send(msg: Message): void;
  /** Sub-steps until a sync started now completes (0 = synchronous). */
  diskDelay(node: SimNode): number;
  /** Whether to send a synced Ready's messages one step after the sync (crash window). */
  splitSend(node: SimNode): boolean;
  /** Whether to durably checkpoint the application state after this apply batch. */
  checkpointNow(node: SimNode): boolean;
  onApplied(node: SimNode, e: Entry, cmd: Command | undefined, result: boolean | undefined): void;
  onSnapshotRestored(node: SimNode, index: number): void;
  onReadState(node: SimNode, rs: ReadState): void;
  onReadFailure(node: SimNode, rf: ReadFailure): void;
  /** After an apply batch: serve reads waiting for this node's applied index. */
  afterApply(node: SimNode): void;
  onCoreError(node: SimNode, what: string, err: unknown): void;
}

export type NodeStatus = 'down' | 'up' | 'stopped';
export type CrashPoint = 'stage' | 'sync' | 'send';

function persists(rd: Ready): boolean {
  return rd.entries.length > 0 || rd.hardState !== undefined || rd.snapshot !== undefined;
}

export class SimNode {
  readonly storage: SimStorage;
  core: RaftCore | null = null;
  kv = new KvStore();
  applied = 0;
  /** Bumped on every start and crash; stale scheduled callbacks compare it. */
  incarnation = 0;
  status: NodeStatus = 'down';
  /** A Ready is outstanding (taken, not yet advanced). */
  busy = false;
  /** Extra sync delay (slow disk fault), in sub-steps. */
  slowDisk = 0;
  /**
   * An armed crash (nemesis): fires at the next Ready of this node reaching the
   * point: 'stage' (persistent writes staged, not synced), 'sync' (synced, its
   * messages not sent) or 'send' (messages sent, nothing applied or advanced).
   */
  armedCrash: { point: CrashPoint; fire: () => void } | undefined;

  constructor(
    readonly id: NodeId,
    private readonly host: NodeHost,
    /** Initial members start from the bootstrap configuration; joiners know nothing. */
    bootstrap: Configuration | undefined,
  ) {
    this.storage = new SimStorage(bootstrap);
  }

  get up(): boolean {
    return this.status === 'up' && this.core !== null;
  }

  start(): void {
    const { persisted, checkpoint } = this.storage.load();
    this.incarnation++;
    this.busy = false;
    let core: RaftCore;
    try {
      core = new RaftCore(this.host.makeConfig(this.id), persisted);
    } catch (err) {
      this.status = 'down';
      this.host.onCoreError(this, 'restart', err);
      return;
    }
    this.core = core;
    if (checkpoint) {
      this.kv = KvStore.deserialize(checkpoint.data);
      this.applied = checkpoint.applied;
    } else if (persisted.snapshot) {
      this.kv = KvStore.deserialize(persisted.snapshot.data);
      this.applied = persisted.snapshot.meta.index;
    } else {
      this.kv = new KvStore();
      this.applied = 0;
    }
    this.status = 'up';
    this.host.observer.attach(this.id, core, persisted);
    this.host.observer.setApplied(this.id, this.applied);
    this.host.trace.add(`${this.host.sched.now} start ${this.id} t${core.term} c${core.commitIndex} l${core.lastIndex}`);
    this.pump();
  }

  /** Crash: in-memory state and unsynced writes are lost. Returns whether unsynced writes were lost. */
  crash(): boolean {
    const lost = this.storage.crash();
    this.armedCrash = undefined;
    this.core = null;
    this.busy = false;
    this.incarnation++;
    if (this.status === 'up') this.status = 'down';
    this.host.observer.detach(this.id);
    this.host.trace.add(`${this.host.sched.now} crash ${this.id} ${lost ? 'lost' : 'clean'}`);
    return lost;
  }

  /** Permanent shutdown (removed from the cluster). */
  stop(): void {
    if (this.core) this.crash();
    this.status = 'stopped';
  }

  /** First-time bootstrap through the core (writes a committed first config entry). */
  bootstrap(config: Configuration): void {
    this.quiet('bootstrap', (c) => c.bootstrap(config));
  }

  tick(): void {
    this.quiet('tick', (c) => c.tick());
  }

  deliver(msg: Message): void {
    this.quiet('step', (c) => c.step(msg));
  }

  propose(data: Uint8Array): { index: number; term: number } {
    return this.act('propose', (c) => c.propose(data));
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    return this.act('proposeConfChange', (c) => c.proposeConfChange(cc));
  }

  readIndex(context: string): void {
    this.act('readIndex', (c) => c.readIndex(context));
  }

  transferLeadership(target: NodeId): void {
    this.act('transferLeadership', (c) => c.transferLeadership(target));
  }

  reportUnreachable(id: NodeId): void {
    this.quiet('reportUnreachable', (c) => c.reportUnreachable(id));
  }

  /**
   * Snapshot the application at its applied index and compact the log there.
   * Only between Ready cycles. Returns whether it compacted.
   */
  compact(): boolean {
    const core = this.core;
    if (!core || this.busy || this.applied <= core.firstIndex - 1) return false;
    const index = this.applied;
    const data = this.kv.serialize();
    if (!this.quiet('compact', (c) => c.compact(index, data)) || !this.core) return false;
    const meta = this.core.snapshotMeta;
    if (meta.index !== index) {
      this.host.onCoreError(this, 'compact', new Error(`compact(${index}) left snapshot index ${meta.index}`));
      return false;
    }
    this.storage.compact({ meta, data });
    this.host.observer.recordSnapshot(this.id, meta.index, meta.term, hashBytes(data));
    return true;
  }

  /** act() for operations whose errors the caller does not handle; false if it failed. */
  private quiet(what: string, fn: (core: RaftCore) => void): boolean {
    if (!this.core) return false;
    try {
      this.act(what, fn);
      return true;
    } catch (err) {
      if (err instanceof ProposalError) return false;
      throw err;
    }
  }

  /** Runs one core operation, then the invariant checks and the Ready cycle. ProposalErrors propagate. */
  private act<T>(what: string, fn: (core: RaftCore) => T): T {
    const core = this.core;
    if (!core) throw new ProposalError('not-leader', `${this.id} is down`);
    let out: T;
    try {
      out = fn(core);
    } catch (err) {
      if (err instanceof ProposalError) {
        this.host.observer.afterAction(this.id);
        throw err;
      }
      this.host.onCoreError(this, what, err);
      throw new ProposalError('invalid', `core error in ${what}`);
    }
    this.host.observer.afterAction(this.id);
    this.pump();
    return out;
  }

  /** Takes Ready batches while none is outstanding. */
  pump(): void {
    while (this.core && !this.busy) {
      const core = this.core;
      let rd: Ready;
      try {
        if (!core.hasReady()) return;
        rd = core.ready();
      } catch (err) {
        this.host.onCoreError(this, 'ready', err);
        return;
      }
      const obs = this.host.observer;
      obs.afterAction(this.id);
      const ackTerms = obs.onReady(this.id, rd);
      for (const m of rd.eagerMessages) this.emit(m, -1);
      this.storage.stage(rd);
      if (this.crashPoint('stage', rd)) return;
      const delay = this.host.diskDelay(this);
      if (delay > 0) {
        this.busy = true;
        const inc = this.incarnation;
        this.host.sched.after(delay, () => {
          if (inc === this.incarnation) this.synced(rd, ackTerms, inc);
        });
        return;
      }
      this.busy = true;
      this.storage.sync();
      obs.onSynced(this.id, this.storage.hardState());
      if (this.crashPoint('sync', rd)) return;
      this.finish(rd, ackTerms);
    }
  }

  /** Fires an armed crash at this point of the Ready cycle. True if the node crashed. */
  private crashPoint(point: CrashPoint, rd: Ready): boolean {
    const a = this.armedCrash;
    if (!a || a.point !== point) return false;
    if (point === 'send' ? rd.messages.length === 0 : !persists(rd)) return false;
    this.armedCrash = undefined;
    a.fire();
    return this.core === null;
  }

  private synced(rd: Ready, ackTerms: number[], inc: number): void {
    this.storage.sync();
    this.host.observer.onSynced(this.id, this.storage.hardState());
    if (this.crashPoint('sync', rd)) return;
    if (this.host.splitSend(this)) {
      this.host.sched.after(1, () => {
        if (inc !== this.incarnation) return;
        this.finish(rd, ackTerms);
        this.pump();
      });
      return;
    }
    this.finish(rd, ackTerms);
    this.pump();
  }

  private emit(m: Message, ackTerm: number): void {
    if (m.from !== this.id) {
      this.host.onCoreError(this, 'send', new Error(`message from ${m.from} emitted by ${this.id}`));
      return;
    }
    this.host.observer.onSend(this.id, m, this.storage, ackTerm);
    this.host.send(m);
  }

  private finish(rd: Ready, ackTerms: number[]): void {
    const core = this.core!;
    const obs = this.host.observer;
    for (let i = 0; i < rd.messages.length; i++) this.emit(rd.messages[i]!, ackTerms[i]!);
    if (this.crashPoint('send', rd)) return;
    if (rd.snapshot) {
      this.kv = KvStore.deserialize(rd.snapshot.data);
      this.applied = rd.snapshot.meta.index;
      obs.onSnapshotRestored(this.id, rd.snapshot.meta, hashBytes(rd.snapshot.data));
      this.host.onSnapshotRestored(this, rd.snapshot.meta.index);
    }
    for (const e of rd.committedEntries) this.apply(e);
    for (const rs of rd.readStates) this.host.onReadState(this, rs);
    for (const rf of rd.readFailures) this.host.onReadFailure(this, rf);
    try {
      core.advance();
    } catch (err) {
      this.host.onCoreError(this, 'advance', err);
    }
    this.busy = false;
    if (!this.core) return;
    obs.afterAction(this.id);
    if (rd.committedEntries.length > 0 && this.host.checkpointNow(this)) {
      this.storage.saveCheckpoint(this.applied, this.kv.serialize());
    }
    if (rd.committedEntries.length > 0 || rd.snapshot || rd.readStates.length > 0) this.host.afterApply(this);
  }

  private apply(e: Entry): void {
    let cmd: Command | undefined;
    let result: boolean | undefined;
    if (e.type === EntryType.Normal) {
      cmd = decodeCommand(e.data);
      if (cmd) result = this.kv.apply(cmd);
    }
    this.host.observer.onApply(this.id, e, cmd?.id, result);
    this.applied = e.index;
    this.host.onApplied(this, e, cmd, result);
  }
}
