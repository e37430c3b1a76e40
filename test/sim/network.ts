// Simulated network in virtual time: per-message delay, random drop, duplication
// and reordering (extra delay); symmetric partitions and one-way cuts (counted,
// so overlapping faults heal independently); hooks to inspect or drop messages.
// Every message is deep-copied when sent, so sender and receiver never share data.
import type { Entry, Message, NodeId, SnapshotMeta } from '../../src/raft/index.ts';
import type { Rng } from '../../src/util/random.ts';
import type { Scheduler } from './scheduler.ts';

export interface NetworkStats {
  sent: number;
  delivered: number;
  /** Lost to the random drop rate. */
  dropped: number;
  /** Lost to a partition or a one-way cut (at send or while in flight). */
  cutDropped: number;
  /** Lost to a hook. */
  hookDropped: number;
  duplicated: number;
  /** Delivered after a later-sent message on the same link. */
  reordered: number;
}

/** Return 'drop' to discard the message. Called at send time, before delays are drawn. */
export type MessageHook = (msg: Message) => 'drop' | void;

export interface Envelope {
  msg: Message;
  /** Per-link send sequence number (for reorder accounting). */
  linkSeq: number;
}

/** Deep copy of an entry, whatever optional fields it carries (change, config, ...). */
export function cloneEntry(e: Entry): Entry {
  const c: Entry = { ...e, data: e.data.slice() };
  if (e.change) c.change = { ...e.change };
  if (e.config) c.config = { voters: [...e.config.voters], nonVoters: [...e.config.nonVoters] };
  return c;
}

function cloneMeta(m: SnapshotMeta): SnapshotMeta {
  return { index: m.index, term: m.term, config: { voters: [...m.config.voters], nonVoters: [...m.config.nonVoters] } };
}

export function cloneMessage(m: Message): Message {
  switch (m.type) {
    case 'app':
      return { ...m, entries: m.entries.map(cloneEntry) };
    case 'snap':
      return { ...m, meta: cloneMeta(m.meta), data: m.data.slice() };
    default:
      return { ...m };
  }
}

export class Network {
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, cutDropped: 0, hookDropped: 0, duplicated: 0, reordered: 0 };
  /** Probability that a message is lost. */
  dropRate = 0;
  /** Probability that a message is delivered twice. */
  dupRate = 0;
  /** Probability that a message gets an extra delay (and so overtakes/gets overtaken). */
  reorderRate = 0;
  /** Base delay range [min, max] in sub-steps. */
  minDelay = 1;
  maxDelay = 3;
  /** Extra delay per message (e.g. slow vote traffic), 0 for none. */
  extraDelay: ((msg: Message) => number) | undefined;
  /** Called (synchronously) when a message hits a cut link, so the transport can report it unreachable. */
  onCut: ((from: NodeId, to: NodeId) => void) | undefined;
  private readonly hooks: MessageHook[] = [];
  private readonly index = new Map<NodeId, number>();
  private readonly n: number;
  private readonly blocked: Int32Array;
  private readonly linkSent: Int32Array;
  private readonly linkDelivered: Int32Array;

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: Rng,
    ids: readonly NodeId[],
    private readonly deliver: (msg: Message) => void,
  ) {
    ids.forEach((id, i) => this.index.set(id, i));
    this.n = ids.length;
    this.blocked = new Int32Array(this.n * this.n);
    this.linkSent = new Int32Array(this.n * this.n);
    this.linkDelivered = new Int32Array(this.n * this.n).fill(-1);
  }

  private link(from: NodeId, to: NodeId): number {
    const a = this.index.get(from);
    const b = this.index.get(to);
    if (a === undefined || b === undefined) return -1;
    return a * this.n + b;
  }

  addHook(hook: MessageHook): () => void {
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  /** Cuts the directed link from → to (counted: each cut needs its own uncut). */
  cut(from: NodeId, to: NodeId): void {
    const l = this.link(from, to);
    if (l >= 0) this.blocked[l]!++;
  }

  uncut(from: NodeId, to: NodeId): void {
    const l = this.link(from, to);
    if (l >= 0 && this.blocked[l]! > 0) this.blocked[l]!--;
  }

  /** Cuts every link between the two groups, both ways. Returns the cuts made (pass to heal). */
  partition(a: readonly NodeId[], b: readonly NodeId[]): [NodeId, NodeId][] {
    const cuts: [NodeId, NodeId][] = [];
    for (const x of a) {
      for (const y of b) {
        if (x === y) continue;
        this.cut(x, y);
        this.cut(y, x);
        cuts.push([x, y], [y, x]);
      }
    }
    return cuts;
  }

  /** Cuts `id` off from every other node, both ways. */
  isolate(id: NodeId, all: readonly NodeId[]): [NodeId, NodeId][] {
    return this.partition([id], all.filter((x) => x !== id));
  }

  heal(cuts: readonly [NodeId, NodeId][]): void {
    for (const [x, y] of cuts) this.uncut(x, y);
  }

  /** All links up, no loss, duplication or reordering. */
  healAll(): void {
    this.blocked.fill(0);
    this.dropRate = 0;
    this.dupRate = 0;
    this.reorderRate = 0;
    this.extraDelay = undefined;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    const l = this.link(from, to);
    return l >= 0 && this.blocked[l]! > 0;
  }

  get anyCut(): boolean {
    for (let i = 0; i < this.blocked.length; i++) if (this.blocked[i]! > 0) return true;
    return false;
  }

  send(msg: Message): void {
    this.stats.sent++;
    for (const hook of this.hooks) {
      if (hook(msg) === 'drop') {
        this.stats.hookDropped++;
        return;
      }
    }
    const l = this.link(msg.from, msg.to);
    if (l < 0) {
      this.stats.cutDropped++;
      return;
    }
    if (this.blocked[l]! > 0) {
      this.stats.cutDropped++;
      this.onCut?.(msg.from, msg.to);
      return;
    }
    if (this.dropRate > 0 && this.rng.chance(this.dropRate)) {
      this.stats.dropped++;
      return;
    }
    const linkSeq = this.linkSent[l]!++;
    const copies = this.dupRate > 0 && this.rng.chance(this.dupRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let c = 0; c < copies; c++) {
      let delay = this.minDelay + this.rng.int(this.maxDelay - this.minDelay + 1);
      if (this.reorderRate > 0 && this.rng.chance(this.reorderRate)) delay += 2 + this.rng.int(12);
      if (this.extraDelay) delay += this.extraDelay(msg);
      const env: Envelope = { msg: cloneMessage(msg), linkSeq };
      this.sched.after(delay, () => this.arrive(env, l));
    }
  }

  private arrive(env: Envelope, l: number): void {
    if (this.blocked[l]! > 0) {
      this.stats.cutDropped++;
      return;
    }
    if (env.linkSeq < this.linkDelivered[l]!) this.stats.reordered++;
    else this.linkDelivered[l] = env.linkSeq;
    this.stats.delivered++;
    this.deliver(env.msg);
  }
}
