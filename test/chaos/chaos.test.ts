// The chaos suite in `npm test`: one short bounded run with every fault kind that must find
// nothing, and one short run per known-bad variant (test-only flags) that the checkers must
// catch. Longer runs: `npm run chaos -- --duration 120 --nodes 5` and `npm run chaos:soak`.
// The seed is printed; CHAOS_SEED=<n> replays the fault schedules (process timing is not replayable).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChaos, type ChaosReport } from './run.ts';

const SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
console.log(`chaos.test: seed ${SEED} (replay with CHAOS_SEED=${SEED} node scripts/run-tests.mjs chaos/chaos)`);

const say = (s: string) => console.log(s);

function caught(r: ChaosReport, what: string): void {
  assert.ok(r.counts.acked > 0, `${what}: no write was acknowledged, nothing was judged`);
  assert.ok(r.violations.length > 0, `${what}: the checkers found no violation (the chaos is too blunt to judge it)\n${r.failures.join('\n')}`);
  console.log(`chaos.test: ${what} caught: ${r.violations.join(' | ')}`);
}

test('a short chaos run on 3 servers with every fault kind: linearizable, nothing acknowledged lost, states identical, one leader per term', { timeout: 300_000 }, async () => {
  const r = await runChaos({ nodes: 3, durationMs: 25_000, seed: SEED, say, graceMs: 120_000 });
  assert.deepEqual(r.failures, [], r.failures.join('\n'));
  assert.ok(r.counts.acked >= 100, `only ${r.counts.acked} writes acknowledged: too little progress to judge`);
});

test('the chaos checkers catch a follower that serves non-stale reads from its own state (OPRAFT_TEST_BROKEN=localReads)', { timeout: 180_000 }, async () => {
  const r = await runChaos({ nodes: 3, durationMs: 12_000, seed: SEED + 1, say, faults: ['partition-one', 'pause'], env: { OPRAFT_TEST_BROKEN: 'localReads' } });
  caught(r, 'localReads');
  assert.ok(r.lin.violation > 0, 'the linearizability checker must report it');
});

test('the chaos checkers catch a leader that skips the ReadIndex quorum round (OPRAFT_TEST_BROKEN=readIndexNoQuorum, partitions)', { timeout: 180_000 }, async () => {
  const r = await runChaos({ nodes: 3, durationMs: 20_000, seed: SEED + 2, say, faults: ['partition-pause', 'partition-leader'], env: { OPRAFT_TEST_BROKEN: 'readIndexNoQuorum' } });
  caught(r, 'readIndexNoQuorum');
  assert.ok(r.lin.violation > 0, 'the linearizability checker must report it');
});

test('the chaos checkers catch storage that acknowledges before syncing (OPRAFT_TEST_STORAGE=ackBeforeSync, whole-cluster power loss)', { timeout: 240_000 }, async () => {
  // A crash window (100 ms) well above the acknowledgement latency, as in integration/durability.test.ts,
  // and no snapshots: a snapshot file (written synced, outside the test storage) taken every 200
  // entries — every ~100 ms at full speed — kept the very writes the dropped batches lost. The lost
  // writes can wedge the broken cluster for good (a diverged log): short settling waits.
  const r = await runChaos({ nodes: 3, durationMs: 15_000, seed: SEED + 3, say, faults: ['cluster-powerloss'], env: { OPRAFT_TEST_STORAGE: 'ackBeforeSync' }, storageDelayMs: 100, graceMs: 30_000, snapshotThreshold: 1_000_000, settleMs: 15_000 });
  caught(r, 'ackBeforeSync');
  assert.ok(r.lin.violation > 0 || r.lost.length > 0, 'the linearizability or the lost-write checker must report it');
});
