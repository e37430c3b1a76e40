// A hand-driven stand-in for RaftCore's read-only view, for self-tests of the
// invariant observer: set fields and the log directly, then call afterAction.
import {
  EntryType,
  Role,
  type Configuration,
  type Entry,
  type NodeId,
  type ProgressView,
  type SnapshotMeta,
} from '../../src/raft/index.ts';
import type { CoreView } from './invariants.ts';

export function ent(index: number, term: number, data = `e${index}`, type = EntryType.Normal): Entry {
  return { index, term, type, data: new TextEncoder().encode(data) };
}

export function cfgEnt(index: number, term: number, change: { type: 'addVoter' | 'addNonVoter' | 'promote' | 'remove'; id: NodeId }): Entry {
  return { index, term, type: EntryType.Config, data: new Uint8Array(0), change };
}

export class FakeCore implements CoreView {
  term = 0;
  vote: NodeId = '';
  role: Role = Role.Follower;
  commitIndex = 0;
  appliedIndex = 0;
  stableIndex = 0;
  /** Entries after the snapshot. */
  log: Entry[] = [];
  snap: SnapshotMeta;
  cfg: Configuration;
  readonly prs = new Map<NodeId, ProgressView>();

  constructor(
    readonly id: NodeId,
    voters: NodeId[],
  ) {
    this.cfg = { voters: [...voters], nonVoters: [] };
    this.snap = { index: 0, term: 0, config: this.cfg };
  }

  get firstIndex(): number {
    return this.snap.index + 1;
  }

  get lastIndex(): number {
    return this.snap.index + this.log.length;
  }

  get snapshotMeta(): SnapshotMeta {
    return this.snap;
  }

  get config(): Configuration {
    return this.cfg;
  }

  termAt(i: number): number | undefined {
    if (i === this.snap.index) return this.snap.term;
    return this.log[i - this.snap.index - 1]?.term;
  }

  entries(lo: number, hi: number): Entry[] {
    return this.log.slice(lo - this.snap.index - 1, hi - this.snap.index - 1);
  }

  progress(id: NodeId): ProgressView | undefined {
    return this.prs.get(id);
  }

  isVoter(id: NodeId): boolean {
    return this.cfg.voters.includes(id);
  }

  /** Sets the progress of follower `id` (leader only). */
  setMatch(id: NodeId, match: number, next = match + 1): void {
    this.prs.set(id, { match, next, state: 'replicate', inflight: 0, inflightBytes: 0, recentActive: true });
  }

  /** Appends entries, replacing any at or after the first one's index. */
  append(...es: Entry[]): this {
    if (es.length === 0) return this;
    this.log.length = es[0]!.index - this.snap.index - 1;
    this.log.push(...es);
    return this;
  }
}
