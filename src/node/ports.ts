// What the node runtime needs from the layers around it, as small interfaces,
// so the runtime can be driven by LevelDB and WebSockets in production and by
// in-memory fakes in tests.
import type { Entry, HardState, Message, NodeId, Snapshot, SnapshotMeta } from '../raft/index.ts';

/** The durable Raft log and hard state (LevelDB in production). */
export interface LogPersistence {
  load(): Promise<{ hardState: HardState; snapshotMeta?: SnapshotMeta; entries: Entry[] }>;
  /** One synced batch: snapshot point (replacing the log), entries (replacing the tail), hard state. */
  persist(batch: { snapshotMeta?: SnapshotMeta; entries: Entry[]; hardState?: HardState }): Promise<void>;
  /** Drops entries ≤ meta.index after a snapshot, durably. */
  compact(meta: SnapshotMeta): Promise<void>;
  close(): Promise<void>;
}

/** Snapshot files (temp file, fsync, rename, directory fsync in production). */
export interface SnapshotPersistence {
  save(meta: SnapshotMeta, data: Uint8Array): Promise<void>;
  /** Newest snapshot whose checksum verifies, falling back to older ones. */
  loadLatest(): Promise<Snapshot | undefined>;
}

/** Links to the other servers, carrying Raft messages. */
export interface MessageLink {
  send(to: NodeId, m: Message): boolean;
  onMessage(handler: (m: Message) => void): void;
  onUnreachable(handler: (peer: NodeId) => void): void;
}

/** The replicated state machine. */
export interface StateMachine<R = unknown> {
  /** Applies one committed normal entry's data; deterministic; never throws for bad data. */
  apply(index: number, data: Uint8Array): R;
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
}
