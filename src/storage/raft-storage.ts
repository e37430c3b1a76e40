// Opens everything under one Raft folder: the LevelDB log store and the snapshot files.
import type { RaftStorageLayout } from './types.ts';
import { ensureDir } from './durable-file.ts';
import { StorageError, errorText } from './errors.ts';
import { LevelLogStore } from './log-store.ts';
import { silentLogger, type Logger } from './logger.ts';
import { raftPaths } from './node-files.ts';
import { FileSnapshotStore } from './snapshot-store.ts';
import type { TestMode } from './write-queue.ts';

export interface OpenRaftStorageOptions {
  /** `<data_dir>/server/raft`: LevelDB in raft.db/, snapshots in snapshots/. */
  raftDir: string;
  logger?: Logger;
  /** Test only: 'crashable' (crash() drops unsynced batches) or 'ackBeforeSync' (broken on purpose). */
  testMode?: TestMode;
  /** Test modes: the longest random hold of a batch before its synced write, in ms (default 4). */
  testDelayMs?: number;
  /** Snapshots kept on disk (default 2). */
  retainSnapshots?: number;
}

export interface RaftStorage {
  readonly raftDir: string;
  readonly paths: RaftStorageLayout;
  log: LevelLogStore;
  snapshots: FileSnapshotStore;
  /** Any hard state (term), log entry, compaction point or snapshot file. */
  hasState(): Promise<boolean>;
  close(): Promise<void>;
  /** Test modes only: a power loss (unsynced batches vanish) followed by closing the store. */
  crash?(): Promise<void>;
}

export async function openRaftStorage(opts: OpenRaftStorageOptions): Promise<RaftStorage> {
  if (!opts || typeof opts.raftDir !== 'string' || opts.raftDir.trim() === '') {
    throw new StorageError('invalid', 'openRaftStorage: raftDir must be a non-empty path');
  }
  if (opts.testMode !== undefined && opts.testMode !== 'crashable' && opts.testMode !== 'ackBeforeSync') {
    throw new StorageError('invalid', `openRaftStorage: testMode must be 'crashable' or 'ackBeforeSync', got ${JSON.stringify(opts.testMode)}`);
  }
  const logger = opts.logger ?? silentLogger;
  const raftDir = opts.raftDir;
  const paths = raftPaths(raftDir);
  try {
    await ensureDir(raftDir);
  } catch (err) {
    throw new StorageError('io', `cannot create the raft folder ${raftDir}: ${errorText(err)}`, { cause: err });
  }
  if (opts.testDelayMs !== undefined && (!Number.isInteger(opts.testDelayMs) || opts.testDelayMs < 0)) {
    throw new StorageError('invalid', `openRaftStorage: testDelayMs must be a non-negative integer, got ${JSON.stringify(opts.testDelayMs)}`);
  }
  const logOpts: { logger: Logger; testMode?: TestMode; testDelayMs?: number } = { logger };
  if (opts.testMode) logOpts.testMode = opts.testMode;
  if (opts.testMode && opts.testDelayMs !== undefined) logOpts.testDelayMs = opts.testDelayMs;
  const log = await LevelLogStore.open(paths.logDbDir, logOpts);
  let snapshots: FileSnapshotStore;
  try {
    const snapOpts: { logger: Logger; retain?: number } = { logger };
    if (opts.retainSnapshots !== undefined) snapOpts.retain = opts.retainSnapshots;
    snapshots = await FileSnapshotStore.open(paths.snapshotsDir, snapOpts);
  } catch (err) {
    await log.close().catch(() => {});
    throw err;
  }
  const storage: RaftStorage = {
    raftDir,
    paths,
    log,
    snapshots,
    hasState: async () => log.hasState() || (await snapshots.any()),
    close: () => log.close(),
  };
  if (opts.testMode) storage.crash = () => log.crash();
  return storage;
}
