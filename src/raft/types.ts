// Types shared by the consensus core and everything that drives it.
// The core is pure: these are plain data, safe to copy, encode or log.

export type NodeId = string;
export const NONE: NodeId = '';

export enum EntryType {
  Normal = 0,
  /** Empty entry a new leader appends at the start of its term. */
  Noop = 1,
  /** A single-server membership change; `data` is unused, `change` holds it. */
  Config = 2,
}

export type ConfChangeType = 'addVoter' | 'addNonVoter' | 'promote' | 'remove';

export interface ConfChange {
  type: ConfChangeType;
  id: NodeId;
  /** The server's RPC address ("host:port"), recorded in the configuration (opaque to the core). */
  address?: string;
}

export interface Entry {
  index: number;
  term: number;
  type: EntryType;
  data: Uint8Array;
  /** Present on Config entries only: the change, and the whole configuration it results in
   *  (so a server that joined knowing nothing learns the full membership from the log). */
  change?: ConfChange;
  config?: Configuration;
}

/** The set of servers. A node absent from both lists is not a member. */
export interface Configuration {
  voters: NodeId[];
  nonVoters: NodeId[];
  /** RPC address of each member that has one ("host:port"); the core carries it, never reads it. */
  addresses?: Record<NodeId, string>;
}

/** What must be durable before any message that depends on it leaves the node. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface SnapshotMeta {
  index: number;
  term: number;
  /** The configuration in force at `index`. */
  config: Configuration;
}

export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

export enum Role {
  Follower = 'follower',
  PreCandidate = 'pre-candidate',
  Candidate = 'candidate',
  Leader = 'leader',
}

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

// ---------------------------------------------------------------- messages

interface MessageBase {
  from: NodeId;
  to: NodeId;
  term: number;
}

/** AppendEntries. Empty `entries` with a valid anchor is a probe. */
export interface AppendMsg extends MessageBase {
  type: 'app';
  prevIndex: number;
  prevTerm: number;
  entries: Entry[];
  commit: number;
}

export interface AppendRespMsg extends MessageBase {
  type: 'appResp';
  /** On success: the index the follower now matches up to. On reject: the rejected prevIndex. */
  index: number;
  reject: boolean;
  /** On reject: the follower's guess at the match point, (index, term) with term ≤ the probed term. */
  hintIndex: number;
  hintTerm: number;
}

export interface HeartbeatMsg extends MessageBase {
  type: 'heartbeat';
  /** min(leader commit, follower match): never ahead of what the follower holds. */
  commit: number;
  /** ReadIndex round this heartbeat belongs to; '' for a plain heartbeat. */
  context: string;
}

export interface HeartbeatRespMsg extends MessageBase {
  type: 'heartbeatResp';
  context: string;
}

export interface VoteMsg extends MessageBase {
  type: 'vote' | 'preVote';
  lastIndex: number;
  lastTerm: number;
  /** Set when the election follows a leadership transfer: bypasses leader stickiness. */
  transfer: boolean;
}

export interface VoteRespMsg extends MessageBase {
  type: 'voteResp' | 'preVoteResp';
  reject: boolean;
}

/** One chunk of an InstallSnapshot. Chunks of one snapshot share meta. */
export interface SnapshotMsg extends MessageBase {
  type: 'snap';
  meta: SnapshotMeta;
  offset: number;
  data: Uint8Array;
  totalSize: number;
  done: boolean;
}

export interface SnapshotRespMsg extends MessageBase {
  type: 'snapResp';
  /** Snapshot index this answers. */
  index: number;
  /** Bytes received so far (the next offset wanted). */
  offset: number;
  /** True once the whole snapshot has been installed and persisted. */
  done: boolean;
  reject: boolean;
}

export interface TimeoutNowMsg extends MessageBase {
  type: 'timeoutNow';
}

/** A follower asking the leader for a read index on behalf of its client. */
export interface ReadIndexMsg extends MessageBase {
  type: 'readIndex';
  context: string;
}

export interface ReadIndexRespMsg extends MessageBase {
  type: 'readIndexResp';
  context: string;
  /** 0 when the leader refused (e.g. it is stepping down). */
  index: number;
  reject: boolean;
}

export type Message =
  | AppendMsg
  | AppendRespMsg
  | HeartbeatMsg
  | HeartbeatRespMsg
  | VoteMsg
  | VoteRespMsg
  | SnapshotMsg
  | SnapshotRespMsg
  | TimeoutNowMsg
  | ReadIndexMsg
  | ReadIndexRespMsg;

export type MessageType = Message['type'];

// ---------------------------------------------------------------- ready

/** A ReadIndex answer: once applied ≥ index, a read for `context` is linearizable. */
export interface ReadState {
  context: string;
  index: number;
}

/** A read that can no longer be served (leadership lost). */
export interface ReadFailure {
  context: string;
  reason: string;
}

export interface SoftState {
  role: Role;
  leader: NodeId;
}

/**
 * A batch of work for the runtime. Contract:
 * 1. `eagerMessages` may be sent at once (they report nothing about local persistence).
 * 2. Persist `snapshot` (if any), then `entries` (replacing every persisted entry with
 *    index ≥ entries[0].index), then `hardState` (if any) — ideally in one synced batch.
 * 3. Only then send `messages`.
 * 4. Apply `committedEntries` in order (after `snapshot`, if any).
 * 5. Call `advance()`. Only one Ready is outstanding at a time.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
  eagerMessages: Message[];
  messages: Message[];
  committedEntries: Entry[];
  readStates: ReadState[];
  readFailures: ReadFailure[];
}

// ---------------------------------------------------------------- config

/** Deliberately broken behaviours, for proving that the checkers catch them. Never set in production. */
export type BrokenVariant =
  | 'skipElectionRestriction'
  | 'commitOldTermByCounting'
  | 'ackBeforePersist'
  | 'forgetVoteOnRestart'
  | 'readIndexWithoutQuorum'
  | 'twoConfChangesInFlight'
  | 'followerCommitPastLastNew'
  | 'truncateAtOrBelowCommit';

export interface RaftConfig {
  id: NodeId;
  /** Ticks without a leader before an election; randomized in [electionTick, 2*electionTick). */
  electionTick: number;
  /** Ticks between leader heartbeats. */
  heartbeatTick: number;
  preVote: boolean;
  checkQuorum: boolean;
  /** Leader lease: ticks within which a leader must hear from a quorum or step down
   *  (default electionTick; Nomad's LeaderLeaseTimeout is half the election timeout). */
  checkQuorumTick?: number;
  /** Where a new leader starts replicating to each follower: after its own last entry (the
   *  default, as etcd and hashicorp do; backtracking finds the match) or after its commit index
   *  (resends entries the follower may already hold). Both are legal Raft; the simulator
   *  randomizes it so followers are checked against both kinds of leader. */
  initialNext?: 'last' | 'commit';
  /** Byte budget of entries in one append. */
  maxSizePerMsg: number;
  /** Max appends in flight to one follower. */
  maxInflightMsgs: number;
  /** Max bytes of entries in flight to one follower (0 = unlimited). Checked before each send, so
   *  the window may overshoot by at most one append (≤ maxSizePerMsg, or one oversized entry). */
  maxInflightBytes: number;
  /** Max bytes of uncommitted proposals the leader accepts (0 = unlimited). */
  maxUncommittedSize: number;
  /** Chunk size of InstallSnapshot data. */
  snapshotChunkSize: number;
  /** Seeded source of jitter: returns a float in [0, 1). */
  random: () => number;
  /** Test-only: a known-broken behaviour. */
  broken?: BrokenVariant;
}

/** What a node restarts from: its persisted state. */
export interface PersistedState {
  hardState: HardState;
  snapshot?: Snapshot;
  /** Entries after the snapshot, contiguous. */
  entries: Entry[];
  /** Index up to which the application had applied (≥ snapshot index). Defaults to the snapshot index. */
  applied?: number;
  /** Configuration to start with when there is no snapshot and no config entry (bootstrap). */
  bootstrap?: Configuration;
}

export class ProposalError extends Error {
  constructor(
    public readonly code: 'not-leader' | 'transferring' | 'too-large' | 'conf-change-pending' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'ProposalError';
  }
}
