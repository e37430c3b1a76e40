// Durable storage for a Raft server: the LevelDB log + hard state, snapshot files, Nomad's
// data-dir layout (node-id, peers.info) and peers.json outage recovery. See FORMATS.md.
export { openRaftStorage, type OpenRaftStorageOptions, type RaftStorage } from './raft-storage.ts';
export { LevelLogStore, type LogStoreOptions, type PersistBatch } from './log-store.ts';
export { FileSnapshotStore, type SnapshotInfo, type SnapshotStoreOptions } from './snapshot-store.ts';
export { ensureNodeId, ensurePeersInfo, paths, raftPaths, PEERS_INFO_TEXT, type DataPaths } from './node-files.ts';
export { recoverFromPeersJson, RecoveryError, NO_STATE, type RecoverOptions } from './recovery.ts';
export { readPeersConfiguration, parsePeersJson, checkPeers, PeersJsonError, PARSE_FAILED, type PeerEntry } from './peers-json.ts';
export { StorageError, type StorageErrorCode } from './errors.ts';
export { writeFileDurably, createFileOnce, syncDir, ensureDir } from './durable-file.ts';
export type { TestMode } from './write-queue.ts';
export type { Logger } from './logger.ts';
export { testDiskFaults } from './write-queue.ts';
