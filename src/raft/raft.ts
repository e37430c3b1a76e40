// Placeholder with the final public signatures; the implementation lands next.
import type { ConfChange, Configuration, Message, NodeId, PersistedState, RaftConfig, Ready, SnapshotMeta, ProgressState, Entry } from './types.ts';
import { Role } from './types.ts';

export interface ProgressView { match: number; next: number; state: ProgressState; inflight: number; inflightBytes: number; recentActive: boolean }

export function defaultRaftConfig(id: NodeId, random: () => number): RaftConfig {
  return { id, electionTick: 10, heartbeatTick: 1, preVote: true, checkQuorum: true, maxSizePerMsg: 1 << 20, maxInflightMsgs: 256, maxInflightBytes: 32 << 20, maxUncommittedSize: 64 << 20, snapshotChunkSize: 256 << 10, random };
}

export class RaftCore {
  constructor(_config: RaftConfig, _persisted: PersistedState) { throw new Error('not implemented'); }
  get id(): NodeId { return ''; }
  get term(): number { return 0; }
  get vote(): NodeId { return ''; }
  get role(): Role { return Role.Follower; }
  get leader(): NodeId { return ''; }
  get commitIndex(): number { return 0; }
  get appliedIndex(): number { return 0; }
  get firstIndex(): number { return 0; }
  get lastIndex(): number { return 0; }
  get lastTerm(): number { return 0; }
  get stableIndex(): number { return 0; }
  get snapshotMeta(): SnapshotMeta { throw new Error(); }
  get config(): Configuration { throw new Error(); }
  get leadTransferee(): NodeId { return ''; }
  termAt(_i: number): number | undefined { return undefined; }
  entries(_lo: number, _hi: number): Entry[] { return []; }
  progress(_id: NodeId): ProgressView | undefined { return undefined; }
  isVoter(_id: NodeId): boolean { return false; }
  tick(): void {}
  step(_m: Message): void {}
  propose(_data: Uint8Array): { index: number; term: number } { throw new Error(); }
  proposeConfChange(_cc: ConfChange): { index: number; term: number } { throw new Error(); }
  readIndex(_context: string): void {}
  transferLeadership(_target: NodeId): void {}
  campaign(): void {}
  compact(_index: number, _data: Uint8Array): void {}
  reportUnreachable(_id: NodeId): void {}
  hasReady(): boolean { return false; }
  ready(): Ready { throw new Error(); }
  advance(): void {}
}
