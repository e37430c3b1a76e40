// Deterministic cluster simulator: runs seeds X, X+1, ... and checks the Raft
// invariants, liveness after heal, acknowledged writes and linearizability.
//
//   npm run sim -- --seeds N [--nodes 3|5] [--steps S] [--seed X] [--broken <variant>] [--jobs J]
//
// Prints each failing seed with its first violation and the exact replay
// command, the summed fault/event counts and the linearizability verdicts.
// Exits non-zero on any violation, when a fault/event kind never happened
// across the run (unless --allow-missing), or when more than 1 % of the
// linearizability verdicts are unknown.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { BrokenVariant } from '../src/raft/index.ts';
import { runSeedsParallel, totals, type SeedSummary } from '../test/sim/batch.ts';
import { formatViolation } from '../test/sim/invariants.ts';
import { REQUIRED_EVENTS } from '../test/sim/run.ts';

const BROKEN: BrokenVariant[] = [
  'skipElectionRestriction',
  'commitOldTermByCounting',
  'ackBeforePersist',
  'forgetVoteOnRestart',
  'readIndexWithoutQuorum',
  'twoConfChangesInFlight',
  'followerCommitPastLastNew',
  'truncateAtOrBelowCommit',
];

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    nodes: { type: 'string', default: '3' },
    steps: { type: 'string', default: '3000' },
    broken: { type: 'string' },
    jobs: { type: 'string' },
    'allow-missing': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (values.help) {
  console.log(
    'usage: npm run sim -- --seeds N [--nodes 3|5] [--steps S] [--seed X] [--broken <variant>] [--jobs J] [--allow-missing] [--quiet] [--verbose]\n' +
      `variants: ${BROKEN.join(', ')}`,
  );
  process.exit(0);
}

const int = (name: string, v: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`sim: --${name} must be an integer ≥ ${min}, got '${v}'`);
    process.exit(2);
  }
  return n;
};
const seeds = int('seeds', values.seeds, 1);
const first = int('seed', values.seed, 0);
const nodes = int('nodes', values.nodes, 1);
const steps = int('steps', values.steps, 1);
const jobs = values.jobs !== undefined ? int('jobs', values.jobs, 1) : Math.max(1, Math.min(availableParallelism(), 8));
if (nodes !== 3 && nodes !== 5) {
  console.error(`sim: --nodes must be 3 or 5, got ${nodes}`);
  process.exit(2);
}
const broken = values.broken as BrokenVariant | undefined;
if (broken !== undefined && !BROKEN.includes(broken)) {
  console.error(`sim: unknown --broken variant '${broken}' (one of ${BROKEN.join(', ')})`);
  process.exit(2);
}

const replay = (seed: number): string =>
  `npm run sim -- --seed ${seed} --seeds 1 --nodes ${nodes} --steps ${steps}${broken ? ` --broken ${broken}` : ''}`;

console.log(
  `sim: seeds ${first}..${first + seeds - 1}, ${nodes} nodes, ${steps} steps${broken ? `, broken=${broken}` : ''}, ${jobs} job(s)`,
);
const t0 = performance.now();
let done = 0;
const progressEvery = Math.max(1, Math.ceil(seeds / 10));
const verbose = values.verbose || seeds <= 5;
const onResult = (r: SeedSummary): void => {
  done++;
  if (verbose) {
    const st = r.stats;
    console.log(
      `seed ${r.seed}: ${r.violations.length > 0 ? 'FAIL' : 'ok'} trace=${r.traceHash.slice(0, 16)} converged=${r.converged} ` +
        `leaders=${st.leaderChanges} crashes=${st.crashes} partitions=${st.partitions} snapshots=${st.snapshotsInstalled} ` +
        `confChanges=${st.membershipChanges} writesOk=${st.writesOk} readsOk=${st.readsOk} lin=${r.lin.verdict}`,
    );
  }
  if (r.violations.length > 0) {
    console.log(`FAIL seed ${r.seed}: ${formatViolation(r.violations[0]!)}`);
    console.log(`  replay: ${replay(r.seed)}`);
  }
  if (!values.quiet && seeds >= 20 && done % progressEvery === 0 && done < seeds) {
    const s = (performance.now() - t0) / 1000;
    console.log(`  … ${done}/${seeds} seeds, ${s.toFixed(1)} s`);
  }
};
const results = await runSeedsParallel(first, seeds, { nodes, steps, ...(broken ? { broken } : {}) }, jobs, onResult);
const elapsed = (performance.now() - t0) / 1000;
const t = totals(results);

const s = t.stats;
const row = (keys: string[]): string => keys.map((k) => `${k}=${s[k] ?? 0}`).join(' ');
console.log('\nfaults and events (summed over all seeds):');
console.log(`  elections:   ${row(['leaderChanges', 'leadershipTransfers', 'transfersRequested'])}`);
console.log(`  crashes:     ${row(['crashes', 'crashesLostWrites', 'restarts', 'checkpoints'])}`);
console.log(`  network:     ${row(['partitions', 'oneWayCuts', 'dropped', 'duplicated', 'reordered', 'cutDropped', 'slowVotes', 'unreachableReports'])}`);
console.log(`  disk:        ${row(['slowDisk', 'compactions', 'snapshotsInstalled'])}`);
console.log(`  membership:  ${row(['membershipChanges', 'addVoter', 'addNonVoter', 'promote', 'remove', 'leaderRemovals', 'confChangesProposed', 'confChangesRejected'])}`);
console.log(`  clients:     ${row(['invoked', 'writesOk', 'writesFail', 'writesInfo', 'readsOk', 'readsFail', 'readsChecked'])}`);
console.log(`  volume:      ${row(['steps', 'healSteps', 'rejoinChecks', 'actions', 'messagesDelivered'])}`);
const verdicts = t.lin.ok + t.lin.violation + t.lin.unknown;
console.log(
  `linearizability (per key): ok=${t.lin.ok} violation=${t.lin.violation} unknown=${t.lin.unknown} (${t.lin.operations} operations)`,
);
const perMin = (seeds / elapsed) * 60;
console.log(`elapsed ${elapsed.toFixed(1)} s (${perMin.toFixed(0)} seeds/min)`);

let code = 0;
if (t.failing.length > 0) {
  const ids = new Map<string, number>();
  for (const f of t.failing) ids.set(f.violations[0]!.id, (ids.get(f.violations[0]!.id) ?? 0) + 1);
  console.log(`\n${t.failing.length} of ${seeds} seeds FAILED (${[...ids].map(([k, v]) => `${k}×${v}`).join(', ')})`);
  code = 1;
} else {
  console.log(`\nall ${seeds} seeds passed`);
}
if (t.missing.length > 0) {
  const msg = `never happened: ${t.missing.join(', ')} (required: ${REQUIRED_EVENTS.join(', ')})`;
  if (values['allow-missing']) console.log(`note: ${msg}`);
  else {
    console.log(`FAIL coverage: ${msg}`);
    code = 1;
  }
}
if (verdicts > 0 && t.lin.unknown / verdicts > 0.01) {
  console.log(`FAIL linearizability: ${t.lin.unknown} of ${verdicts} verdicts unknown (> 1 %)`);
  code = 1;
}
process.exit(code);
