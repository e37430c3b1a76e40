// A small synchronous network of RaftCore nodes for scenario tests, in the spirit of
// etcd's raft_test.go `network`: deliver, drop, cut, isolate, stabilize, crash, restart.
// Storage is in memory with an explicit durable copy, so a crash loses what was not synced.
import {
  RaftCore,
  defaultRaftConfig,
  EntryType,
  type Configuration,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type PersistedState,
  type RaftConfig,
  type ReadFailure,
  type ReadState,
  type Ready,
  type Snapshot,
} from '../../src/raft/index.ts';
import { seededRng, type Rng } from '../../src/util/random.ts';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Durable state of one node: what survives a crash. */
export class MemStorage {
  hardState: HardState = { term: 0, vote: '', commit: 0 };
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];

  persist(rd: Ready): void {
    if (rd.snapshot) {
      this.snapshot = rd.snapshot;
      this.entries = [];
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      const base = this.snapshot?.meta.index ?? 0;
      this.entries = this.entries.slice(0, Math.max(0, first - base - 1)).concat(rd.entries);
    }
    if (rd.hardState) this.hardState = { ...rd.hardState };
  }

  compact(snapshot: Snapshot): void {
    const drop = snapshot.meta.index - (this.snapshot?.meta.index ?? 0);
    this.entries = this.entries.slice(drop);
    this.snapshot = snapshot;
  }

  load(bootstrap?: Configuration): PersistedState {
    const st: PersistedState = { hardState: { ...this.hardState }, entries: this.entries.slice() };
    if (this.snapshot) st.snapshot = this.snapshot;
    if (bootstrap) st.bootstrap = bootstrap;
    return st;
  }
}

export interface NetOptions {
  preVote?: boolean;
  checkQuorum?: boolean;
  electionTick?: number;
  heartbeatTick?: number;
  seed?: number;
  /** Adjusts each node's config (e.g. flow-control limits, a broken variant). */
  configure?: (cfg: RaftConfig) => void;
  /** Voters/non-voters at bootstrap; default: all ids as voters. */
  bootstrap?: Configuration;
}

export class TestNode {
  core: RaftCore;
  storage = new MemStorage();
  /** Normal entries applied, in order (Noop/Config entries are recorded in appliedAll). */
  applied: Entry[] = [];
  appliedAll: Entry[] = [];
  readStates: ReadState[] = [];
  readFailures: ReadFailure[] = [];
  /**
   * Slow disk: when true, processReady hands the Ready out (eager messages leave at once)
   * but persisting, sending `messages`, applying and advance() wait for net.sync(id).
   * A crash in between loses that Ready's writes.
   */
  manualSync = false;
  /** The Ready handed out and not yet synced (manualSync only). */
  unsynced: Ready | undefined;

  constructor(
    public readonly id: NodeId,
    private readonly makeConfig: () => RaftConfig,
    private readonly bootstrap: Configuration | undefined,
  ) {
    this.core = new RaftCore(makeConfig(), this.storage.load(bootstrap));
  }

  restart(): void {
    this.unsynced = undefined;
    this.applied = [];
    this.appliedAll = [];
    this.core = new RaftCore(this.makeConfig(), this.storage.load(this.bootstrap));
  }
}

export class Net {
  nodes = new Map<NodeId, TestNode>();
  /** Messages in flight, in send order. */
  queue: Message[] = [];
  /** Every message ever delivered (or dropped), for assertions. */
  log: Message[] = [];
  private cuts = new Set<string>();
  private dropTypes = new Set<Message['type']>();
  /** Return false to drop a message. */
  hook: ((m: Message) => boolean) | undefined;
  readonly rng: Rng;
  readonly opts: NetOptions;

  constructor(ids: NodeId[], opts: NetOptions = {}) {
    this.opts = opts;
    this.rng = seededRng(opts.seed ?? 1);
    const bootstrap = opts.bootstrap ?? { voters: ids.slice().sort(), nonVoters: [] };
    for (const id of ids) this.addNode(id, bootstrap);
  }

  makeConfig(id: NodeId): RaftConfig {
    const r = this.rng.fork();
    const cfg = defaultRaftConfig(id, () => r.next());
    cfg.preVote = this.opts.preVote ?? false;
    cfg.checkQuorum = this.opts.checkQuorum ?? false;
    cfg.electionTick = this.opts.electionTick ?? 10;
    cfg.heartbeatTick = this.opts.heartbeatTick ?? 1;
    this.opts.configure?.(cfg);
    return cfg;
  }

  /** Adds a node; `bootstrap` undefined means it starts knowing no configuration (a joining server). */
  addNode(id: NodeId, bootstrap?: Configuration): TestNode {
    const n = new TestNode(id, () => this.makeConfig(id), bootstrap);
    this.nodes.set(id, n);
    return n;
  }

  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }
  core(id: NodeId): RaftCore {
    return this.node(id).core;
  }

  // ---- faults
  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(`${a}>${b}`);
    this.cuts.add(`${b}>${a}`);
  }
  cutOneWay(from: NodeId, to: NodeId): void {
    this.cuts.add(`${from}>${to}`);
  }
  isolate(a: NodeId): void {
    for (const b of this.nodes.keys()) if (b !== a) this.cut(a, b);
  }
  recover(): void {
    this.cuts.clear();
    this.dropTypes.clear();
    this.hook = undefined;
  }
  ignore(type: Message['type']): void {
    this.dropTypes.add(type);
  }

  private passes(m: Message): boolean {
    if (this.cuts.has(`${m.from}>${m.to}`)) return false;
    if (this.dropTypes.has(m.type)) return false;
    if (this.hook && !this.hook(m)) return false;
    return this.nodes.has(m.to);
  }

  // ---- driving
  /** Processes one node's Ready: eager sends, persist, sends, apply, advance. */
  processReady(id: NodeId): boolean {
    const n = this.node(id);
    if (!n.core.hasReady()) return false;
    const rd = n.core.ready();
    this.queue.push(...rd.eagerMessages);
    if (n.manualSync) {
      n.unsynced = rd;
      return true;
    }
    this.finishReady(n, rd);
    return true;
  }

  /** Completes the slow disk's sync of a held Ready: persist, send, apply, advance. */
  sync(id: NodeId): boolean {
    const n = this.node(id);
    const rd = n.unsynced;
    if (!rd) return false;
    n.unsynced = undefined;
    this.finishReady(n, rd);
    return true;
  }

  private finishReady(n: TestNode, rd: Ready): void {
    n.storage.persist(rd);
    this.queue.push(...rd.messages);
    for (const e of rd.committedEntries) {
      n.appliedAll.push(e);
      if (e.type === EntryType.Normal) n.applied.push(e);
    }
    n.readStates.push(...rd.readStates);
    n.readFailures.push(...rd.readFailures);
    n.core.advance();
  }

  /** Processes every node's Ready once. */
  processAll(): boolean {
    let any = false;
    for (const id of this.nodes.keys()) if (this.processReady(id)) any = true;
    return any;
  }

  /** Delivers the queued messages (those queued now, not ones sent in reply). */
  deliver(): number {
    const batch = this.queue;
    this.queue = [];
    let n = 0;
    for (const m of batch) {
      this.log.push(m);
      if (!this.passes(m)) continue;
      this.node(m.to).core.step(m);
      n++;
    }
    return n;
  }

  /** Runs Ready processing and delivery until nothing moves. */
  stabilize(maxRounds = 1000): void {
    for (let i = 0; i < maxRounds; i++) {
      const processed = this.processAll();
      if (!processed && this.queue.length === 0) return;
      this.deliver();
    }
    throw new Error('stabilize: did not quiesce');
  }

  tick(id: NodeId, k = 1): void {
    for (let i = 0; i < k; i++) this.core(id).tick();
  }
  tickAll(k = 1): void {
    for (let i = 0; i < k; i++) for (const n of this.nodes.values()) n.core.tick();
  }
  /** Ticks every node k times, stabilizing after each tick. */
  run(k: number): void {
    for (let i = 0; i < k; i++) {
      this.tickAll();
      this.stabilize();
    }
  }

  campaign(id: NodeId): void {
    this.core(id).campaign();
    this.stabilize();
  }

  propose(id: NodeId, data: string): { index: number; term: number } {
    const r = this.core(id).propose(enc(data));
    this.stabilize();
    return r;
  }

  /** Crash and restart: unsynced writes (a held Ready) are lost; in-flight messages to and from it vanish. */
  restart(id: NodeId): void {
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
    this.node(id).restart();
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()].filter((n) => n.core.role === 'leader').map((n) => n.id);
  }

  /** The (index, term) pairs of a node's log, from its first index. */
  logTerms(id: NodeId): number[] {
    const c = this.core(id);
    return c.entries(c.firstIndex, c.lastIndex + 1).map((e) => e.term);
  }

  appliedData(id: NodeId): string[] {
    return this.node(id).applied.map((e) => dec(e.data));
  }
}

export type { Message, NodeId, Entry };
