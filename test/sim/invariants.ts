// Global observer of a simulated cluster: checks the protocol invariants of the
// test catalogue §3.1 (I1–I14) after every simulated action, incrementally.
//
// Per node it keeps a mirror of the in-memory log (term and rolling prefix hash
// per index, only the changed suffix is re-read and re-hashed), and globally
// append-only ledgers: (index, term) → prefix hash of every entry ever seen,
// the committed prefix, the first application per index, snapshots per index,
// the leader per term, the append sender per term and each node's persisted vote
// per term. Violations carry the invariant id, the step and the seed.
import {
  EntryType,
  Role,
  type Configuration,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type PersistedState,
  type ProgressView,
  type ReadState,
  type Ready,
  type SnapshotMeta,
} from '../../src/raft/index.ts';
import { chainHash, entryContentHash, hashString, mix } from './hash.ts';
import type { SyncedView } from './storage.ts';

export type InvariantId =
  | 'I1' | 'I2' | 'I3' | 'I4' | 'I5' | 'I6' | 'I7' | 'I8' | 'I9' | 'I10' | 'I11' | 'I12' | 'I13' | 'I14'
  | 'L1' | 'C1' | 'LIN' | 'CORE';

export const INVARIANT_NAMES: Record<InvariantId, string> = {
  I1: 'election safety',
  I2: 'vote durability',
  I3: 'term monotonicity',
  I4: 'leader append-only',
  I5: 'log matching',
  I6: 'leader completeness',
  I7: 'state-machine safety',
  I8: 'local ordering',
  I9: 'no truncation of committed entries',
  I10: 'commit rule',
  I11: 'durable-before-send',
  I12: 'leader knowledge conservative',
  I13: 'config discipline',
  I14: 'read safety',
  L1: 'liveness after heal',
  C1: 'acknowledged writes',
  LIN: 'linearizability',
  CORE: 'core error',
};

export interface Violation {
  id: InvariantId;
  /** Full text, e.g. "I5 log matching: n2 and n3 differ at index 7 ...". */
  message: string;
  step: number;
  seed: number;
  node?: NodeId;
}

export function formatViolation(v: Violation): string {
  return `${v.message} (step ${v.step}, seed ${v.seed})`;
}

/** The read-only part of RaftCore the observer uses (RaftCore satisfies it; tests may fake it). */
export interface CoreView {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly role: Role;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly stableIndex: number;
  readonly snapshotMeta: SnapshotMeta;
  readonly config: Configuration;
  termAt(i: number): number | undefined;
  entries(lo: number, hi: number): Entry[];
  progress(id: NodeId): ProgressView | undefined;
  isVoter(id: NodeId): boolean;
}

export interface ObserverOptions {
  seed: number;
  /** Current step number, for reports. */
  step: () => number;
  /** Called for every violation as it is found. */
  onViolation?: (v: Violation) => void;
}

class Track {
  view: CoreView | null = null;
  /** Snapshot index of the mirror (firstIndex - 1). Values below it are unreliable. */
  base = 0;
  last = 0;
  terms: number[] = [0];
  hashes: number[] = [0];
  /** Indices of Config entries in (base, last], ascending. */
  cfgIdx: number[] = [];
  term = 0;
  vote: NodeId = '';
  role: Role = Role.Follower;
  commit = 0;
  /** Application's applied index (this incarnation). */
  applied = 0;
  /** Configuration cached while leader (refreshed on commit advance). */
  cfg: Configuration | undefined;
  // Across incarnations (persisted facts).
  syncedTerm = 0;
  readonly votes = new Map<number, NodeId>();
  constructor(readonly id: NodeId) {}
}

interface ApplyRecord {
  term: number;
  hash: number;
  node: NodeId;
  cmdId: string | undefined;
  result: boolean | undefined;
  type: EntryType;
}

const TERM_SPAN = 1 << 20;

export class Observer {
  readonly violations: Violation[] = [];
  private readonly tracks = new Map<NodeId, Track>();
  private readonly leaders = new Set<NodeId>();
  /** (index, term) key → prefix hash and first holder. */
  private readonly entryLedger = new Map<number, { hash: number; node: NodeId }>();
  /** Committed prefix: term and prefix hash per index, 1..maxCommitted. */
  private readonly cTerm: number[] = [0];
  private readonly cHash: number[] = [0];
  private readonly cNode: NodeId[] = [''];
  maxCommitted = 0;
  /** First application per index. */
  readonly applied: (ApplyRecord | undefined)[] = [];
  maxApplied = 0;
  private readonly snapshots = new Map<number, { hash: number; node: NodeId }>();
  readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly senderOfTerm = new Map<number, NodeId>();
  private readonly readFloor = new Map<string, number>();
  /** Counters for run statistics. */
  readonly counts = { leaderChanges: 0, readsChecked: 0, actions: 0, snapshotsRestored: 0 };
  /** Rolling hash of every node's (term, role, commit, last index, vote) after every action (for the trace hash). */
  stateHash = 0;

  constructor(private readonly opts: ObserverOptions) {}

  // ------------------------------------------------------------------ reporting

  report(id: InvariantId, detail: string, node?: NodeId): void {
    const v: Violation = { id, message: `${id} ${INVARIANT_NAMES[id]}: ${detail}`, step: this.opts.step(), seed: this.opts.seed };
    if (node !== undefined) v.node = node;
    this.violations.push(v);
    this.opts.onViolation?.(v);
  }

  private track(id: NodeId): Track {
    let t = this.tracks.get(id);
    if (!t) {
      t = new Track(id);
      this.tracks.set(id, t);
    }
    return t;
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * A node (re)started with `view` built from `loaded`. Rebuilds its mirror and
   * checks that the restart reproduced the persisted term, vote and commit.
   */
  attach(id: NodeId, view: CoreView, loaded?: PersistedState): void {
    const t = this.track(id);
    t.view = view;
    this.leaders.delete(id);
    const base = view.firstIndex - 1;
    const last = view.lastIndex;
    t.base = base;
    t.last = base;
    t.terms = [];
    t.hashes = [];
    t.cfgIdx = [];
    const baseTerm = base === 0 ? 0 : view.snapshotMeta.term;
    t.terms[base] = baseTerm;
    t.hashes[base] = this.baseHash(id, base, baseTerm);
    if (last > base) this.appendMirror(t, view.entries(base + 1, last + 1), base);
    t.term = view.term;
    t.vote = view.vote;
    t.role = view.role;
    t.commit = view.commitIndex;
    t.applied = base;
    t.cfg = undefined;
    if (loaded) {
      const hs = loaded.hardState;
      if (view.term !== hs.term || view.vote !== hs.vote) {
        this.report('I2', `${id} restarted as (term ${view.term}, vote '${view.vote}') but persisted (term ${hs.term}, vote '${hs.vote}')`, id);
      }
      if (view.term < t.syncedTerm) this.report('I3', `${id} restarted at term ${view.term} below its persisted term ${t.syncedTerm}`, id);
      if (view.commitIndex < hs.commit) {
        this.report('I8', `${id} restarted with commit ${view.commitIndex} below its persisted commit ${hs.commit}`, id);
      }
    }
    if (t.commit > 0) this.recordCommitted(t, Math.min(t.commit, t.last));
    this.checkLocal(t, view);
    if (t.role === Role.Leader) this.leaders.add(id);
  }

  /** The node crashed or was stopped: its in-memory state is gone. */
  detach(id: NodeId): void {
    const t = this.track(id);
    t.view = null;
    t.cfg = undefined;
    this.leaders.delete(id);
  }

  /** The application's applied index after a (re)start. */
  setApplied(id: NodeId, applied: number): void {
    this.track(id).applied = applied;
  }

  // ------------------------------------------------------------------ per action

  /** Checks everything that may have changed on `id` after one step/tick/propose/advance. */
  afterAction(id: NodeId): void {
    const t = this.tracks.get(id);
    const c = t?.view;
    if (!t || !c) return;
    this.counts.actions++;
    const term = c.term;
    const role = c.role;
    const commit = c.commitIndex;
    const prevTerm = t.term;
    const prevRole = t.role;
    const prevCommit = t.commit;
    const wasLeader = prevRole === Role.Leader;
    const stillLeader = wasLeader && role === Role.Leader && term === prevTerm;

    if (term < prevTerm) this.report('I3', `${id} term went back from ${prevTerm} to ${term}`, id);
    if (term === prevTerm && t.vote !== '' && c.vote !== t.vote) {
      this.report('I2', `${id} changed its vote in term ${term} from ${t.vote} to '${c.vote}'`, id);
    }

    this.updateLog(t, c, stillLeader, prevCommit);

    if (commit < prevCommit) this.report('I8', `${id} commit went back from ${prevCommit} to ${commit}`, id);
    this.stateHash = mix(mix(mix(mix(mix(this.stateHash, hashString(id)), term), commit), t.last), hashString(role + c.vote));
    t.term = term;
    t.vote = c.vote;
    t.role = role;
    this.checkLocal(t, c);

    if (role === Role.Leader) {
      this.leaders.add(id);
      if (!wasLeader || term !== prevTerm) this.onBecomeLeader(t, c);
    } else {
      this.leaders.delete(id);
      t.cfg = undefined;
      if ((role === Role.Candidate || role === Role.PreCandidate) && role !== prevRole && !c.isVoter(id)) {
        this.report('I13', `${id} became ${role} in term ${term} but is not a voter in its configuration`, id);
      }
    }

    t.commit = commit;
    if (commit > prevCommit) {
      this.recordCommitted(t, commit);
      if (stillLeader) this.checkCommitRule(t, c, prevCommit, commit);
    }

    // I12: the leader's view of its followers, and every leader's view of this node.
    if (role === Role.Leader) {
      const cfg = t.cfg ?? (t.cfg = c.config);
      for (const f of cfg.voters) if (f !== id) this.checkKnowledge(t, c, f);
      for (const f of cfg.nonVoters) if (f !== id) this.checkKnowledge(t, c, f);
    }
    for (const l of this.leaders) {
      if (l === id) continue;
      const lt = this.tracks.get(l)!;
      if (lt.view) this.checkKnowledge(lt, lt.view, id);
    }
  }

  private checkLocal(t: Track, c: CoreView): void {
    const commit = c.commitIndex;
    if (commit > t.last) this.report('I8', `${t.id} commit ${commit} beyond its last index ${t.last}`, t.id);
    if (t.base > commit) this.report('I8', `${t.id} snapshot index ${t.base} beyond its commit ${commit}`, t.id);
    if (c.appliedIndex > commit) this.report('I8', `${t.id} applied ${c.appliedIndex} beyond commit ${commit}`, t.id);
    if (t.applied > commit) this.report('I8', `${t.id} application applied ${t.applied} beyond commit ${commit}`, t.id);
  }

  /** Brings the mirror of t's log up to date with the core and checks I4, I5, I9. */
  private updateLog(t: Track, c: CoreView, stillLeader: boolean, prevCommit: number): void {
    const id = t.id;
    const first = c.firstIndex;
    const last = c.lastIndex;
    const base = first - 1;
    if (base !== t.base) {
      if (base < t.base) {
        this.report('I8', `${id} first index went back from ${t.base + 1} to ${first}`, id);
      }
      const meta = c.snapshotMeta;
      if (meta.index !== base) this.report('I8', `${id} firstIndex ${first} but snapshot index ${meta.index}`, id);
      const st = meta.term;
      if (base > t.base && base <= t.last && t.terms[base] === st) {
        // Compaction (or a snapshot matching the log): the suffix stays.
        t.base = base;
        while (t.cfgIdx.length > 0 && t.cfgIdx[0]! <= base) t.cfgIdx.shift();
      } else {
        // Snapshot installed over a different log: the old suffix is replaced.
        const ci = this.cTerm[base];
        if (ci !== undefined && base <= this.maxCommitted && ci !== st) {
          this.report('I7', `${id} installed a snapshot at (${base}, t${st}) but index ${base} was committed with term ${ci}`, id);
        }
        this.checkRemoval(t, Math.max(base, t.base) + 1, t.last, stillLeader, prevCommit, 'snapshot install');
        t.base = base;
        t.last = base;
        t.terms[base] = st;
        t.hashes[base] = this.baseHash(id, base, st);
        t.cfgIdx = [];
      }
    }
    // Find where the log diverges from the mirror (equal terms ⇒ equal entries; the
    // Ready-time check verifies that assumption on every persisted entry).
    let j = Math.min(last, t.last);
    while (j > t.base && c.termAt(j) !== t.terms[j]) j--;
    if (j < t.last) {
      this.checkRemoval(t, j + 1, t.last, stillLeader, prevCommit, 'truncation');
      t.last = j;
      const cfg = t.cfgIdx;
      while (cfg.length > 0 && cfg[cfg.length - 1]! > j) cfg.pop();
    }
    if (j < last) {
      const added = c.entries(j + 1, last + 1);
      const hadCfg = t.cfgIdx.length;
      this.appendMirror(t, added, j);
      if (stillLeader && t.cfgIdx.length > hadCfg) this.checkConfigDiscipline(t, c);
    }
  }

  private checkRemoval(t: Track, from: number, to: number, stillLeader: boolean, prevCommit: number, how: string): void {
    if (from > to) return;
    const id = t.id;
    if (stillLeader) this.report('I4', `leader ${id} (term ${t.term}) removed its entries ${from}..${to} (${how})`, id);
    if (from <= prevCommit) {
      this.report('I9', `${id} removed entries ${from}..${to} (${how}) at or below its commit ${prevCommit}`, id);
      return;
    }
    const top = Math.min(to, this.maxCommitted);
    for (let i = from; i <= top; i++) {
      if (this.cTerm[i] === t.terms[i] && this.cHash[i] === t.hashes[i]) {
        this.report('I9', `${id} removed committed entry (${i}, t${t.terms[i]}) (${how})`, id);
        return;
      }
    }
  }

  /** Appends entries (starting after index `after`) to the mirror, checking the (index, term) ledger. */
  private appendMirror(t: Track, entries: Entry[], after: number): void {
    let prev = t.hashes[after]!;
    let expected = after + 1;
    let reported = false;
    for (const e of entries) {
      if (e.index !== expected) {
        this.report('I8', `${t.id} log not contiguous: expected index ${expected}, got ${e.index}`, t.id);
        break;
      }
      if (e.term < t.terms[e.index - 1]!) {
        this.report('I5', `${t.id} log terms decrease at index ${e.index} (t${t.terms[e.index - 1]} then t${e.term})`, t.id);
      }
      const h = chainHash(prev, e.index, e.term, entryContentHash(e));
      const key = e.index * TERM_SPAN + e.term;
      const seen = this.entryLedger.get(key);
      if (seen === undefined) this.entryLedger.set(key, { hash: h, node: t.id });
      else if (seen.hash !== h && !reported) {
        // Reported once: every later prefix differs as well.
        reported = true;
        this.report('I5', `${t.id} and ${seen.node} both hold (${e.index}, t${e.term}) with different prefixes or content`, t.id);
      }
      t.terms[e.index] = e.term;
      t.hashes[e.index] = h;
      if (e.type === EntryType.Config) t.cfgIdx.push(e.index);
      prev = h;
      expected++;
    }
    t.last = expected - 1;
  }

  private baseHash(id: NodeId, index: number, term: number): number {
    if (index === 0) return 0;
    const seen = this.entryLedger.get(index * TERM_SPAN + term);
    if (seen) return seen.hash;
    if (this.cTerm[index] === term) return this.cHash[index]!;
    this.report('I7', `${id} holds a snapshot at (${index}, t${term}), an entry no log ever held`, id);
    return (index * 2654435761) >>> 0;
  }

  /** Records t's log up to `upTo` as committed, checking it against the committed ledger. */
  private recordCommitted(t: Track, upTo: number): void {
    if (upTo > t.last) upTo = t.last; // reported by checkLocal
    const G = this.maxCommitted;
    // Rolling hashes: agreement at one index means agreement on the whole prefix.
    const probe = Math.min(upTo, G);
    if (probe >= t.base && probe > 0) {
      if (this.cTerm[probe] !== undefined && this.cHash[probe] !== t.hashes[probe]) {
        let i = Math.max(t.base, 1);
        while (i < probe && this.cHash[i] === t.hashes[i]) i++;
        this.report(
          'I7',
          `${t.id} committed (${i}, t${t.terms[i]}) but ${this.cNode[i]} committed (${i}, t${this.cTerm[i]}) at that index`,
          t.id,
        );
        return;
      }
    }
    for (let i = Math.max(G + 1, t.base); i <= upTo; i++) {
      if (i === 0) continue;
      this.cTerm[i] = t.terms[i]!;
      this.cHash[i] = t.hashes[i]!;
      this.cNode[i] = t.id;
    }
    if (upTo > G) this.maxCommitted = upTo;
  }

  private onBecomeLeader(t: Track, c: CoreView): void {
    const term = c.term;
    const prev = this.leaderOfTerm.get(term);
    if (prev === undefined) {
      this.leaderOfTerm.set(term, t.id);
      this.counts.leaderChanges++;
    } else if (prev !== t.id) {
      this.report('I1', `${t.id} and ${prev} are both leader of term ${term}`, t.id);
    }
    t.cfg = c.config;
    // I6: every entry committed in an earlier term is in the new leader's log.
    let i = this.maxCommitted;
    while (i > 0 && (this.cTerm[i] === undefined || this.cTerm[i]! >= term)) i--;
    if (i === 0) return;
    if (i > t.last) {
      this.report('I6', `${t.id} became leader of term ${term} with last index ${t.last} but (${i}, t${this.cTerm[i]}) is committed`, t.id);
      return;
    }
    const at = Math.max(i, t.base);
    if (this.cTerm[at] !== undefined && at <= this.maxCommitted && t.hashes[at] !== this.cHash[at]) {
      this.report('I6', `${t.id} became leader of term ${term} without committed entry (${at}, t${this.cTerm[at]}) (it has t${t.terms[at]})`, t.id);
    }
  }

  /** I10: a leader advanced commit prev → next. */
  private checkCommitRule(t: Track, c: CoreView, prev: number, next: number): void {
    const term = c.term;
    const nt = t.terms[next];
    if (nt !== term) {
      this.report('I10', `leader ${t.id} (term ${term}) advanced commit ${prev} → ${next}, an entry of term ${nt}`, t.id);
    }
    const before = t.cfg;
    const after = c.config;
    t.cfg = after;
    const self = c.stableIndex;
    // A voter removed by this very commit has lost its progress already: its
    // match is unknown here, so it is given the benefit of the doubt.
    const hasQuorum = (cfg: Configuration): boolean => {
      let n = 0;
      for (const v of cfg.voters) {
        const p = v === t.id ? undefined : c.progress(v);
        const m = v === t.id ? self : p ? p.match : after.voters.includes(v) || after.nonVoters.includes(v) ? 0 : next;
        if (m >= next) n++;
      }
      return 2 * n > cfg.voters.length;
    };
    if (!(before && hasQuorum(before)) && !hasQuorum(after)) {
      const show = (cfg: Configuration | undefined): string =>
        cfg ? `{${cfg.voters.map((v) => `${v}:${v === t.id ? self : c.progress(v)?.match ?? 0}`).join(' ')}}` : '{}';
      this.report(
        'I10',
        `leader ${t.id} (term ${term}) advanced commit ${prev} → ${next} without a quorum at ≥ ${next} (voter:match before ${show(before)}, after ${show(after)})`,
        t.id,
      );
    }
  }

  /** I12: leader L's match for follower f is no more than f really matches. */
  private checkKnowledge(L: Track, c: CoreView, f: NodeId): void {
    const p = c.progress(f);
    if (!p) return;
    if (p.next <= p.match) this.report('I12', `leader ${L.id} has next ${p.next} ≤ match ${p.match} for ${f}`, L.id);
    const m = p.match;
    if (m === 0) return;
    const F = this.tracks.get(f);
    if (!F || !F.view || F.term !== L.term) return; // down, or moved on to a newer term
    if (m > F.last) {
      this.report('I12', `leader ${L.id} (term ${L.term}) believes ${f} matches up to ${m}, but ${f}'s log ends at ${F.last}`, L.id);
      return;
    }
    if (m <= F.base) return; // covered by f's snapshot (committed)
    const lh = m >= L.base && m <= L.last ? L.hashes[m] : this.cTerm[m] !== undefined ? this.cHash[m] : undefined;
    if (lh !== undefined && F.hashes[m] !== lh) {
      this.report('I12', `leader ${L.id} (term ${L.term}) believes ${f} matches up to ${m}, but ${f} has a different entry (t${F.terms[m]}) there`, L.id);
    }
  }

  /** I13: at most one uncommitted config entry in a leader's log (checked when it appends one). */
  private checkConfigDiscipline(t: Track, c: CoreView): void {
    let eff = c.commitIndex;
    const g = Math.min(this.maxCommitted, t.last);
    if (g > eff && g >= t.base && t.hashes[g] === this.cHash[g]) eff = g;
    let n = 0;
    for (let k = t.cfgIdx.length - 1; k >= 0 && t.cfgIdx[k]! > eff; k--) n++;
    if (n > 1) {
      const idx = t.cfgIdx.filter((i) => i > eff).join(', ');
      this.report('I13', `leader ${t.id} (term ${t.term}) has ${n} uncommitted config entries (indices ${idx}; committed ${eff})`, t.id);
    }
  }

  // ------------------------------------------------------------------ Ready cycle

  /**
   * The node took `rd`. Checks its entries against the mirror and returns, per
   * message, the term of the node's entry at an acknowledged index at this
   * moment (for the durable-before-send check at send time).
   */
  onReady(id: NodeId, rd: Ready): number[] {
    const t = this.tracks.get(id);
    if (!t) return [];
    for (const e of rd.entries) {
      if (e.index <= t.base || e.index > t.last) {
        this.report('I5', `${id} Ready carries entry (${e.index}, t${e.term}) outside its in-memory log (${t.base + 1}..${t.last})`, id);
        break;
      }
      const prev = t.hashes[e.index - 1];
      if (t.terms[e.index] !== e.term || (prev !== undefined && chainHash(prev, e.index, e.term, entryContentHash(e)) !== t.hashes[e.index])) {
        this.report('I5', `${id} Ready entry (${e.index}, t${e.term}) differs from its in-memory log (t${t.terms[e.index]})`, id);
        break;
      }
    }
    const ackTerms: number[] = [];
    for (const m of rd.messages) ackTerms.push(m.type === 'appResp' && !m.reject ? (t.terms[m.index] ?? -1) : -1);
    return ackTerms;
  }

  /**
   * A message leaves node `id`. I11 against the sender's synced storage; I1 for
   * append senders. `ackTerm`: the sender's term at an acknowledged index when
   * the Ready was taken (from onReady), -1 if unknown.
   */
  onSend(id: NodeId, msg: Message, synced: SyncedView, ackTerm = -1): void {
    switch (msg.type) {
      case 'app':
      case 'heartbeat':
      case 'snap': {
        const s = this.senderOfTerm.get(msg.term);
        if (s === undefined) this.senderOfTerm.set(msg.term, id);
        else if (s !== id) this.report('I1', `${id} and ${s} both sent ${msg.type} messages in term ${msg.term}`, id);
        break;
      }
      case 'appResp': {
        if (msg.reject || msg.index === 0) break;
        const si = synced.snapshotIndex();
        if (msg.index < si) break;
        // An ack generated in term T and queued while a higher-term leader truncated
        // the entry is a (harmlessly) delayed message: the node has durably moved past
        // T and can never act in T again, so only same-term acks must be durable.
        if (synced.hardState().term > msg.term) break;
        const st = synced.termAt(msg.index);
        if (st === undefined) {
          this.report('I11', `${id} acknowledged index ${msg.index} (term ${msg.term}) to ${msg.to} before persisting it (durable last ${si}..)`, id);
        } else if (ackTerm >= 0 && st !== ackTerm) {
          this.report('I11', `${id} acknowledged index ${msg.index} (t${ackTerm}) to ${msg.to} but persisted t${st} there`, id);
        }
        break;
      }
      // A vote message of an older term than the durable one is stale but
      // harmless: the node can never vote in that term again.
      case 'voteResp': {
        if (msg.reject) break;
        const hs = synced.hardState();
        if (hs.term < msg.term || (hs.term === msg.term && hs.vote !== msg.to)) {
          this.report('I11', `${id} granted its term-${msg.term} vote to ${msg.to} with persisted (term ${hs.term}, vote '${hs.vote}')`, id);
        }
        break;
      }
      case 'vote': {
        const hs = synced.hardState();
        if (hs.term < msg.term || (hs.term === msg.term && hs.vote !== id)) {
          this.report('I11', `${id} requested votes for term ${msg.term} with persisted (term ${hs.term}, vote '${hs.vote}')`, id);
        }
        break;
      }
      case 'snapResp': {
        if (!msg.done || msg.reject) break;
        if (synced.snapshotIndex() < msg.index && synced.termAt(msg.index) === undefined) {
          this.report('I11', `${id} reported snapshot ${msg.index} installed before persisting it`, id);
        }
        break;
      }
      default:
        break;
    }
  }

  /** The node's storage completed a sync; `hs` is its durable hard state. I2, I3. */
  onSynced(id: NodeId, hs: HardState): void {
    const t = this.track(id);
    if (hs.term < t.syncedTerm) this.report('I3', `${id} persisted term ${hs.term} after term ${t.syncedTerm}`, id);
    else t.syncedTerm = hs.term;
    const v = t.votes.get(hs.term);
    if (v !== undefined && v !== hs.vote) {
      this.report('I2', `${id} persisted vote '${hs.vote}' in term ${hs.term} after persisting vote '${v}'`, id);
    } else if (v === undefined && hs.vote !== '') t.votes.set(hs.term, hs.vote);
  }

  // ------------------------------------------------------------------ application

  /** Node `id` applied entry e (cmdId/result: the client command in it, if any). I7, I8. */
  onApply(id: NodeId, e: Entry, cmdId?: string, result?: boolean): void {
    const t = this.track(id);
    if (e.index !== t.applied + 1) {
      this.report('I8', `${id} applied index ${e.index} after ${t.applied}`, id);
    }
    t.applied = e.index;
    const h = entryContentHash(e);
    const rec = this.applied[e.index];
    if (rec === undefined) {
      this.applied[e.index] = { term: e.term, hash: h, node: id, cmdId, result, type: e.type };
      if (e.index > this.maxApplied) this.maxApplied = e.index;
    } else if (rec.term !== e.term || rec.hash !== h) {
      this.report('I7', `${id} applied (${e.index}, t${e.term}) but ${rec.node} applied (${e.index}, t${rec.term}) there`, id);
    } else if (rec.result !== result) {
      this.report('I7', `${id} got result ${String(result)} applying index ${e.index}, ${rec.node} got ${String(rec.result)}`, id);
    }
  }

  /** Node `id` restored its application from a snapshot. */
  onSnapshotRestored(id: NodeId, meta: SnapshotMeta, dataHash: number): void {
    const t = this.track(id);
    this.counts.snapshotsRestored++;
    if (meta.index < t.applied) this.report('I8', `${id} restored snapshot ${meta.index} below its applied ${t.applied}`, id);
    t.applied = meta.index;
    this.recordSnapshot(id, meta.index, meta.term, dataHash);
  }

  /** A snapshot exists (taken or received) at index with the given data hash. I7. */
  recordSnapshot(id: NodeId, index: number, term: number, dataHash: number): void {
    const seen = this.snapshots.get(index);
    if (seen === undefined) this.snapshots.set(index, { hash: dataHash, node: id });
    else if (seen.hash !== dataHash) this.report('I7', `${id}'s snapshot at ${index} differs from ${seen.node}'s`, id);
    const ct = this.cTerm[index];
    if (ct !== undefined && index <= this.maxCommitted && ct !== term) {
      this.report('I7', `${id} has a snapshot at (${index}, t${term}) but index ${index} was committed with t${ct}`, id);
    }
  }

  // ------------------------------------------------------------------ reads

  /** A client asks for a read index with `context`: remember the highest commit anywhere now. */
  onReadRequest(context: string): void {
    let max = this.maxCommitted;
    for (const t of this.tracks.values()) if (t.commit > max) max = t.commit;
    this.readFloor.set(context, max);
  }

  /** I14: the answer to a read request covers every commit that preceded the request. */
  onReadState(id: NodeId, rs: ReadState): void {
    const floor = this.readFloor.get(rs.context);
    if (floor === undefined) return;
    this.counts.readsChecked++;
    if (rs.index < floor) {
      this.report('I14', `${id} answered read ${rs.context} with index ${rs.index}, but index ${floor} was committed before the request`, id);
    }
  }

  // ------------------------------------------------------------------ queries

  currentLeaders(): NodeId[] {
    return [...this.leaders];
  }
}
