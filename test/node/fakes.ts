// In-memory stand-ins for the node runtime's ports: a log store, a snapshot store,
// a message hub and a tiny key/value state machine.
import type { Entry, HardState, Message, NodeId, Snapshot, SnapshotMeta } from '../../src/raft/index.ts';
import type { LogPersistence, MessageLink, SnapshotPersistence, StateMachine } from '../../src/node/index.ts';

export class MemLog implements LogPersistence {
  hardState: HardState = { term: 0, vote: '', commit: 0 };
  snapshotMeta: SnapshotMeta | undefined;
  entries: Entry[] = [];
  persists = 0;
  async load() {
    const r: { hardState: HardState; snapshotMeta?: SnapshotMeta; entries: Entry[] } = { hardState: { ...this.hardState }, entries: this.entries.slice() };
    if (this.snapshotMeta) r.snapshotMeta = this.snapshotMeta;
    return r;
  }
  async persist(b: { snapshotMeta?: SnapshotMeta; entries: Entry[]; hardState?: HardState }) {
    this.persists++;
    if (b.snapshotMeta) {
      this.snapshotMeta = b.snapshotMeta;
      this.entries = [];
    }
    if (b.entries.length > 0) {
      const first = b.entries[0]!.index;
      this.entries = this.entries.filter((e) => e.index < first).concat(b.entries);
    }
    if (b.hardState) this.hardState = { ...b.hardState };
  }
  async compact(meta: SnapshotMeta) {
    this.snapshotMeta = meta;
    this.entries = this.entries.filter((e) => e.index > meta.index);
  }
  async close() {}
}

export class MemSnapshots implements SnapshotPersistence {
  list: Snapshot[] = [];
  async save(meta: SnapshotMeta, data: Uint8Array) {
    this.list.push({ meta, data: data.slice() });
    this.list = this.list.slice(-2);
  }
  async loadLatest() {
    return this.list[this.list.length - 1];
  }
}

export class Hub {
  private handlers = new Map<NodeId, (m: Message) => void>();
  down = new Set<NodeId>();
  link(id: NodeId): MessageLink {
    return {
      send: (to, m) => {
        if (this.down.has(to) || this.down.has(id)) return false;
        const h = this.handlers.get(to);
        if (!h) return false;
        const copy = structuredClone(m);
        setImmediate(() => {
          if (!this.down.has(to) && !this.down.has(id)) this.handlers.get(to)?.(copy);
        });
        return true;
      },
      onMessage: (h) => this.handlers.set(id, h),
      onUnreachable: () => {},
    };
  }
}

/** Commands are JSON {set: [key, value]}; the result is the previous value. */
export class KvMachine implements StateMachine<string | null> {
  data = new Map<string, string>();
  apply(_index: number, bytes: Uint8Array): string | null {
    try {
      const cmd = JSON.parse(new TextDecoder().decode(bytes)) as { set?: [string, string] };
      if (!cmd.set) return null;
      const prev = this.data.get(cmd.set[0]) ?? null;
      this.data.set(cmd.set[0], cmd.set[1]);
      return prev;
    } catch {
      return null;
    }
  }
  snapshot() {
    return new TextEncoder().encode(JSON.stringify([...this.data]));
  }
  restore(bytes: Uint8Array) {
    this.data = new Map(JSON.parse(new TextDecoder().decode(bytes)) as [string, string][]);
  }
}

export const setCmd = (k: string, v: string) => new TextEncoder().encode(JSON.stringify({ set: [k, v] }));
