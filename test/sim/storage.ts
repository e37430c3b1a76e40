// Per-node persisted state with an explicit synced/unsynced split.
// stage(ready) queues the Ready's snapshot, entries and hard state as unsynced
// writes; sync() applies them to the durable state; crash() forgets them.
// Compaction and applied-state checkpoints are written durably at once (an
// atomic, synced batch of their own). load() returns what a restart sees.
import { cloneEntry } from './network.ts';
import type { Configuration, Entry, HardState, PersistedState, Ready, Snapshot } from '../../src/raft/index.ts';

type Write =
  | { kind: 'snapshot'; snap: Snapshot }
  | { kind: 'entries'; entries: Entry[] }
  | { kind: 'hardState'; hs: HardState };

export interface SyncedView {
  hardState(): HardState;
  /** Term of the durable entry at index (the snapshot's term at its index); undefined if absent or compacted. */
  termAt(index: number): number | undefined;
  snapshotIndex(): number;
}

/** Entries are stored as deep copies (the core's own objects may change later). */
function copyEntry(e: Entry): Entry {
  return cloneEntry(e);
}

function copySnapshot(s: Snapshot): Snapshot {
  return {
    meta: {
      index: s.meta.index,
      term: s.meta.term,
      config: { voters: [...s.meta.config.voters], nonVoters: [...s.meta.config.nonVoters] },
    },
    data: s.data.slice(),
  };
}

export class SimStorage implements SyncedView {
  private hs: HardState = { term: 0, vote: '', commit: 0 };
  private snap: Snapshot | undefined;
  /** Durable entries after the snapshot: entries[k] has index snapIndex + 1 + k. */
  private log: Entry[] = [];
  private checkpoint: { applied: number; data: Uint8Array } | undefined;
  private pending: Write[] = [];
  /** Number of sync() calls that made something durable. */
  syncs = 0;

  constructor(private readonly bootstrap: Configuration | undefined) {}

  /** Records the Ready's persistent parts as unsynced writes. */
  stage(rd: Ready): void {
    if (rd.snapshot) this.pending.push({ kind: 'snapshot', snap: copySnapshot(rd.snapshot) });
    if (rd.entries.length > 0) this.pending.push({ kind: 'entries', entries: rd.entries.map(copyEntry) });
    if (rd.hardState) this.pending.push({ kind: 'hardState', hs: { ...rd.hardState } });
  }

  hasUnsynced(): boolean {
    return this.pending.length > 0;
  }

  /** Makes every staged write durable, in order. */
  sync(): void {
    if (this.pending.length === 0) return;
    for (const w of this.pending) {
      if (w.kind === 'snapshot') this.applySnapshot(w.snap, false);
      else if (w.kind === 'entries') this.applyEntries(w.entries);
      else this.hs = w.hs;
    }
    this.pending = [];
    this.syncs++;
  }

  /** Loses every unsynced write. Returns whether there were any. */
  crash(): boolean {
    const lost = this.pending.length > 0;
    this.pending = [];
    return lost;
  }

  /** Persists a snapshot taken by the application and drops the log prefix it covers (durable at once). */
  compact(snap: Snapshot): void {
    this.applySnapshot(copySnapshot(snap), true);
  }

  /** Durably records the application's state at `applied` (≤ the durable commit). */
  saveCheckpoint(applied: number, data: Uint8Array): void {
    this.checkpoint = { applied, data };
  }

  snapshotIndex(): number {
    return this.snap?.meta.index ?? 0;
  }

  hardState(): HardState {
    return this.hs;
  }

  lastIndex(): number {
    return this.snapshotIndex() + this.log.length;
  }

  termAt(index: number): number | undefined {
    const si = this.snapshotIndex();
    if (index === si) return this.snap?.meta.term ?? 0;
    if (index < si) return undefined;
    return this.log[index - si - 1]?.term;
  }

  /** What a restart sees: the durable state only. */
  load(): { persisted: PersistedState; checkpoint: { applied: number; data: Uint8Array } | undefined } {
    const persisted: PersistedState = {
      hardState: { ...this.hs },
      entries: this.log.map(copyEntry),
    };
    if (this.snap) persisted.snapshot = copySnapshot(this.snap);
    if (this.bootstrap) persisted.bootstrap = { voters: [...this.bootstrap.voters], nonVoters: [...this.bootstrap.nonVoters] };
    let checkpoint: { applied: number; data: Uint8Array } | undefined;
    if (this.checkpoint && this.checkpoint.applied > this.snapshotIndex() && this.checkpoint.applied <= this.hs.commit) {
      checkpoint = this.checkpoint;
      persisted.applied = checkpoint.applied;
    }
    return { persisted, checkpoint };
  }

  /**
   * `keepSuffix`: compaction keeps the entries after the snapshot; a snapshot
   * received in a Ready replaces the whole log, as the core's restore does.
   */
  private applySnapshot(snap: Snapshot, keepSuffix: boolean): void {
    const s = snap.meta.index;
    const si = this.snapshotIndex();
    if (s <= si) return; // older than what we hold
    if (keepSuffix && this.termAt(s) === snap.meta.term) this.log = this.log.slice(s - si);
    else this.log = [];
    this.snap = snap;
  }

  private applyEntries(entries: Entry[]): void {
    const first = entries[0]!.index;
    const si = this.snapshotIndex();
    // Entries at or below the snapshot are already covered by it.
    let k = 0;
    while (k < entries.length && entries[k]!.index <= si) k++;
    if (k === entries.length) return;
    const start = Math.max(first, si + 1);
    const keep = start - si - 1;
    if (keep > this.log.length) throw new Error(`storage: gap: appending at ${start} after last ${this.lastIndex()}`);
    this.log.length = keep;
    for (; k < entries.length; k++) this.log.push(entries[k]!);
  }
}
