// The Raft consensus core: a pure, synchronous state machine driven by tick() and step().
// No I/O, timers, clock or Math.random: everything it needs comes through its config and
// everything it wants done leaves through ready(). See API.md for the contract.
import {
  EntryType,
  NONE,
  ProposalError,
  Role,
  type AppendMsg,
  type AppendRespMsg,
  type ConfChange,
  type Configuration,
  type Entry,
  type HardState,
  type HeartbeatMsg,
  type HeartbeatRespMsg,
  type Message,
  type NodeId,
  type PersistedState,
  type RaftConfig,
  type ReadFailure,
  type ReadIndexMsg,
  type ReadState,
  type Ready,
  type Snapshot,
  type SnapshotMeta,
  type SnapshotMsg,
  type SnapshotRespMsg,
  type SoftState,
  type VoteMsg,
  type ProgressState,
} from './types.ts';
import { RaftLog, assert, entrySize } from './log.ts';
import { Progress } from './progress.ts';
import { committedIndex, quorumSize, tallyVotes } from './quorum.ts';
import { applyChange, cloneConfig, isMember, members, validateChange } from './membership.ts';
import { ReadIndexQueue } from './read-index.ts';

export interface ProgressView {
  match: number;
  next: number;
  state: ProgressState;
  inflight: number;
  inflightBytes: number;
  recentActive: boolean;
}

export function defaultRaftConfig(id: NodeId, random: () => number): RaftConfig {
  return {
    id,
    electionTick: 10,
    heartbeatTick: 1,
    preVote: true,
    checkQuorum: true,
    maxSizePerMsg: 1 << 20,
    maxInflightMsgs: 256,
    maxInflightBytes: 32 << 20,
    maxUncommittedSize: 64 << 20,
    snapshotChunkSize: 256 << 10,
    random,
  };
}

const EMPTY = new Uint8Array(0);

/** The configuration after an entry: a Config entry carries the whole resulting configuration. */
function configAfter(c: Configuration, e: Entry): Configuration {
  if (e.type !== EntryType.Config) return c;
  if (e.config) return cloneConfig(e.config);
  return e.change ? applyChange(c, e.change) : c;
}

/** Leader-originated messages that report nothing about local durability: safe to send before persisting. */
const EAGER_TYPES = new Set<Message['type']>(['app', 'heartbeat', 'snap', 'timeoutNow', 'readIndexResp']);

/** What the outstanding Ready handed out, to be confirmed by advance(). */
interface Outstanding {
  lastEntry?: { index: number; term: number };
  snapshot?: Snapshot;
  appliedTo: number;
}

/** A snapshot being received chunk by chunk. */
interface IncomingSnapshot {
  meta: SnapshotMeta;
  from: NodeId;
  chunks: Uint8Array[];
  received: number;
}

export class RaftCore {
  private readonly cfg: RaftConfig;
  private readonly log: RaftLog;

  private _term: number;
  private _vote: NodeId;
  private _role: Role = Role.Follower;
  private _leader: NodeId = NONE;

  /** Configuration in force: the last config entry at or below commit. */
  private _config: Configuration;
  /** Index of the config entry in force (or the snapshot's index). */
  private configIndex: number;
  /** Leader: index of an uncommitted config entry in its log, 0 if none. */
  private pendingConfIndex = 0;

  private prs = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();

  private electionElapsed = 0;
  private quorumCheckElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  private _leadTransferee: NodeId = NONE;
  /** TimeoutNow already went to the transferee (once per transfer is enough). */
  private timeoutNowSent = false;
  private uncommittedSize = 0;
  private readQueue = new ReadIndexQueue();
  /** Reads that wait for the new leader to commit an entry of its own term. */
  private readsAwaitingTermCommit: { from: NodeId; context: string }[] = [];
  private incoming: IncomingSnapshot | undefined;

  private msgs: Message[] = [];
  private eagerMsgs: Message[] = [];
  private readStates: ReadState[] = [];
  private readFailures: ReadFailure[] = [];
  /** Leader: appends owed to followers, flushed when the Ready is built (batches proposals). */
  private appendsOwed = false;
  /** Leader: the commit index moved since the last flush, so even empty appends carry news. */
  private commitOwed = false;
  private _applied: number;

  private prevHardState: HardState;
  private prevSoftState: SoftState;
  private outstanding: Outstanding | undefined;
  /** Lowest index truncated while a Ready was outstanding (Infinity if none). */
  private truncatedSinceReady = Infinity;
  private restoredSinceReady = false;

  constructor(config: RaftConfig, persisted: PersistedState) {
    assert(config.electionTick > config.heartbeatTick, 'config: electionTick must exceed heartbeatTick');
    assert(config.heartbeatTick > 0, 'config: heartbeatTick must be positive');
    assert(config.maxInflightMsgs > 0, 'config: maxInflightMsgs must be positive');
    assert(config.snapshotChunkSize > 0, 'config: snapshotChunkSize must be positive');
    this.cfg = config;
    const hs = persisted.hardState;
    const snapshot: Snapshot = persisted.snapshot ?? {
      meta: { index: 0, term: 0, config: cloneConfig(persisted.bootstrap ?? { voters: [], nonVoters: [] }) },
      data: EMPTY,
    };
    this.log = new RaftLog(snapshot, persisted.entries, hs.commit, persisted.applied ?? snapshot.meta.index);
    this._term = hs.term;
    this._vote = config.broken === 'forgetVoteOnRestart' ? NONE : hs.vote;
    this._config = cloneConfig(snapshot.meta.config);
    this.configIndex = snapshot.meta.index;
    this.applyConfigEntries(snapshot.meta.index + 1, this.log.commit);
    this._applied = this.log.applied;
    this.prevHardState = { term: hs.term, vote: hs.vote, commit: this.log.commit };
    this.prevSoftState = { role: this._role, leader: this._leader };
    this.resetRandomizedElectionTimeout();
  }

  // ------------------------------------------------------------ observation

  get id(): NodeId {
    return this.cfg.id;
  }
  get term(): number {
    return this._term;
  }
  get vote(): NodeId {
    return this._vote;
  }
  get role(): Role {
    return this._role;
  }
  get leader(): NodeId {
    return this._leader;
  }
  get commitIndex(): number {
    return this.log.commit;
  }
  /** Index the application has applied (confirmed by advance()). */
  get appliedIndex(): number {
    return this._applied;
  }
  get firstIndex(): number {
    return this.log.firstIndex;
  }
  get lastIndex(): number {
    return this.log.lastIndex;
  }
  get lastTerm(): number {
    return this.log.lastTerm;
  }
  get stableIndex(): number {
    return this.log.stable;
  }
  get snapshotMeta(): SnapshotMeta {
    return this.log.snapshotMeta;
  }
  get config(): Configuration {
    return cloneConfig(this._config);
  }
  get leadTransferee(): NodeId {
    return this._leadTransferee;
  }
  termAt(i: number): number | undefined {
    return this.log.termAt(i);
  }
  entries(lo: number, hi: number): Entry[] {
    return this.log.slice(Math.max(lo, this.log.firstIndex), hi);
  }
  progress(id: NodeId): ProgressView | undefined {
    if (this._role !== Role.Leader) return undefined;
    const pr = this.prs.get(id);
    if (!pr) return undefined;
    return {
      match: pr.match,
      next: pr.next,
      state: pr.state,
      inflight: pr.inflightCount,
      inflightBytes: pr.inflightBytes,
      recentActive: pr.recentActive,
    };
  }
  isVoter(id: NodeId): boolean {
    return this._config.voters.includes(id);
  }
  /** True when this node may stand for election. */
  get promotable(): boolean {
    return this._config.voters.includes(this.cfg.id);
  }

  // ------------------------------------------------------------ driving

  tick(): void {
    if (this._role === Role.Leader) this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    this.quorumCheckElapsed++;
    if (this.cfg.checkQuorum && this.quorumCheckElapsed >= (this.cfg.checkQuorumTick ?? this.cfg.electionTick)) {
      // Leader lease: step down when a quorum has not been heard from within the lease.
      this.quorumCheckElapsed = 0;
      if (!this.quorumActive()) {
        this.becomeFollower(this._term, NONE);
        return;
      }
      for (const [id, pr] of this.prs) if (id !== this.cfg.id) pr.recentActive = false;
    }
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this._leadTransferee !== NONE) this._leadTransferee = NONE; // transfer timed out
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat('');
    }
  }

  campaign(): void {
    this.hup(false);
  }

  step(m: Message): void {
    if (m.to !== this.cfg.id) return;
    // Vote requests from servers that cannot vote are refused outright (hashicorp/raft#526):
    // a removed server or a non-voter must never disturb the cluster's terms.
    if ((m.type === 'vote' || m.type === 'preVote') && !this.mayVoteFor(m)) {
      this.send({ type: m.type === 'vote' ? 'voteResp' : 'preVoteResp', from: this.cfg.id, to: m.from, term: this._term, reject: true });
      return;
    }
    if (m.term > this._term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const inLease = this.cfg.checkQuorum && this._leader !== NONE && this.electionElapsed < this.cfg.electionTick;
        if (!m.transfer && inLease) return; // leader stickiness: a live leader exists
      }
      if (m.type === 'preVote' || (m.type === 'preVoteResp' && !m.reject)) {
        // Pre-votes never change our term; a granted pre-vote answers at the term we asked for.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this._term) {
      if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        // A stale leader: tell it our term so it steps down (frees stuck candidates too).
        // Always answered, not only with check-quorum/pre-vote as etcd does: a server that
        // knows no configuration never campaigns, so without this answer a leader below its
        // term could never reach it (the simulator found this livelock).
        this.send({ type: 'appResp', from: this.cfg.id, to: m.from, term: this._term, index: 0, reject: false, hintIndex: 0, hintTerm: 0 });
      } else if (m.type === 'preVote' || m.type === 'vote') {
        // Reject with our term so a node that missed terms catches up (etcd#8243 for pre-votes;
        // for votes too, as hashicorp does: the simulator found a candidate with the longer log
        // forever one term behind a lagging candidate that ignored it).
        this.send({ type: m.type === 'vote' ? 'voteResp' : 'preVoteResp', from: this.cfg.id, to: m.from, term: this._term, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this._role) {
      case Role.Leader:
        this.stepLeader(m);
        break;
      case Role.Candidate:
      case Role.PreCandidate:
        this.stepCandidate(m);
        break;
      case Role.Follower:
        this.stepFollower(m);
        break;
    }
  }

  /**
   * Whether a candidate may get our vote at all: it must be a voter in our committed
   * configuration or in the latest one in our log (a node that knows no configuration yet
   * does not judge). A candidate whose log is strictly ahead of ours is not filtered: we may
   * simply not have seen the entry that made it a voter, and refusing it could leave a
   * cluster with no electable server (the simulator found this with a lagging voter).
   * A removed server never gets past this, since its log stops growing when it is removed.
   */
  private mayVoteFor(m: VoteMsg): boolean {
    if (!isMember(this._config, this.cfg.id) && this._config.voters.length === 0) return true;
    if (this._config.voters.includes(m.from) || this.latestConfig().voters.includes(m.from)) return true;
    return m.lastTerm > this.log.lastTerm || (m.lastTerm === this.log.lastTerm && m.lastIndex > this.log.lastIndex);
  }

  // ------------------------------------------------------------ proposals

  propose(data: Uint8Array): { index: number; term: number } {
    this.checkCanPropose();
    if (this.cfg.maxUncommittedSize > 0 && this.uncommittedSize > 0 && this.uncommittedSize + data.length > this.cfg.maxUncommittedSize) {
      throw new ProposalError('too-large', `uncommitted proposals exceed ${this.cfg.maxUncommittedSize} bytes`);
    }
    const e = this.appendEntry(EntryType.Normal, data);
    return { index: e.index, term: e.term };
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    this.checkCanPropose();
    if (this.cfg.broken !== 'twoConfChangesInFlight') {
      if (this.pendingConfIndex > this.log.commit) {
        throw new ProposalError('conf-change-pending', `a configuration change is in progress (index ${this.pendingConfIndex})`);
      }
      if (!this.committedCurrentTerm()) {
        throw new ProposalError('conf-change-pending', 'the leader has not yet committed an entry of its term');
      }
    }
    const latest = this.latestConfig();
    validateChange(latest, cc);
    const e = this.appendEntry(EntryType.Config, EMPTY, cc.address ? { type: cc.type, id: cc.id, address: cc.address } : { type: cc.type, id: cc.id }, applyChange(latest, cc));
    this.pendingConfIndex = e.index;
    return { index: e.index, term: e.term };
  }

  private checkCanPropose(): void {
    if (this._role !== Role.Leader) {
      throw new ProposalError('not-leader', this._leader !== NONE ? `not the leader (leader is ${this._leader})` : 'no known leader');
    }
    if (this._leadTransferee !== NONE) {
      throw new ProposalError('transferring', `leadership transfer to ${this._leadTransferee} in progress`);
    }
  }

  /** The configuration including uncommitted config entries (what the next change applies to). */
  private latestConfig(): Configuration {
    let c = this._config;
    const from = Math.max(this.configIndex, this.log.commit) + 1;
    if (this.log.lastConfigIndex < from) return c; // no config entry in the uncommitted tail
    for (let i = from; i <= this.log.lastIndex; i++) {
      c = configAfter(c, this.log.entryAt(i)!);
    }
    return c;
  }

  private appendEntry(type: EntryType, data: Uint8Array, change?: ConfChange, config?: Configuration): Entry {
    const e: Entry = { index: this.log.lastIndex + 1, term: this._term, type, data };
    if (change) e.change = change;
    if (config) e.config = cloneConfig(config);
    this.log.append([e]);
    this.uncommittedSize += data.length;
    this.appendsOwed = true;
    return e;
  }

  // ------------------------------------------------------------ reads and transfers

  readIndex(context: string): void {
    if (this._role === Role.Leader) {
      this.leaderReadIndex(this.cfg.id, context);
    } else if (this._leader !== NONE) {
      this.send({ type: 'readIndex', from: this.cfg.id, to: this._leader, term: this._term, context });
    } else {
      this.readFailures.push({ context, reason: 'no known leader' });
    }
  }

  private leaderReadIndex(from: NodeId, context: string): void {
    if (!this.committedCurrentTerm()) {
      // A new leader does not know the commit index until an entry of its term commits.
      this.readsAwaitingTermCommit.push({ from, context });
      return;
    }
    if (this._config.voters.length === 1 && this._config.voters[0] === this.cfg.id) {
      this.answerRead(from, context, this.log.commit);
      return;
    }
    if (this.cfg.broken === 'readIndexWithoutQuorum') {
      this.answerRead(from, context, this.log.commit);
      return;
    }
    const round = this.readQueue.add(from, context, this.log.commit, this.cfg.id);
    if (round !== undefined) this.bcastHeartbeat(round);
  }

  private answerRead(from: NodeId, context: string, index: number): void {
    if (from === this.cfg.id) this.readStates.push({ context, index });
    else this.send({ type: 'readIndexResp', from: this.cfg.id, to: from, term: this._term, context, index, reject: false });
  }

  private failReads(reason: string): void {
    const fail = (from: NodeId, context: string) => {
      if (from === this.cfg.id) this.readFailures.push({ context, reason });
      else this.send({ type: 'readIndexResp', from: this.cfg.id, to: from, term: this._term, context, index: 0, reject: true });
    };
    for (const r of this.readQueue.drain()) fail(r.from, r.context);
    for (const r of this.readsAwaitingTermCommit) fail(r.from, r.context);
    this.readsAwaitingTermCommit = [];
  }

  transferLeadership(target: NodeId): void {
    if (this._role !== Role.Leader) throw new ProposalError('not-leader', 'not the leader');
    if (target === this.cfg.id) return; // already leader: nothing to do
    if (!this._config.voters.includes(target)) {
      throw new ProposalError('invalid', `cannot transfer leadership to ${target}: not a voter`);
    }
    if (this._leadTransferee === target) return;
    this._leadTransferee = target;
    this.timeoutNowSent = false;
    this.electionElapsed = 0; // the transfer must finish within one election timeout
    const pr = this.prs.get(target)!;
    if (pr.match === this.log.lastIndex) this.sendTimeoutNow(target);
    else this.sendAppend(target);
  }

  /** A transfer target that has caught up gets TimeoutNow. */
  private maybeFinishTransfer(from: NodeId, pr: Progress): void {
    if (from === this._leadTransferee && !this.timeoutNowSent && pr.match === this.log.lastIndex) this.sendTimeoutNow(from);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.timeoutNowSent = true;
    this.send({ type: 'timeoutNow', from: this.cfg.id, to, term: this._term });
  }

  reportUnreachable(id: NodeId): void {
    if (this._role !== Role.Leader) return;
    const pr = this.prs.get(id);
    if (pr && pr.state === 'replicate') pr.becomeProbe();
  }

  /**
   * Writes the initial configuration as the first log entry (index 1, term 1), committed
   * locally: every server bootstrapping the same configuration writes the identical entry,
   * so they agree on it without an election. Only allowed on a node with no state at all.
   */
  bootstrap(config: Configuration): void {
    if (this.log.lastIndex !== 0 || this._term !== 0 || this._config.voters.length > 0) {
      throw new ProposalError('invalid', 'cannot bootstrap: this server already has Raft state');
    }
    if (config.voters.length === 0) throw new ProposalError('invalid', 'cannot bootstrap without voters');
    const c = cloneConfig(config);
    c.voters.sort();
    c.nonVoters.sort();
    this._term = 1;
    this.log.append([{ index: 1, term: 1, type: EntryType.Config, data: EMPTY, config: c }]);
    this.commitTo(1);
    this.resetRandomizedElectionTimeout();
  }

  /** The configuration in force at a committed index still in the log. */
  configurationAt(index: number): Configuration {
    assert(index >= this.log.snapshotMeta.index && index <= this.log.commit, `configurationAt: ${index} outside [snapshot, commit]`);
    return this.configAt(index);
  }

  // ------------------------------------------------------------ compaction

  compact(index: number, data: Uint8Array): void {
    const term = this.log.termAt(index);
    assert(term !== undefined, `compact: index ${index} is not in the log`);
    assert(index <= this._applied, `compact: index ${index} above applied ${this._applied}`);
    this.log.compact({ meta: { index, term, config: this.configAt(index) }, data });
  }

  /**
   * The newest configuration in the log, committed or not, and the index of the entry that set it
   * (the snapshot index when no entry after the snapshot changed it): what Nomad's
   * `/v1/operator/raft/configuration` reports.
   */
  latestConfiguration(): { config: Configuration; index: number } {
    const index = this.log.lastConfigIndex || this.log.snapshotMeta.index;
    return { config: cloneConfig(this.latestConfig()), index };
  }

  /** The configuration in force at index (≤ commit). */
  private configAt(index: number): Configuration {
    let c = cloneConfig(this.log.snapshotMeta.config);
    for (let i = this.log.firstIndex; i <= index; i++) c = configAfter(c, this.log.entryAt(i)!);
    return c;
  }

  // ------------------------------------------------------------ the Ready cycle

  hasReady(): boolean {
    if (this.outstanding) return false;
    this.flushAppends();
    return (
      this.msgs.length > 0 ||
      this.eagerMsgs.length > 0 ||
      this.readStates.length > 0 ||
      this.readFailures.length > 0 ||
      this.log.pendingSnapshot !== undefined ||
      this.log.stable < this.log.lastIndex ||
      this.hardStateChanged() ||
      this.softStateChanged() ||
      this.log.commit > this.log.applied
    );
  }

  ready(): Ready {
    assert(!this.outstanding, 'ready: the previous Ready has not been advanced');
    this.flushAppends();
    const rd: Ready = {
      entries: this.log.unstableEntries(),
      eagerMessages: this.eagerMsgs,
      messages: this.msgs,
      committedEntries: [],
      readStates: this.readStates,
      readFailures: this.readFailures,
    };
    const out: Outstanding = { appliedTo: this.log.applied };
    if (this.log.pendingSnapshot) {
      rd.snapshot = this.log.pendingSnapshot;
      out.snapshot = rd.snapshot;
      out.appliedTo = Math.max(out.appliedTo, rd.snapshot.meta.index);
      this.log.applied = Math.max(this.log.applied, rd.snapshot.meta.index);
      this.log.pendingSnapshot = undefined;
    }
    const committed = this.log.nextCommitted(this.log.lastIndex);
    if (committed.length > 0) {
      rd.committedEntries = committed;
      out.appliedTo = committed[committed.length - 1]!.index;
      this.log.applied = out.appliedTo;
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]!;
      out.lastEntry = { index: last.index, term: last.term };
    }
    if (this.hardStateChanged()) {
      rd.hardState = { term: this._term, vote: this._vote, commit: this.log.commit };
      this.prevHardState = rd.hardState;
    }
    if (this.softStateChanged()) {
      rd.softState = { role: this._role, leader: this._leader };
      this.prevSoftState = rd.softState;
    }
    this.msgs = [];
    this.eagerMsgs = [];
    this.readStates = [];
    this.readFailures = [];
    this.outstanding = out;
    this.truncatedSinceReady = Infinity;
    this.restoredSinceReady = false;
    return rd;
  }

  advance(): void {
    const out = this.outstanding;
    assert(out, 'advance: no Ready outstanding');
    this.outstanding = undefined;
    this._applied = Math.max(this._applied, out.appliedTo);
    if (out.lastEntry && !this.restoredSinceReady) {
      const persisted = Math.min(out.lastEntry.index, this.truncatedSinceReady - 1);
      if (persisted > this.log.stable && this.log.termAt(persisted) !== undefined) {
        this.log.stable = persisted;
      }
    }
    if (this._role === Role.Leader) {
      // Only now, with the entries durable, does the leader count itself towards a commit.
      const self = this.prs.get(this.cfg.id);
      if (self && self.maybeUpdate(this.log.stable) && this.maybeCommit()) this.bcastAppend();
    }
  }

  private hardStateChanged(): boolean {
    const p = this.prevHardState;
    return p.term !== this._term || p.vote !== this._vote || p.commit !== this.log.commit;
  }

  private softStateChanged(): boolean {
    return this.prevSoftState.role !== this._role || this.prevSoftState.leader !== this._leader;
  }

  private send(m: Message): void {
    const eager = EAGER_TYPES.has(m.type) || (this.cfg.broken === 'ackBeforePersist' && m.type === 'appResp');
    if (eager) this.eagerMsgs.push(m);
    else this.msgs.push(m);
  }

  // ------------------------------------------------------------ roles

  private resetRandomizedElectionTimeout(): void {
    const et = this.cfg.electionTick;
    this.randomizedElectionTimeout = et + Math.floor(this.cfg.random() * et);
  }

  private reset(term: number): void {
    if (this._term !== term) {
      this._term = term;
      this._vote = NONE;
    }
    this._leader = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.quorumCheckElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.votes.clear();
    this._leadTransferee = NONE;
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.prs.clear();
  }

  private becomeFollower(term: number, leader: NodeId): void {
    if (this._role === Role.Leader) this.failReads('leadership lost');
    this.reset(term);
    this._role = Role.Follower;
    this._leader = leader;
  }

  private becomePreCandidate(): void {
    // Pre-vote changes neither term nor vote: a failed pre-election leaves no trace.
    this.votes.clear();
    this._leader = NONE;
    this._role = Role.PreCandidate;
    this.electionElapsed = 0;
    this.resetRandomizedElectionTimeout();
  }

  private becomeCandidate(): void {
    this.reset(this._term + 1);
    this._vote = this.cfg.id;
    this._role = Role.Candidate;
  }

  private becomeLeader(): void {
    const term = this._term;
    this.reset(term);
    this._role = Role.Leader;
    this._leader = this.cfg.id;
    const next = this.cfg.initialNext === 'commit' ? this.log.commit + 1 : this.log.lastIndex + 1;
    for (const id of members(this._config)) {
      const pr = new Progress(id === this.cfg.id ? this.log.lastIndex + 1 : next, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
      if (id === this.cfg.id) {
        pr.match = this.log.stable;
        pr.state = 'replicate';
      }
      pr.recentActive = true;
      this.prs.set(id, pr);
    }
    // Conservatively treat the uncommitted tail as possibly holding a config change.
    for (let i = this.log.commit + 1; i <= this.log.lastIndex; i++) {
      if (this.log.entryAt(i)!.type === EntryType.Config) this.pendingConfIndex = i;
    }
    // The term-start no-op: lets the leader commit (and learn the commit index) in its own term.
    this.appendEntry(EntryType.Noop, EMPTY);
    this.uncommittedSize = 0;
  }

  /** Starts an election (or a pre-election). `transfer` skips pre-vote and bypasses leader stickiness. */
  private hup(transfer: boolean): void {
    if (this._role === Role.Leader) return;
    if (!this.promotable) return;
    if (this.cfg.preVote && !transfer) this.runElection('preVote', false);
    else this.runElection('vote', transfer);
  }

  private runElection(kind: 'preVote' | 'vote', transfer: boolean): void {
    let term: number;
    if (kind === 'preVote') {
      this.becomePreCandidate();
      term = this._term + 1;
    } else {
      this.becomeCandidate();
      term = this._term;
    }
    this.votes.set(this.cfg.id, true);
    if (this.pollResult() === 'won') {
      this.wonElection(kind);
      return;
    }
    for (const id of this._config.voters) {
      if (id === this.cfg.id) continue;
      this.send({
        type: kind,
        from: this.cfg.id,
        to: id,
        term,
        lastIndex: this.log.lastIndex,
        lastTerm: this.log.lastTerm,
        transfer,
      });
    }
  }

  private pollResult() {
    return tallyVotes(this._config.voters, this.votes);
  }

  private wonElection(kind: 'preVote' | 'vote'): void {
    if (kind === 'preVote') this.runElection('vote', false);
    else this.becomeLeader();
  }

  private handleVoteRequest(m: VoteMsg): void {
    const isPre = m.type === 'preVote';
    const canVote =
      this._vote === m.from ||
      (this._vote === NONE && this._leader === NONE) ||
      (isPre && m.term > this._term);
    const upToDate =
      this.cfg.broken === 'skipElectionRestriction' ||
      m.lastTerm > this.log.lastTerm ||
      (m.lastTerm === this.log.lastTerm && m.lastIndex >= this.log.lastIndex);
    const respType = isPre ? 'preVoteResp' : 'voteResp';
    if (canVote && upToDate) {
      // A pre-vote grant answers at the requested term, so the pre-candidate can count it.
      this.send({ type: respType, from: this.cfg.id, to: m.from, term: m.term, reject: false });
      if (!isPre) {
        this.electionElapsed = 0;
        this._vote = m.from;
      }
    } else {
      this.send({ type: respType, from: this.cfg.id, to: m.from, term: this._term, reject: true });
    }
  }

  // ------------------------------------------------------------ follower and candidate

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this._leader = m.from;
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.electionElapsed = 0;
        this._leader = m.from;
        this.handleHeartbeat(m);
        break;
      case 'snap':
        this.electionElapsed = 0;
        this._leader = m.from;
        this.handleSnapshot(m);
        break;
      case 'timeoutNow':
        // Leadership transfer: campaign at once, skipping pre-vote and stickiness.
        this.hup(true);
        break;
      case 'readIndexResp':
        if (m.reject) this.readFailures.push({ context: m.context, reason: 'leader refused the read' });
        else this.readStates.push({ context: m.context, index: m.index });
        break;
      case 'readIndex':
        // Not the leader: the requester will time out and retry.
        break;
      default:
        break;
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'app':
      case 'heartbeat':
      case 'snap':
        // A leader exists for our term: yield to it.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        break;
      case 'voteResp':
      case 'preVoteResp': {
        const mine = this._role === Role.PreCandidate ? 'preVoteResp' : 'voteResp';
        if (m.type !== mine) return;
        this.votes.set(m.from, !m.reject);
        const r = this.pollResult();
        if (r === 'won') this.wonElection(this._role === Role.PreCandidate ? 'preVote' : 'vote');
        else if (r === 'lost') this.becomeFollower(this._term, NONE);
        break;
      }
      default:
        break;
    }
  }

  private handleAppend(m: AppendMsg): void {
    const respond = (index: number, reject: boolean, hintIndex = 0, hintTerm = 0) =>
      this.send({ type: 'appResp', from: this.cfg.id, to: m.from, term: this._term, index, reject, hintIndex, hintTerm });
    if (m.prevIndex < this.log.commit) {
      respond(this.log.commit, false);
      return;
    }
    if (this.log.matchTerm(m.prevIndex, m.prevTerm)) {
      const lastNew = m.prevIndex + m.entries.length;
      if (this.cfg.broken === 'truncateAtOrBelowCommit') {
        // Broken: replaces the tail after the anchor even without a conflict.
        const cut = this.log.truncateAfter(m.prevIndex);
        if (cut) this.noteTruncation(cut);
        if (m.entries.length > 0) this.log.append(m.entries, true);
      } else {
        const ci = this.log.findConflict(m.entries);
        if (ci !== 0) {
          assert(ci > this.log.commit, `append: conflict at ${ci} at or below commit ${this.log.commit}`);
          const cut = this.log.append(m.entries.slice(ci - m.entries[0]!.index));
          if (cut) this.noteTruncation(cut);
        }
      }
      const cap = this.cfg.broken === 'followerCommitPastLastNew' ? this.log.lastIndex : lastNew;
      this.commitTo(Math.min(m.commit, cap));
      respond(lastNew, false);
      return;
    }
    const hint = this.log.findConflictByTerm(Math.min(m.prevIndex, this.log.lastIndex), m.prevTerm);
    respond(m.prevIndex, true, hint.index, hint.term);
  }

  private noteTruncation(at: number): void {
    if (this.outstanding) this.truncatedSinceReady = Math.min(this.truncatedSinceReady, at);
  }

  private handleHeartbeat(m: HeartbeatMsg): void {
    // The leader sends min(commit, our match), so this never passes what we hold.
    if (m.commit <= this.log.lastIndex) this.commitTo(m.commit);
    this.send({ type: 'heartbeatResp', from: this.cfg.id, to: m.from, term: this._term, context: m.context });
  }

  private handleSnapshot(m: SnapshotMsg): void {
    const meta = m.meta;
    const respond = (offset: number, done: boolean, reject: boolean) =>
      this.send({ type: 'snapResp', from: this.cfg.id, to: m.from, term: this._term, index: meta.index, offset, done, reject });
    if (meta.index <= this.log.commit) {
      // Nothing new: we already hold (and committed) everything it covers.
      this.incoming = undefined;
      respond(m.totalSize, true, false);
      return;
    }
    let inc = this.incoming;
    if (!inc || inc.meta.index !== meta.index || inc.meta.term !== meta.term || inc.from !== m.from) {
      if (m.offset !== 0) {
        respond(0, false, false); // ask for it from the start
        return;
      }
      inc = { meta, from: m.from, chunks: [], received: 0 };
      this.incoming = inc;
    }
    if (m.offset !== inc.received) {
      respond(inc.received, false, false); // a lost or duplicated chunk: say where we are
      return;
    }
    inc.chunks.push(m.data);
    inc.received += m.data.length;
    if (!m.done) {
      respond(inc.received, false, false);
      return;
    }
    this.incoming = undefined;
    if (inc.received !== m.totalSize) {
      respond(0, false, true);
      return;
    }
    const data = new Uint8Array(inc.received);
    let off = 0;
    for (const c of inc.chunks) {
      data.set(c, off);
      off += c.length;
    }
    this.restore({ meta, data });
    respond(inc.received, true, false);
  }

  private restore(snap: Snapshot): void {
    const meta = snap.meta;
    if (this.log.matchTerm(meta.index, meta.term)) {
      // Our log already has it: just fast-forward the commit.
      this.commitTo(meta.index);
      return;
    }
    if (this.outstanding) this.restoredSinceReady = true;
    this.log.restore(snap);
    this._config = cloneConfig(meta.config);
    this.configIndex = meta.index;
  }

  // ------------------------------------------------------------ leader

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'appResp':
        this.handleAppendResp(m);
        break;
      case 'heartbeatResp':
        this.handleHeartbeatResp(m);
        break;
      case 'snapResp':
        this.handleSnapshotResp(m);
        break;
      case 'readIndex':
        this.handleForwardedRead(m);
        break;
      default:
        break;
    }
  }

  private handleForwardedRead(m: ReadIndexMsg): void {
    if (!this.prs.has(m.from)) return;
    this.leaderReadIndex(m.from, m.context);
  }

  private handleAppendResp(m: AppendRespMsg): void {
    const pr = this.prs.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (m.reject) {
      // Fast backtracking: skip every index whose term cannot match the follower's hint.
      const probeAt = m.hintTerm > 0 ? this.log.findConflictByTerm(m.hintIndex, m.hintTerm).index : m.hintIndex;
      if (pr.maybeDecrTo(m.index, probeAt)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (pr.maybeUpdate(m.index)) {
      if (pr.state === 'probe') pr.becomeReplicate();
      else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
        pr.becomeProbe();
        pr.becomeReplicate();
      } else if (pr.state === 'replicate') pr.freeTo(m.index);
      if (this.maybeCommit()) this.bcastAppend();
      else if (wasPaused || pr.state === 'replicate') this.appendsOwed = true;
      this.maybeFinishTransfer(m.from, pr);
    } else if (pr.state === 'probe' && m.index === pr.match) {
      // The probe confirmed what we knew: the follower is caught up to match, so stream again.
      pr.becomeReplicate();
      this.appendsOwed = true;
      this.maybeFinishTransfer(m.from, pr);
    } else if (pr.state === 'replicate') {
      pr.freeTo(m.index);
      pr.probeSent = false;
    }
  }

  private handleHeartbeatResp(m: HeartbeatRespMsg): void {
    const pr = this.prs.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === 'snapshot') this.sendSnapshotChunk(m.from, pr);
    else if (pr.match < this.log.lastIndex || pr.state === 'probe') this.sendAppend(m.from, true);
    if (m.context !== '') {
      const done = this.readQueue.ack(m.from, m.context, (acks) => this.hasQuorum(acks));
      for (const r of done) this.answerRead(r.from, r.context, r.index);
    }
  }

  private handleSnapshotResp(m: SnapshotRespMsg): void {
    const pr = this.prs.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (pr.state !== 'snapshot' || m.index !== pr.pendingSnapshot) return;
    if (m.reject) {
      pr.becomeProbe();
      this.sendAppend(m.from);
      return;
    }
    if (m.done) {
      pr.match = Math.max(pr.match, m.index);
      pr.becomeProbe();
      pr.probeSent = false;
      this.sendAppend(m.from);
      this.maybeFinishTransfer(m.from, pr);
      return;
    }
    pr.snapshotOffset = m.offset;
    this.sendSnapshotChunk(m.from, pr);
  }

  private hasQuorum(ids: Set<NodeId>): boolean {
    let n = 0;
    for (const v of this._config.voters) if (ids.has(v)) n++;
    return n >= quorumSize(this._config.voters.length);
  }

  private quorumActive(): boolean {
    const active = new Set<NodeId>();
    for (const [id, pr] of this.prs) if (id === this.cfg.id || pr.recentActive) active.add(id);
    return this.hasQuorum(active);
  }

  private committedCurrentTerm(): boolean {
    return this.log.termAt(this.log.commit) === this._term;
  }

  /** Advances commit to what a quorum of voters holds, counting only current-term entries (Figure 8). */
  private maybeCommit(): boolean {
    const mci = committedIndex(this._config.voters, (id) => this.prs.get(id)?.match ?? 0);
    if (mci <= this.log.commit) return false;
    if (this.cfg.broken !== 'commitOldTermByCounting' && this.log.termAt(mci) !== this._term) return false;
    return this.commitTo(mci);
  }

  private commitTo(index: number): boolean {
    const old = this.log.commit;
    if (!this.log.commitTo(index)) return false;
    this.onCommitAdvanced(old);
    return true;
  }

  private onCommitAdvanced(oldCommit: number): void {
    const newCommit = this.log.commit;
    if (this._role === Role.Leader) {
      for (let i = oldCommit + 1; i <= newCommit; i++) {
        const e = this.log.entryAt(i);
        if (e) this.uncommittedSize = Math.max(0, this.uncommittedSize - e.data.length);
      }
      if (this.readsAwaitingTermCommit.length > 0 && this.committedCurrentTerm()) {
        const waiting = this.readsAwaitingTermCommit;
        this.readsAwaitingTermCommit = [];
        for (const r of waiting) this.leaderReadIndex(r.from, r.context);
      }
    }
    this.applyConfigEntries(oldCommit + 1, newCommit);
  }

  /** Config entries take effect when committed. */
  private applyConfigEntries(lo: number, hi: number): void {
    let changed = false;
    for (let i = Math.max(lo, this.log.firstIndex); i <= hi; i++) {
      const e = this.log.entryAt(i)!;
      if (e.type !== EntryType.Config) continue;
      this._config = configAfter(this._config, e);
      this.configIndex = i;
      changed = true;
    }
    if (changed && this._role === Role.Leader) this.onLeaderConfigChanged();
  }

  private onLeaderConfigChanged(): void {
    const want = new Set(members(this._config));
    for (const id of [...this.prs.keys()]) if (!want.has(id)) this.prs.delete(id);
    for (const id of want) {
      if (!this.prs.has(id)) {
        const pr = new Progress(this.log.lastIndex + 1, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
        pr.recentActive = true;
        this.prs.set(id, pr);
      }
    }
    if (this._leadTransferee !== NONE && !this._config.voters.includes(this._leadTransferee)) this._leadTransferee = NONE;
    if (!this._config.voters.includes(this.cfg.id)) {
      // Removed (or no longer a voter): tell the others the commit, then step down.
      this.bcastAppend();
      this.flushAppends();
      this.becomeFollower(this._term, NONE);
      return;
    }
    // A smaller quorum may commit pending entries now.
    if (this.maybeCommit()) this.bcastAppend();
  }

  /** Owes every follower an append, even an empty one: the commit index moved. */
  private bcastAppend(): void {
    this.appendsOwed = true;
    this.commitOwed = true;
  }

  /** Sends the appends owed since the last Ready: many proposals travel as one append. */
  private flushAppends(): void {
    if (!this.appendsOwed) return;
    const sendIfEmpty = this.commitOwed;
    this.appendsOwed = false;
    this.commitOwed = false;
    if (this._role !== Role.Leader) return;
    for (const id of this.prs.keys()) {
      if (id !== this.cfg.id) this.sendAppendsWhileOpen(id, sendIfEmpty);
    }
  }

  /** Fills the follower's window: in replicate state several appends may go out at once. */
  private sendAppendsWhileOpen(to: NodeId, sendIfEmpty: boolean): void {
    const pr = this.prs.get(to)!;
    let first = true;
    while (this.sendAppend(to, first && sendIfEmpty)) {
      first = false;
      if (pr.state !== 'replicate' || pr.next > this.log.lastIndex || pr.windowFull()) break;
    }
  }

  /** Sends one append (or starts a snapshot) to a follower. Returns true if a message went out. */
  private sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.prs.get(to);
    if (!pr || to === this.cfg.id) return false;
    if (pr.state === 'snapshot') return false;
    const windowProbe = pr.state === 'replicate' && pr.windowFull();
    if (windowProbe && pr.probeSent) return false;
    if (pr.state === 'probe' && pr.probeSent) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.termAt(prevIndex);
    if (prevTerm === undefined) {
      this.startSnapshot(to, pr);
      return true;
    }
    // A saturated window only gets empty probes, so a stuck follower never receives unbounded data (etcd#14633).
    const entries = windowProbe ? [] : this.log.slice(pr.next, this.log.lastIndex + 1, this.cfg.maxSizePerMsg);
    if (entries.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of entries) bytes += entrySize(e);
    const msg: AppendMsg = {
      type: 'app',
      from: this.cfg.id,
      to,
      term: this._term,
      prevIndex,
      prevTerm,
      entries,
      commit: this.log.commit,
    };
    this.send(msg);
    pr.sentEntries(prevIndex + entries.length, bytes, entries.length);
    return true;
  }

  private startSnapshot(to: NodeId, pr: Progress): void {
    pr.becomeSnapshot(this.log.snapshotMeta.index);
    this.sendSnapshotChunk(to, pr);
  }

  private sendSnapshotChunk(to: NodeId, pr: Progress): void {
    const snap = this.log.snapshot;
    if (pr.pendingSnapshot !== snap.meta.index) {
      // We compacted again since the transfer began: start over with the newer snapshot.
      pr.becomeSnapshot(snap.meta.index);
    }
    const offset = Math.min(pr.snapshotOffset, snap.data.length);
    const data = snap.data.subarray(offset, offset + this.cfg.snapshotChunkSize);
    const msg: SnapshotMsg = {
      type: 'snap',
      from: this.cfg.id,
      to,
      term: this._term,
      meta: snap.meta,
      offset,
      data,
      totalSize: snap.data.length,
      done: offset + data.length >= snap.data.length,
    };
    this.send(msg);
  }

  private bcastHeartbeat(context: string): void {
    for (const [id, pr] of this.prs) {
      if (id === this.cfg.id) continue;
      const hb: HeartbeatMsg = {
        type: 'heartbeat',
        from: this.cfg.id,
        to: id,
        term: this._term,
        commit: Math.min(pr.match, this.log.commit),
        context,
      };
      this.send(hb);
    }
  }
}

