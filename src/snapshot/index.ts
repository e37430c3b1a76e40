// Snapshot archives (contract §2): the gzip+tar envelope around a state.bin, written and verified.
export { archiveBuffer, archiveStream, readArchive, ArchiveTooLargeError, StateTooLargeError, type ReadLimits } from './archive.ts';
export { ArchiveError, buildMeta, decodeMeta, encodeMeta, SNAPSHOT_VERSION_MAX, SNAPSHOT_VERSION_MIN, type ArchiveServer, type SnapshotMetaJson } from './meta.ts';
