import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TABLE,
  autopilotFieldsFromAgent,
  defaultAutopilotFields,
  defaultSchedulerFields,
  schedulerFieldsFromAgent,
} from '../../src/fsm/index.ts';
import { CLUSTER_ID, Driver, seed } from './helpers.ts';

test('seedDefaults writes each configuration only when it is absent', () => {
  const d = new Driver();
  assert.equal(d.fsm.schedulerConfig(), null);
  assert.deepEqual(d.run(seed()), { ok: true, type: 'seedDefaults', seededScheduler: true, seededAutopilot: true });
  assert.deepEqual(d.fsm.schedulerConfig(), { ...defaultSchedulerFields(), CreateIndex: 1, ModifyIndex: 1 });
  assert.deepEqual(d.fsm.autopilotConfig(), { ...defaultAutopilotFields(), CreateIndex: 1, ModifyIndex: 1 });

  // A restarted leader with a different agent block must not overwrite (§9.11).
  const changed = { ...defaultSchedulerFields(), MemoryOversubscriptionEnabled: true };
  assert.deepEqual(d.run({ type: 'seedDefaults', scheduler: changed, autopilot: defaultAutopilotFields() }),
    { ok: true, type: 'seedDefaults', seededScheduler: false, seededAutopilot: false });
  assert.equal(d.fsm.schedulerConfig()!.MemoryOversubscriptionEnabled, false);
  assert.equal(d.fsm.schedulerConfig()!.ModifyIndex, 1);
  assert.equal(d.fsm.latestIndex(TABLE.schedulerConfig), 1);
});

test('seedDefaults fills only the missing part', () => {
  const d = new Driver();
  d.run({ type: 'setAutopilotConfig', config: { ...defaultAutopilotFields(), MinQuorum: 3 } });
  const r = d.run(seed());
  assert.deepEqual(r, { ok: true, type: 'seedDefaults', seededScheduler: true, seededAutopilot: false });
  assert.equal(d.fsm.autopilotConfig()!.MinQuorum, 3);
  assert.equal(d.fsm.schedulerConfig()!.CreateIndex, 2);
});

test('scheduler set: whole replacement, Updated true without cas, CAS true/false', () => {
  const d = new Driver();
  d.run(seed());
  const partial = { ...defaultSchedulerFields(), SchedulerAlgorithm: '', MemoryOversubscriptionEnabled: true,
    PreemptionConfig: { SystemSchedulerEnabled: false, SysBatchSchedulerEnabled: false, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: false } };
  assert.deepEqual(d.run({ type: 'setSchedulerConfig', config: partial }), { ok: true, type: 'setSchedulerConfig', updated: true });
  const got = d.fsm.schedulerConfig()!;
  assert.equal(got.SchedulerAlgorithm, 'binpack', 'empty algorithm is canonicalised');
  assert.equal(got.PreemptionConfig.SystemSchedulerEnabled, false);
  assert.equal(got.CreateIndex, 1);
  assert.equal(got.ModifyIndex, 2);

  const spread = { ...defaultSchedulerFields(), SchedulerAlgorithm: 'spread' };
  assert.deepEqual(d.run({ type: 'setSchedulerConfig', config: spread, cas: 2 }), { ok: true, type: 'setSchedulerConfig', updated: true });
  assert.equal(d.fsm.schedulerConfig()!.ModifyIndex, 3);
  // The same cas again: not applied, state unchanged.
  assert.deepEqual(d.run({ type: 'setSchedulerConfig', config: defaultSchedulerFields(), cas: 2 }), { ok: true, type: 'setSchedulerConfig', updated: false });
  assert.equal(d.fsm.schedulerConfig()!.SchedulerAlgorithm, 'spread');
  assert.equal(d.fsm.schedulerConfig()!.ModifyIndex, 3);
  assert.equal(d.fsm.latestIndex(TABLE.schedulerConfig), 3);
});

test('scheduler CAS on a missing row does not apply', () => {
  const d = new Driver();
  assert.deepEqual(d.run({ type: 'setSchedulerConfig', config: defaultSchedulerFields(), cas: 0 }), { ok: true, type: 'setSchedulerConfig', updated: false });
  assert.equal(d.fsm.schedulerConfig(), null);
});

test('autopilot set with and without cas', () => {
  const d = new Driver();
  d.run(seed());
  const c = { ...defaultAutopilotFields(), CleanupDeadServers: false, LastContactThreshold: 0 };
  assert.deepEqual(d.run({ type: 'setAutopilotConfig', config: c, cas: 99 }), { ok: true, type: 'setAutopilotConfig', updated: false });
  assert.equal(d.fsm.autopilotConfig()!.CleanupDeadServers, true);
  assert.deepEqual(d.run({ type: 'setAutopilotConfig', config: c, cas: 1 }), { ok: true, type: 'setAutopilotConfig', updated: true });
  assert.deepEqual(d.fsm.autopilotConfig(), { ...c, CreateIndex: 1, ModifyIndex: 3 });
  assert.deepEqual(d.run({ type: 'setAutopilotConfig', config: defaultAutopilotFields() }), { ok: true, type: 'setAutopilotConfig', updated: true });
  assert.equal(d.fsm.autopilotConfig()!.ModifyIndex, 4);
  assert.equal(d.fsm.latestIndex(TABLE.autopilotConfig), 4);
});

test('cluster metadata is set once; later writes return the existing one', () => {
  const d = new Driver();
  const first = d.run({ type: 'setClusterMetadata', clusterId: CLUSTER_ID.toUpperCase(), createTime: 42n });
  assert.deepEqual(first, { ok: true, type: 'setClusterMetadata', created: true, metadata: { ClusterID: CLUSTER_ID, CreateTime: 42n, CreateIndex: 1, ModifyIndex: 1 } });
  const second = d.run({ type: 'setClusterMetadata', clusterId: '11111111-2222-4333-8444-555555555555', createTime: 43n });
  assert.deepEqual(second, { ok: true, type: 'setClusterMetadata', created: false, metadata: { ClusterID: CLUSTER_ID, CreateTime: 42n, CreateIndex: 1, ModifyIndex: 1 } });
  assert.equal(d.fsm.clusterMetadata()!.ClusterID, CLUSTER_ID);
  assert.equal(d.fsm.latestIndex(TABLE.clusterMeta), 1);
});

test('license set stores the blob and fields with indexes', async () => {
  const { license } = await import('./helpers.ts');
  const d = new Driver();
  const r = d.run({ type: 'setLicense', blob: 'a.b.c', license: license() });
  assert.equal(r.ok, true);
  d.run({ type: 'setLicense', blob: 'd.e.f', license: license({ LicenseID: 'lic-2' }) });
  const got = d.fsm.license()!;
  assert.equal(got.Blob, 'd.e.f');
  assert.equal(got.License.LicenseID, 'lic-2');
  assert.deepEqual([got.CreateIndex, got.ModifyIndex], [1, 2]);
  assert.equal(d.fsm.latestIndex(), 2);
});

test('reads are copies: changing them does not change the state', () => {
  const d = new Driver();
  d.run(seed());
  d.fsm.schedulerConfig()!.PreemptionConfig.SystemSchedulerEnabled = false;
  assert.equal(d.fsm.schedulerConfig()!.PreemptionConfig.SystemSchedulerEnabled, true);
});

test('agent config blocks convert to FSM fields', () => {
  assert.deepEqual(schedulerFieldsFromAgent(null), defaultSchedulerFields());
  const s = schedulerFieldsFromAgent({ scheduler_algorithm: 'spread', memory_oversubscription_enabled: true, preemption_config: [{ batch_scheduler_enabled: true }] });
  assert.equal(s.SchedulerAlgorithm, 'spread');
  assert.equal(s.MemoryOversubscriptionEnabled, true);
  assert.deepEqual(s.PreemptionConfig, { SystemSchedulerEnabled: false, SysBatchSchedulerEnabled: false, BatchSchedulerEnabled: true, ServiceSchedulerEnabled: false });
  assert.throws(() => schedulerFieldsFromAgent({ scheduler_algorithm: 'random' }), /scheduler_algorithm must be "binpack" or "spread", got "random"/);
  assert.throws(() => schedulerFieldsFromAgent({ colour: 'red' }), /unexpected key "colour"/);
  assert.throws(() => schedulerFieldsFromAgent({ reject_job_registration: 'yes' }), /reject_job_registration must be true or false/);

  const a = autopilotFieldsFromAgent({ cleanupDeadServers: true, lastContactThreshold: 200, maxTrailingLogs: 250, minQuorum: 0,
    serverStabilizationTime: 10_000, enableRedundancyZones: false, disableUpgradeMigration: false, enableCustomUpgrades: false });
  assert.deepEqual(a, defaultAutopilotFields());
  assert.throws(() => autopilotFieldsFromAgent({ cleanupDeadServers: true, lastContactThreshold: -1, maxTrailingLogs: 1, minQuorum: 0,
    serverStabilizationTime: 1, enableRedundancyZones: false, disableUpgradeMigration: false, enableCustomUpgrades: false }), /last_contact_threshold must be a non-negative duration/);
});
