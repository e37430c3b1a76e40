// The Raft log, hard state and log metadata in LevelDB. Every change is one synced batch
// (BatchWriter), so a crash leaves either all of a Ready cycle's writes or none of them.
// Invariant kept on disk: the entries are exactly the indexes (compacted.index, lastIndex].
import { Level } from 'level';
import type { Entry, HardState, SnapshotMeta } from '../raft/index.ts';
import type { LogPersistence } from '../node/ports.ts';
import {
  checkEntry,
  checkHardState,
  checkSnapshotMeta,
  decodeValue,
  encodeValue,
  entryRecord,
  hardStateRecord,
  snapshotMetaRecord,
} from './codec.ts';
import { ensureDir } from './durable-file.ts';
import { StorageError, errorText } from './errors.ts';
import { KEY_COMPACTED, KEY_FORMAT, KEY_HARD_STATE, LOG_END, LOG_START, STORE_LAYOUT_VERSION, describeKey, indexOfLogKey, logKey } from './keys.ts';
import { silentLogger, type Logger } from './logger.ts';
import { BatchWriter, type BatchOp, type TestMode } from './write-queue.ts';

export interface LogStoreOptions {
  logger?: Logger;
  testMode?: TestMode;
  random?: () => number;
  /** Test modes: the longest random hold of a batch before its write, in ms (default 4). */
  testDelayMs?: number;
}

export interface PersistBatch {
  snapshotMeta?: SnapshotMeta;
  entries: Entry[];
  hardState?: HardState;
}

const EMPTY_HARD_STATE: HardState = { term: 0, vote: '', commit: 0 };

export class LevelLogStore implements LogPersistence {
  private closed = false;
  /** As of the last accepted write (queued or done): compaction point, last index, hard state. */
  private compacted: SnapshotMeta | undefined;
  private lastIndex = 0;
  private hardState: HardState = EMPTY_HARD_STATE;

  private constructor(
    private readonly db: Level<Buffer, Buffer>,
    private readonly what: string,
    private readonly writer: BatchWriter,
  ) {}

  static async open(dbDir: string, opts: LogStoreOptions = {}): Promise<LevelLogStore> {
    const logger = opts.logger ?? silentLogger;
    const what = `log store ${dbDir}`;
    try {
      await ensureDir(dbDir);
    } catch (err) {
      throw new StorageError('io', `${what}: cannot create the folder: ${errorText(err)}`, { cause: err });
    }
    const db = new Level<Buffer, Buffer>(dbDir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    try {
      await db.open();
    } catch (err) {
      throw openError(what, err);
    }
    const store = new LevelLogStore(db, what, new BatchWriter(db, what, logger, opts.testMode, opts.random, opts.testDelayMs));
    try {
      await store.init();
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    return store;
  }

  /** Checks the layout version (writing it on a new store) and reads where the log stands. */
  private async init(): Promise<void> {
    const format = await this.db.get(KEY_FORMAT);
    if (format === undefined) {
      const anyKey = await this.db.keys({ limit: 1 }).all();
      if (anyKey.length > 0) throw new StorageError('corrupt', `${this.what}: holds data but no format record; it is not an opraft log store`);
      await this.db.batch([{ type: 'put', key: KEY_FORMAT, value: encodeValue({ layout: STORE_LAYOUT_VERSION, createdMs: Date.now() }) }], { sync: true });
    } else {
      const f = decodeValue(format, `${this.what} format record`) as { layout?: unknown };
      if (f === null || typeof f !== 'object' || f.layout !== STORE_LAYOUT_VERSION) {
        throw new StorageError('format', `${this.what}: store layout version ${String((f as { layout?: unknown } | null)?.layout)} is unknown (this opraft reads version ${STORE_LAYOUT_VERSION})`);
      }
    }
    this.hardState = await this.readHardState();
    this.compacted = await this.readCompacted();
    const last = await this.db.keys({ gte: LOG_START, lt: LOG_END, reverse: true, limit: 1 }).all();
    const lastKeyIndex = last.length > 0 ? indexOfLogKey(last[0]!) : 0;
    if (lastKeyIndex === undefined) throw new StorageError('corrupt', `${this.what}: ${describeKey(last[0]!)} is not a valid log key`);
    this.lastIndex = Math.max(lastKeyIndex, this.compacted?.index ?? 0);
  }

  private async readHardState(): Promise<HardState> {
    const v = await this.db.get(KEY_HARD_STATE);
    if (v === undefined) return EMPTY_HARD_STATE;
    return checkHardState(decodeValue(v, `${this.what} hard state`), 'corrupt', `${this.what} hard state`);
  }

  private async readCompacted(): Promise<SnapshotMeta | undefined> {
    const v = await this.db.get(KEY_COMPACTED);
    if (v === undefined) return undefined;
    return checkSnapshotMeta(decodeValue(v, `${this.what} compaction point`), 'corrupt', `${this.what} compaction point`);
  }

  /** Any term, entry or compaction point on disk (a node that has never run has none). */
  hasState(): boolean {
    return this.hardState.term > 0 || this.lastIndex > 0 || this.compacted !== undefined;
  }

  /** Where the log stands (as of the last accepted write). */
  get position(): { compactedIndex: number; lastIndex: number; hardState: HardState } {
    return { compactedIndex: this.compacted?.index ?? 0, lastIndex: this.lastIndex, hardState: { ...this.hardState } };
  }

  async load(): Promise<{ hardState: HardState; snapshotMeta?: SnapshotMeta; entries: Entry[] }> {
    this.checkOpen();
    const hardState = await this.readHardState();
    const compacted = await this.readCompacted();
    const entries: Entry[] = [];
    let expected = (compacted?.index ?? 0) + 1;
    let prevTerm = compacted?.term ?? 0;
    for await (const [key, value] of this.db.iterator({ gte: LOG_START, lt: LOG_END })) {
      const index = indexOfLogKey(key);
      if (index === undefined) throw new StorageError('corrupt', `${this.what}: ${describeKey(key)} is not a valid log key`);
      const what = `${this.what} log entry ${index}`;
      if (index !== expected) {
        throw new StorageError('corrupt', index < expected
          ? `${what}: found at or below the compaction point ${compacted?.index ?? 0}`
          : `${this.what}: log entry ${expected} is missing (the next entry found is ${index})`);
      }
      const e = checkEntry(decodeValue(value, what), 'corrupt', what);
      if (e.index !== index) throw new StorageError('corrupt', `${what}: the value holds entry ${e.index}`);
      if (e.term < prevTerm) throw new StorageError('corrupt', `${what}: term ${e.term} is lower than the term ${prevTerm} before it`);
      prevTerm = e.term;
      entries.push(e);
      expected++;
    }
    const out: { hardState: HardState; snapshotMeta?: SnapshotMeta; entries: Entry[] } = { hardState, entries };
    if (compacted) out.snapshotMeta = compacted;
    return out;
  }

  async persist(batch: PersistBatch): Promise<void> {
    this.checkOpen();
    if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.entries)) {
      throw new StorageError('invalid', `${this.what}: persist needs {entries: Entry[], snapshotMeta?, hardState?}`);
    }
    const ops: BatchOp[] = [];
    let compacted = this.compacted;
    let last = this.lastIndex;
    if (batch.snapshotMeta !== undefined) {
      const meta = checkSnapshotMeta(batch.snapshotMeta, 'invalid', `${this.what} snapshot meta`);
      // A snapshot from the leader replaces the whole log.
      for (let i = (compacted?.index ?? 0) + 1; i <= last; i++) ops.push({ type: 'del', key: logKey(i) });
      ops.push({ type: 'put', key: KEY_COMPACTED, value: encodeValue(snapshotMetaRecord(meta)) });
      compacted = meta;
      last = meta.index;
    }
    if (batch.entries.length > 0) {
      const entries = batch.entries.map((e, n) => checkEntry(e, 'invalid', `${this.what} persist entries[${n}]`));
      const first = entries[0]!.index;
      const floor = compacted?.index ?? 0;
      if (first <= floor) throw new StorageError('invalid', `${this.what}: entry ${first} is at or below the compaction point ${floor}`);
      if (first > last + 1) throw new StorageError('invalid', `${this.what}: entry ${first} would leave a gap after the last entry ${last}`);
      for (let n = 1; n < entries.length; n++) {
        if (entries[n]!.index !== first + n) throw new StorageError('invalid', `${this.what}: entries are not contiguous: entry ${entries[n]!.index} follows ${entries[n - 1]!.index}`);
      }
      const newLast = first + entries.length - 1;
      // Entries replace the tail from their first index: drop what lies beyond them (truncation).
      for (let i = newLast + 1; i <= last; i++) ops.push({ type: 'del', key: logKey(i) });
      for (const e of entries) ops.push({ type: 'put', key: logKey(e.index), value: encodeValue(entryRecord(e)) });
      last = newLast;
    }
    let hardState = this.hardState;
    // Raft needs term, vote and entries durable before it answers; a commit index that moved alone
    // is a hint a restart can lose (the leader re-sends it), so it skips the fsync (etcd's MustSync).
    let sync = batch.snapshotMeta !== undefined || batch.entries.length > 0;
    if (batch.hardState !== undefined) {
      hardState = checkHardState(batch.hardState, 'invalid', `${this.what} hard state`);
      ops.push({ type: 'put', key: KEY_HARD_STATE, value: encodeValue(hardStateRecord(hardState)) });
      if (hardState.term !== this.hardState.term || hardState.vote !== this.hardState.vote) sync = true;
    }
    if (ops.length === 0) return;
    this.compacted = compacted;
    this.lastIndex = last;
    this.hardState = hardState;
    await this.writer.write(ops, sync);
  }

  async compact(meta: SnapshotMeta): Promise<void> {
    this.checkOpen();
    const m = checkSnapshotMeta(meta, 'invalid', `${this.what} compaction meta`);
    const floor = this.compacted?.index ?? 0;
    if (m.index <= floor) return; // already compacted this far
    if (m.index > this.lastIndex) {
      throw new StorageError('invalid', `${this.what}: cannot compact to ${m.index}: the log ends at ${this.lastIndex}`);
    }
    const ops: BatchOp[] = [];
    for (let i = floor + 1; i <= m.index; i++) ops.push({ type: 'del', key: logKey(i) });
    ops.push({ type: 'put', key: KEY_COMPACTED, value: encodeValue(snapshotMetaRecord(m)) });
    this.compacted = m;
    await this.writer.write(ops);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.drain();
    await this.db.close();
  }

  /** Test-only power loss: unsynced batches vanish, then the store closes. */
  async crash(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.crash();
    await this.db.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError('closed', `${this.what}: the store is closed`);
  }
}

function openError(what: string, err: unknown): StorageError {
  const cause = (err as { cause?: { code?: string } }).cause;
  if (cause?.code === 'LEVEL_LOCKED') {
    return new StorageError('io', `${what}: locked by another process (is another opraft server using this data dir?)`, { cause: err });
  }
  if (cause?.code === 'LEVEL_CORRUPTION') {
    return new StorageError('corrupt', `${what}: LevelDB reports corruption: ${errorText(cause)}`, { cause: err });
  }
  return new StorageError('io', `${what}: cannot open: ${errorText(cause ?? err)}`, { cause: err });
}
