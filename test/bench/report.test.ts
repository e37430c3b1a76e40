// The benchmark's statistics and report code (scripts/bench/): no servers, runs in well under a second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare, type Entry, markdown, type Results } from '../../scripts/bench/report.ts';
import { median, percentile, spread } from '../../scripts/bench/stats.ts';
import { parseStraceSummary } from '../../scripts/bench/strace.ts';
import { value100 } from '../../scripts/bench/cluster.ts';

test('percentiles by nearest rank, median, spread', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 0.5), 50);
  assert.equal(percentile(xs, 0.99), 99);
  assert.equal(percentile([7], 0.99), 7);
  assert.ok(Number.isNaN(percentile([], 0.5)));
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.deepEqual(spread([1, 2, 4]), { median: 2, min: 1, max: 4, relSpread: 1.5, n: 3 });
});

test('values are 100 bytes', () => {
  assert.equal(value100(0).length, 100);
  assert.equal(value100(123456).length, 100);
  assert.notEqual(value100(1).slice(3), value100(2).slice(3));
});

test('strace -c summary: calls of fsync and fdatasync', () => {
  const text = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 99.10    1.234567         617      2000           fdatasync
  0.90    0.011111         555        20         1 fsync
------ ----------- ----------- --------- --------- ----------------
100.00    1.245678         615      2020         1 total
`;
  assert.deepEqual(parseStraceSummary(text), { fdatasync: 2000, fsync: 20 });
});

test('compare pairs opraft with etcd per round and computes ratios', () => {
  const entry = (system: string, workload: string, round: number, rps: number, p50: number): Entry => ({
    phase: 'writes', round, system, workload, target: 'leader', connections: 64, loadavg1: 1, order: 0,
    cpu: { clusterS: 1, leaderS: 1, per10kWritesClusterS: 1, per10kWritesLeaderS: 1 },
    result: { workload, connections: 64, durationS: 5, ok: rps * 5, non2xx: 0, errors: 0, timeouts: 0, rps, p50Ms: p50, p99Ms: p50 * 2, meanMs: p50, maxMs: p50 * 3, statusCodes: { 200: rps * 5 } },
  });
  const es = [entry('etcd', 'kv-put', 1, 1000, 2), entry('opraft', 'var-put', 1, 500, 4), entry('etcd', 'kv-put', 2, 1000, 2), entry('opraft', 'var-put', 2, 1500, 1)];
  const [c] = compare(es);
  assert.equal(c!.perRound.length, 2);
  assert.deepEqual(c!.perRound.map((r) => r.rpsRatio), [0.5, 1.5]);
  assert.equal(c!.rpsRatio.median, 1);
  assert.equal(c!.p50Ratio.max, 2);
  const r: Results = { date: '2026-01-01', startedAt: '2026-01-01T00:00:00.000Z', command: [], settings: {}, machine: {}, nproc: 2, loadavgStart: [0, 0, 0], systems: {}, entries: es, comparisons: [c!], errors: [] };
  assert.match(markdown(r), /\| opraft var-put \| kv-put \| leader \| 64 \| 1\.00 \(0\.50–1\.50\) \|/);
});
