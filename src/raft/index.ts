// The consensus core: a pure Raft state machine. See API.md.
export * from './types.ts';
export { RaftCore, defaultRaftConfig, type ProgressView } from './raft.ts';
