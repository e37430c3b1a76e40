// The in-memory view of the Raft log: a snapshot point, the entries after it,
// and the three cursors stable ≤ last, applied ≤ commit.
// Entries after `stable` have been handed to the runtime (or not yet) but are not known durable.
import { EntryType, type Entry, type Snapshot, type SnapshotMeta } from './types.ts';

export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new InvariantError(message);
}

/** Approximate wire size of an entry, for byte budgets. */
export function entrySize(e: Entry): number {
  return e.data.length + 24;
}

export class RaftLog {
  snapshot: Snapshot;
  /** entries[k] has index snapshot.meta.index + 1 + k. */
  private ents: Entry[];
  /** Last index known to be persisted. */
  stable: number;
  commit: number;
  /** Last index handed to the application (applied once the Ready is advanced). */
  applied: number;
  /** A snapshot received from the leader that the runtime has not persisted yet. */
  pendingSnapshot: Snapshot | undefined;
  /** Index of the newest Config entry still in the log, 0 if none: status() asks per request, a scan was O(log). */
  private cfgIndex = 0;

  constructor(snapshot: Snapshot, entries: Entry[], commit: number, applied: number) {
    this.snapshot = snapshot;
    this.ents = entries.slice();
    for (let k = 0; k < this.ents.length; k++) {
      assert(this.ents[k]!.index === snapshot.meta.index + 1 + k, `log: entry ${k} has index ${this.ents[k]!.index}, expected ${snapshot.meta.index + 1 + k}`);
    }
    this.stable = this.lastIndex;
    this.commit = Math.max(commit, snapshot.meta.index);
    this.applied = Math.max(applied, snapshot.meta.index);
    assert(this.commit <= this.lastIndex, `log: commit ${this.commit} beyond last index ${this.lastIndex}`);
    this.pendingSnapshot = undefined;
    this.rescanConfigIndex(this.lastIndex);
  }

  /** Index of the newest configuration entry in the log (not compacted away), or 0. */
  get lastConfigIndex(): number {
    return this.cfgIndex;
  }

  private rescanConfigIndex(from: number): void {
    this.cfgIndex = 0;
    for (let i = from; i >= this.firstIndex; i--) {
      if (this.ents[i - this.firstIndex]!.type === EntryType.Config) {
        this.cfgIndex = i;
        return;
      }
    }
  }

  get snapshotMeta(): SnapshotMeta {
    return this.snapshot.meta;
  }
  get firstIndex(): number {
    return this.snapshot.meta.index + 1;
  }
  get lastIndex(): number {
    return this.snapshot.meta.index + this.ents.length;
  }
  get lastTerm(): number {
    return this.termAt(this.lastIndex)!;
  }

  /** Term of the entry at i, or undefined when compacted away or beyond the end. */
  termAt(i: number): number | undefined {
    const s = this.snapshot.meta.index;
    if (i === s) return this.snapshot.meta.term;
    if (i < s || i > this.lastIndex) return undefined;
    return this.ents[i - s - 1]!.term;
  }

  entryAt(i: number): Entry | undefined {
    const s = this.snapshot.meta.index;
    if (i <= s || i > this.lastIndex) return undefined;
    return this.ents[i - s - 1];
  }

  matchTerm(i: number, t: number): boolean {
    return this.termAt(i) === t;
  }

  /** Entries in [lo, hi), limited to maxBytes (at least one entry is returned when any is available). */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    const s = this.snapshot.meta.index;
    assert(lo > s, `log: slice from ${lo} at or below snapshot ${s}`);
    hi = Math.min(hi, this.lastIndex + 1);
    if (lo >= hi) return [];
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - s - 1]!;
      bytes += entrySize(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** First index among `entries` whose term disagrees with ours (or is beyond our end); 0 if none. */
  findConflict(entries: Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Largest index ≤ index whose term is ≤ term: the follower's best guess of where
   * its log could match a leader's log that has `term` at `index` (fast backtracking).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = Math.min(index, this.lastIndex); i >= this.snapshot.meta.index; i--) {
      const t = this.termAt(i)!;
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  /** Appends entries, truncating any existing suffix from entries[0].index. Returns the truncation point or 0. */
  append(entries: Entry[], allowBelowCommit = false): number {
    if (entries.length === 0) return 0;
    const first = entries[0]!.index;
    assert(first >= this.firstIndex, `log: append at ${first} below first index ${this.firstIndex}`);
    assert(first <= this.lastIndex + 1, `log: append at ${first} leaves a gap after ${this.lastIndex}`);
    let truncatedAt = 0;
    if (first <= this.lastIndex) {
      if (!allowBelowCommit) {
        assert(first > this.commit, `log: truncation at ${first} at or below commit ${this.commit}`);
      }
      this.ents.length = first - this.firstIndex;
      truncatedAt = first;
      if (this.stable >= first) this.stable = first - 1;
      if (this.cfgIndex >= first) this.rescanConfigIndex(first - 1);
    }
    for (const e of entries) {
      this.ents.push(e);
      if (e.type === EntryType.Config) this.cfgIndex = e.index;
    }
    return truncatedAt;
  }

  /** Drops every entry after `index` (test-only misbehaviour support). */
  truncateAfter(index: number): number {
    if (index >= this.lastIndex) return 0;
    this.ents.length = index - this.snapshot.meta.index;
    if (this.cfgIndex > index) this.rescanConfigIndex(index);
    if (this.stable > index) this.stable = index;
    if (this.commit > index) this.commit = index;
    return index + 1;
  }

  commitTo(i: number): boolean {
    if (i <= this.commit) return false;
    assert(i <= this.lastIndex, `log: commit ${i} beyond last index ${this.lastIndex}`);
    this.commit = i;
    return true;
  }

  /** Committed entries not yet handed to the application. */
  nextCommitted(maxIndex: number): Entry[] {
    const hi = Math.min(this.commit, maxIndex);
    if (this.applied >= hi) return [];
    return this.slice(this.applied + 1, hi + 1);
  }

  /** Entries not yet known durable. */
  unstableEntries(): Entry[] {
    if (this.stable >= this.lastIndex) return [];
    return this.slice(Math.max(this.stable + 1, this.firstIndex), this.lastIndex + 1);
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.ents = [];
    this.cfgIndex = 0;
    this.commit = snapshot.meta.index;
    this.stable = snapshot.meta.index;
    this.pendingSnapshot = snapshot;
  }

  /** Drops entries ≤ index after the application snapshotted its state there. */
  compact(snapshot: Snapshot): void {
    const i = snapshot.meta.index;
    assert(i > this.snapshot.meta.index, `log: compaction at ${i} not above snapshot ${this.snapshot.meta.index}`);
    assert(i <= this.applied, `log: compaction at ${i} above applied ${this.applied}`);
    assert(i <= this.stable, `log: compaction at ${i} above stable ${this.stable}`);
    this.ents = this.ents.slice(i - this.snapshot.meta.index);
    this.snapshot = snapshot;
    if (this.cfgIndex <= i) this.cfgIndex = 0;
  }
}
