import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics, NOMAD_METRICS, prometheusName } from '../../src/metrics/index.ts';

test('metrics: counters, samples and gauges aggregate as go-metrics reports them', async () => {
  let now = 1_000_000;
  const m = new Metrics(() => now);
  m.incrCounter(NOMAD_METRICS.raftApply);
  m.incrCounter(NOMAD_METRICS.raftApply, 2);
  m.addSample(NOMAD_METRICS.raftCommitTime, 2);
  m.addSample(NOMAD_METRICS.raftCommitTime, 4);
  m.setGauge(NOMAD_METRICS.raftLastIndex, 7);
  m.setGauge(NOMAD_METRICS.raftLastIndex, 9);
  now += 2000;
  const j = m.json();
  assert.deepEqual(j.Gauges, [{ Name: 'nomad.raft.lastIndex', Value: 9, Labels: {} }]);
  const c = j.Counters[0]!;
  assert.deepEqual([c.Name, c.Count, c.Sum, c.Min, c.Max, c.Rate], ['nomad.raft.apply', 2, 3, 1, 2, 1.5]);
  const s = j.Samples[0]!;
  assert.deepEqual([s.Name, s.Count, s.Mean, s.Min, s.Max], ['nomad.raft.commitTime', 2, 3, 2, 4]);
  assert.ok(Math.abs(s.Stddev - Math.SQRT2) < 1e-9);
  const text = await m.prometheus();
  assert.match(text, /^nomad_raft_apply 3$/m);
  assert.match(text, /^nomad_raft_lastIndex 9$/m);
  assert.match(text, /^nomad_raft_commitTime_count 2$/m);
  assert.equal(prometheusName('nomad.autopilot.failure_tolerance'), 'nomad_autopilot_failure_tolerance');
});
