// runSimulation: one seeded run of the cluster under the nemesis, then a heal
// phase checking liveness (L1), then the client-level checks (C1, final state
// equality) and the linearizability check of the client history.
import { Role, type BrokenVariant, type NodeId } from '../../src/raft/index.ts';
import { checkOperations, historyToOperations, type Verdict } from '../lib/linearizability.ts';
import { isRead, kvModel, kvPartitionKeys } from '../lib/models.ts';
import { Cluster, type ClusterCounters, type SimRaftSettings } from './cluster.ts';
import type { Violation } from './invariants.ts';
import { Nemesis } from './nemesis.ts';
import type { WorkloadStats } from './workload.ts';

export interface SimOptions {
  seed: number;
  /** Initial voters (3 or 5). Default 3. */
  nodes?: number;
  /** Sub-steps of the nemesis phase. Default 3000. */
  steps?: number;
  /** Spare ids for membership changes. Default 3. */
  spares?: number;
  clients?: number;
  keys?: number;
  /** A known-broken core behaviour (test only). */
  broken?: BrokenVariant;
  /** Stop at the first violation (default true): cheap for broken-variant hunts. */
  stopAtFirstViolation?: boolean;
  /** Run the linearizability checker on the client history (default true). */
  checkLinearizability?: boolean;
  /** Search-step budget per key partition for the checker (deterministic). Default 2,000,000. */
  linMaxSteps?: number;
  /** Sub-steps per tick. Default 4. */
  tickLen?: number;
  /** L1 bound: the heal phase may take k·electionTick×2 ticks. Default k = 10. */
  healFactor?: number;
}

export interface SimStats extends ClusterCounters, WorkloadStats {
  steps: number;
  healSteps: number;
  actions: number;
  messagesSent: number;
  messagesDelivered: number;
  leaderChanges: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  cutDropped: number;
  snapshotsInstalled: number;
  readsChecked: number;
}

export interface LinSummary {
  verdict: Verdict | 'skipped';
  /** Key partitions per verdict. */
  ok: number;
  violation: number;
  unknown: number;
  operations: number;
}

export interface SimResult {
  seed: number;
  nodes: number;
  steps: number;
  violations: Violation[];
  stats: SimStats;
  traceHash: string;
  lin: LinSummary;
  converged: boolean;
  settings: SimRaftSettings;
}

/** Fault/event kinds that must occur across a multi-seed run (see scripts/sim.ts). */
export const REQUIRED_EVENTS = [
  'leaderChanges',
  'crashesLostWrites',
  'partitions',
  'oneWayCuts',
  'dropped',
  'duplicated',
  'reordered',
  'slowDisk',
  'snapshotsInstalled',
  'compactions',
  'membershipChanges',
  'leaderRemovals',
  'leadershipTransfers',
  'readsChecked',
] as const satisfies readonly (keyof SimStats)[];

export function runSimulation(options: SimOptions): SimResult {
  const nodes = options.nodes ?? 3;
  const steps = options.steps ?? 3000;
  const cl = new Cluster({
    seed: options.seed,
    nodes,
    spares: options.spares ?? 3,
    clients: options.clients ?? 5,
    keys: options.keys ?? 4,
    tickLen: options.tickLen ?? 4,
    stopAtFirstViolation: options.stopAtFirstViolation ?? true,
    ...(options.broken ? { broken: options.broken } : {}),
  });
  const nemesis = new Nemesis(cl, cl.rng.fork());
  cl.boot();

  // Nemesis phase.
  const nem = (): void => nemesis.step();
  while (cl.sched.now < steps && !cl.stopped) cl.step(nem);

  // Heal phase: no faults, clients stop issuing; exactly one leader and converged commits within the bound.
  let converged = false;
  const healStart = cl.sched.now;
  if (!cl.stopped) {
    nemesis.heal();
    cl.workload.issuing = false;
    const k = options.healFactor ?? 10;
    const bound = k * cl.settings.electionTick * 2 * cl.opts.tickLen;
    while (cl.sched.now - healStart < bound && !cl.stopped) {
      cl.step(() => nemesis.ensureMembersUp());
      if (isConverged(cl)) {
        converged = true;
        break;
      }
    }
    if (!converged && !cl.stopped) {
      cl.observer.report('L1', `no convergence within ${bound} sub-steps (${bound / cl.opts.tickLen} ticks) after heal: ${describe(cl)}`);
    }
    if (converged && !cl.stopped) converged = rejoinCheck(cl, bound);
  }

  // Client-level checks on the final applied sequence.
  let finalCmds: Set<string> | undefined;
  if (converged && !cl.stopped) finalCmds = finalChecks(cl);
  const history = cl.workload.finish(converged && !cl.stopped ? finalCmds : undefined);

  const lin: LinSummary = { verdict: 'skipped', ok: 0, violation: 0, unknown: 0, operations: 0 };
  if ((options.checkLinearizability ?? true) && cl.violations.length === 0) {
    const ops = historyToOperations(history, { dropIndeterminate: isRead });
    lin.operations = ops.length;
    const res = checkOperations(kvModel<string>(), ops, { maxSteps: options.linMaxSteps ?? 2_000_000 });
    const keys = kvPartitionKeys(ops);
    lin.verdict = res.verdict;
    res.partitions.forEach((p, i) => {
      lin[p.verdict]++;
      if (p.verdict === 'violation') {
        cl.observer.report('LIN', `client history of key ${keys[i]} (${p.size} operations) is not linearizable`);
      }
    });
  }

  const net = cl.net.stats;
  const stats: SimStats = {
    ...cl.counters,
    ...cl.workload.stats,
    steps: healStart,
    healSteps: cl.sched.now - healStart,
    actions: cl.observer.counts.actions,
    messagesSent: net.sent,
    messagesDelivered: net.delivered,
    leaderChanges: cl.observer.counts.leaderChanges,
    dropped: net.dropped,
    duplicated: net.duplicated,
    reordered: net.reordered,
    cutDropped: net.cutDropped,
    snapshotsInstalled: cl.observer.counts.snapshotsRestored,
    readsChecked: cl.observer.counts.readsChecked,
  };
  return {
    seed: options.seed,
    nodes,
    steps,
    violations: cl.violations,
    stats,
    traceHash: (cl.trace.add(`states ${cl.observer.stateHash}`), cl.trace.digest()),
    lin,
    converged,
    settings: cl.settings,
  };
}

/**
 * L1 (second half): with PreVote and CheckQuorum, a follower cut off for a few
 * election timeouts rejoins without changing the leader or the term. Returns
 * whether the cluster converged again afterwards.
 */
function rejoinCheck(cl: Cluster, bound: number): boolean {
  const s = cl.settings;
  const leader = cl.leader()!;
  const cfg = leader.core!.config;
  if (!s.preVote || !s.checkQuorum || cfg.voters.length < 3) return true;
  const followers = [...cfg.voters, ...cfg.nonVoters].filter((id) => id !== leader.id);
  const f = followers[cl.rng.int(followers.length)]!;
  const term = leader.core!.term;
  const et = s.electionTick * cl.opts.tickLen;
  cl.trace.add(`${cl.sched.now} rejoin-check isolate ${f}`);
  cl.counters.rejoinChecks++;
  const cuts = cl.net.isolate(f, cl.ids);
  for (let i = 0; i < 3 * et && !cl.stopped; i++) cl.step();
  cl.net.heal(cuts);
  const start = cl.sched.now;
  while (cl.sched.now - start < bound && !cl.stopped) {
    cl.step();
    if (isConverged(cl)) break;
  }
  if (cl.stopped) return false;
  const now = cl.leader();
  const fn = cl.nodes.get(f)!;
  if (!now || now.id !== leader.id || now.core!.term !== term || (fn.core && fn.core.term !== term)) {
    cl.observer.report(
      'L1',
      `${f} rejoining after isolation disturbed a healthy leader (pre-vote and check-quorum on): leader ${leader.id} term ${term} → ${now ? `${now.id} term ${now.core!.term}` : 'none'}; ${f} at term ${fn.core?.term ?? '-'}`,
      f,
    );
    return false;
  }
  if (!isConverged(cl)) {
    cl.observer.report('L1', `no convergence within ${bound} sub-steps after ${f} rejoined: ${describe(cl)}`);
    return false;
  }
  return true;
}

/** Exactly one leader among running nodes, not transferring; it committed an entry of its term and everything it has; every member applied it all. */
function isConverged(cl: Cluster): boolean {
  let leader: NonNullable<ReturnType<Cluster['leader']>> | undefined;
  for (const n of cl.upNodes()) {
    if (n.core!.role === Role.Leader) {
      if (leader) return false;
      leader = n;
    }
  }
  if (!leader) return false;
  const c = leader.core!;
  const commit = c.commitIndex;
  if (commit !== c.lastIndex || c.termAt(commit) !== c.term || leader.applied !== commit || leader.busy) return false;
  if (c.leadTransferee !== '') return false; // a transfer still under way will change the leader
  const cfg = c.config;
  for (const id of [...cfg.voters, ...cfg.nonVoters]) {
    const n = cl.nodes.get(id)!;
    if (!n.up || n.busy || n.core!.commitIndex !== commit || n.applied !== commit || n.core!.lastIndex !== commit) return false;
  }
  return true;
}

function describe(cl: Cluster): string {
  return cl.ids
    .map((id) => {
      const n = cl.nodes.get(id)!;
      if (!n.core) return `${id}:${n.status}`;
      const c = n.core;
      const cfg = c.config;
      return `${id}:${c.role}/t${c.term}/c${c.commitIndex}/l${c.lastIndex}/a${n.applied}/v{${cfg.voters.join(',')}}${cfg.nonVoters.length ? `/nv{${cfg.nonVoters.join(',')}}` : ''}`;
    })
    .join(' ');
}

/** C1 and final state equality. Returns the command ids of the final applied sequence. */
function finalChecks(cl: Cluster): Set<string> {
  const obs = cl.observer;
  const leader = cl.leader()!;
  const final = leader.core!.commitIndex;
  const count = new Map<string, number>();
  for (let i = 1; i <= final; i++) {
    const rec = obs.applied[i];
    if (!rec) {
      obs.report('C1', `index ${i} ≤ final commit ${final} was never applied by any node`);
      continue;
    }
    if (rec.cmdId !== undefined) count.set(rec.cmdId, (count.get(rec.cmdId) ?? 0) + 1);
  }
  for (const [id, n] of count) {
    if (n > 1) {
      obs.report('C1', `command ${id} appears ${n} times in the final applied sequence`);
      break;
    }
  }
  for (const id of cl.workload.acked) {
    if (!count.has(id)) {
      obs.report('C1', `acknowledged write ${id} is missing from the final applied sequence (1..${final})`);
      break;
    }
  }
  // Every member ends with the same state.
  const cfg = leader.core!.config;
  const ref = Buffer.from(leader.kv.serialize()).toString('base64');
  for (const id of [...cfg.voters, ...cfg.nonVoters] as NodeId[]) {
    const n = cl.nodes.get(id)!;
    if (Buffer.from(n.kv.serialize()).toString('base64') !== ref) {
      obs.report('I7', `${id}'s final key/value state differs from leader ${leader.id}'s at index ${final}`, id);
      break;
    }
  }
  return new Set(count.keys());
}
