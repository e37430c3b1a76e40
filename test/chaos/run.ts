// One chaos run: a cluster of real `opraft agent` processes on loopback (test/integration/harness.ts),
// the CAS workload (workload.ts) while the nemesis (nemesis.ts) carries out a seeded fault
// schedule, then healing and the checks (checks.ts). The run prints its schedule first, so a
// failure replays with the same seed (process timing itself is not replayable), and ends with
// how often each fault took effect and the verdict counts.
import { seededRng } from '../../src/util/random.ts';
import { TestCluster, sleep, waitLeader } from '../integration/harness.ts';
import { checkLinearizable, describeKey, findLostWrites, leadersPerTerm, waitConverged, type Convergence, type LeaderTerms, type LinResult, type LostWrite } from './checks.ts';
import { describePlanned, FAULT_KINDS, Nemesis, planSchedule, type FaultKind, type PlannedFault } from './nemesis.ts';
import { Workload, type OpCounts } from './workload.ts';

export interface ChaosOptions {
  nodes: number;
  durationMs: number;
  seed: number;
  faults?: readonly FaultKind[];
  /** raft_tick of the servers; 50 ms (at 25 ms a loaded 2-core machine breaks the leader lease). */
  raftTick?: string;
  /** Extra environment for every server (OPRAFT_TEST_BROKEN=… for the known-bad variants). */
  env?: Record<string, string>;
  /** Crash window of the crashable storage (OPRAFT_TEST_STORAGE_DELAY_MS); default 4 ms. */
  storageDelayMs?: number;
  groups?: number;
  clientsPerGroup?: number;
  schedClients?: number;
  /** How long one variable key is used before its clients move to a fresh one. */
  epochMs?: number;
  /** raft_snapshot_threshold (default 200). A snapshot file is written synced outside the storage
   * test modes, so frequent snapshots can keep writes that ackBeforeSync's dropped batches lose. */
  snapshotThreshold?: number;
  /** The longest wait for recovery, a leader and convergence after healing (default 60 s); broken
   * variants may wedge the cluster for good, and their runs need only a verdict. */
  settleMs?: number;
  /** How far past durationMs the nemesis may go to run every planned kind once. */
  graceMs?: number;
  say?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  nodes: number;
  wallMs: number;
  plan: PlannedFault[];
  planned: Map<FaultKind, number>;
  effective: Map<FaultKind, number>;
  faultLog: string[];
  counts: OpCounts;
  lin: LinResult;
  lost: LostWrite[];
  convergence: Convergence;
  leaders: LeaderTerms;
  unexpectedExits: string[];
  /** Why the run failed; empty when it passed. */
  failures: string[];
  /** Only the linearizability / lost-write / divergence / two-leaders findings (what a broken variant must produce). */
  violations: string[];
}

const AUTOPILOT = `autopilot {
  cleanup_dead_servers = false
}`;

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const say = o.say ?? ((s: string) => console.log(s));
  const started = Date.now();
  const kinds = o.faults ?? FAULT_KINDS;
  const rng = seededRng(o.seed);
  const plan = planSchedule(rng.fork(), kinds, o.durationMs);
  const clientsPerGroup = o.clientsPerGroup ?? 3;
  const groups = o.groups ?? (o.nodes >= 5 ? 8 : 6);
  const schedClients = o.schedClients ?? 2;
  const env: Record<string, string> = { OPRAFT_TEST_FAULTS: '1', OPRAFT_TEST_STORAGE: 'crashable', ...(o.storageDelayMs !== undefined ? { OPRAFT_TEST_STORAGE_DELAY_MS: String(o.storageDelayMs) } : {}), ...o.env };
  say(`chaos: seed ${o.seed}, ${o.nodes} nodes, ${o.durationMs / 1000} s, raft_tick ${o.raftTick ?? '50ms'}, ${groups}×${clientsPerGroup} variable clients + ${schedClients} scheduler clients, env ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  say(`chaos: replay with: ${replayCommand(o, kinds)}`);
  say(`chaos: planned schedule (runs until the duration is over and every kind ran once):\n  ${plan.map(describePlanned).join('\n  ')}`);

  let keep = false;
  const cluster = await TestCluster.create(o.nodes, { raftTick: o.raftTick ?? '50ms', env, extraHcl: AUTOPILOT, ...(o.snapshotThreshold ? { snapshotThreshold: o.snapshotThreshold } : {}) });
  say(`chaos: data in ${cluster.root}`);
  try {
    await cluster.startAll();
    await waitLeader(cluster, cluster.nodes, 60_000);
    const workload = new Workload(cluster, rng.fork(), { groups, clientsPerGroup, schedClients, epochMs: o.epochMs ?? 10_000, timeoutMs: 6000, readTimeoutMs: 1500 });
    await workload.start();
    const nemesis = new Nemesis(cluster, workload, say);
    await nemesis.init();
    await sleep(1000);
    await nemesis.run(plan, o.durationMs, o.durationMs + (o.graceMs ?? 90_000));
    await nemesis.healAll();
    const settle = o.settleMs ?? 60_000;
    await nemesis.recover(settle);
    await sleep(2000); // a quiet stretch: the healed cluster serves the workload again
    await workload.stop();

    const leader = await waitLeader(cluster, cluster.running(), settle).catch(() => undefined);
    const finals = leader ? await workload.finalReads(leader) : new Map<string, string | null>();
    const convergence = await waitConverged(cluster, settle);
    const lin = checkLinearizable(workload.events);
    const lost = findLostWrites(workload.events, finals);
    const leaders = await leadersPerTerm(cluster);

    const failures: string[] = [];
    const violations: string[] = [];
    if (lin.violation > 0) violations.push(`linearizability violated on ${lin.violation} of ${lin.keys} keys: ${lin.violatingKeys.slice(0, 5).join(', ')}`);
    if (lost.length > 0) violations.push(`${lost.length} acknowledged writes lost: ${lost.slice(0, 3).map((l) => `${l.key}=${l.value} (${l.why})`).join('; ')}`);
    if (!convergence.converged) violations.push(`servers' states differ after healing: ${convergence.hashes.join('; ')}`);
    if (leaders.doubled.length > 0) violations.push(`more than one leader in a term: ${leaders.doubled.join('; ')}`);
    failures.push(...violations);
    if (!leader) failures.push('no leader after healing');
    else if (finals.size < workload.keys.size) failures.push(`only ${finals.size} of ${workload.keys.size} keys readable after healing`);
    if (lin.unknown > lin.keys * 0.01) failures.push(`${lin.unknown} of ${lin.keys} verdicts unknown (over 1 %): ${lin.unknownKeys.slice(0, 5).join(', ')}`);
    for (const k of new Set(plan.map((f) => f.kind))) {
      if (!nemesis.stats.planned.get(k)) failures.push(`fault ${k} was planned but never ran (the run was too short)`);
      else if (!nemesis.stats.effective.get(k)) failures.push(`fault ${k} never took effect (${nemesis.stats.planned.get(k)} attempts)`);
    }
    if (nemesis.stats.unexpectedExits.length > 0) failures.push(`servers exited without a fault asking them to: ${nemesis.stats.unexpectedExits.join('; ')}`);
    if (workload.counts.acked === 0) failures.push('no write was acknowledged: nothing to judge');

    const report: ChaosReport = {
      seed: o.seed,
      nodes: o.nodes,
      wallMs: Date.now() - started,
      plan,
      planned: nemesis.stats.planned,
      effective: nemesis.stats.effective,
      faultLog: nemesis.stats.log,
      counts: workload.counts,
      lin,
      lost,
      convergence,
      leaders,
      unexpectedExits: nemesis.stats.unexpectedExits,
      failures,
      violations,
    };
    say(formatReport(report));
    for (const key of lin.violatingKeys.slice(0, 2)) say(`chaos: history of ${key} (a violation):\n${describeKey(workload.events, key)}`);
    if (failures.length > 0 && violations.length === 0) say(await cluster.logs(20));
    // A failing run keeps its servers' data and logs for a post-mortem (KEEP_TEST_DATA keeps every run's).
    keep = failures.length > 0 && !o.env?.OPRAFT_TEST_BROKEN && o.env?.OPRAFT_TEST_STORAGE !== 'ackBeforeSync';
    return report;
  } finally {
    await cluster.destroy(keep);
    if (keep) say(`chaos: the servers' data and logs are kept in ${cluster.root} (agent.log per server)`);
  }
}

/** The command that replays this run's schedule, every option included. */
function replayCommand(o: ChaosOptions, kinds: readonly FaultKind[]): string {
  const flags = [`--nodes ${o.nodes}`, `--duration ${o.durationMs / 1000}`, `--seed ${o.seed}`];
  if (o.faults) flags.push(`--faults ${kinds.join(',')}`);
  if (o.env?.OPRAFT_TEST_BROKEN) flags.push(`--broken ${o.env.OPRAFT_TEST_BROKEN}`);
  if (o.env?.OPRAFT_TEST_STORAGE && o.env.OPRAFT_TEST_STORAGE !== 'crashable') flags.push(`--storage ${o.env.OPRAFT_TEST_STORAGE}`);
  if (o.storageDelayMs !== undefined) flags.push(`--storage-delay-ms ${o.storageDelayMs}`);
  if (o.snapshotThreshold !== undefined) flags.push(`--snapshot-threshold ${o.snapshotThreshold}`);
  if (o.raftTick && o.raftTick !== '50ms') flags.push(`--tick ${o.raftTick}`);
  return `npm run chaos -- ${flags.join(' ')}`;
}

export function formatReport(r: ChaosReport): string {
  const kinds = [...new Set(r.plan.map((f) => f.kind))];
  const c = r.counts;
  const infoWhy = [...c.infoWhy].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([w, n]) => `${n}× ${w}`).join('; ');
  return [
    `chaos: ---- report (seed ${r.seed}, ${r.nodes} nodes, wall time ${(r.wallMs / 1000).toFixed(1)} s)`,
    `chaos: faults taken effect / run: ${kinds.map((k) => `${k} ${r.effective.get(k) ?? 0}/${r.planned.get(k) ?? 0}`).join(', ')}`,
    `chaos: leader elections (terms with a leader): ${r.leaders.elections}`,
    `chaos: operations: ${c.invoked} (${c.reads} reads, ${c.writes} CAS writes): ok ${c.ok}, fail ${c.fail}, info ${c.info}; ${c.acked} writes acknowledged${infoWhy ? `; info: ${infoWhy}` : ''}`,
    `chaos: linearizability: ${r.lin.keys} keys: ok ${r.lin.ok}, violation ${r.lin.violation}, unknown ${r.lin.unknown} (${r.lin.ms} ms)`,
    `chaos: acknowledged writes lost: ${r.lost.length}`,
    `chaos: state after healing: ${r.convergence.converged ? `identical on every server (${r.convergence.hashes.join('; ')})` : `DIFFERENT: ${r.convergence.hashes.join('; ')}`}`,
    `chaos: leaders per term: ${r.leaders.doubled.length === 0 ? `at most one in each of ${r.leaders.terms} terms` : r.leaders.doubled.join('; ')}`,
    r.failures.length === 0 ? 'chaos: PASS' : `chaos: FAIL\n  ${r.failures.join('\n  ')}`,
  ].join('\n');
}
