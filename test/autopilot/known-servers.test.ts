import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knownServers, settingsFromFields } from '../../src/autopilot/index.ts';
import { member } from './fakes.ts';

test('known servers: local region only, keyed by Raft id, leaving reads as alive', () => {
  const notServer = { ...member('s9'), tags: { role: 'client' } };
  const k = knownServers([member('s1'), member('s2', 'leaving'), member('s3', 'failed'), member('s4', 'left'), member('s5', 'alive', 'eu'), notServer], 'global');
  assert.deepEqual([...k.keys()], ['s1', 's2', 's3', 's4']);
  assert.deepEqual(k.get('s1'), { id: 's1', name: 'srv-s1.global', address: '10.0.0.1:4647', status: 'alive', version: '2.0.5' });
  assert.equal(k.get('s2')!.status, 'alive');
  assert.equal(k.get('s3')!.status, 'failed');
  assert.equal(k.get('s4')!.status, 'left');
});

test('settings from the replicated configuration: nanoseconds to milliseconds', () => {
  assert.deepEqual(settingsFromFields({
    LastContactThreshold: 200_000_000, ServerStabilizationTime: 10_000_000_000, CleanupDeadServers: true, MaxTrailingLogs: 250,
    MinQuorum: 3, EnableRedundancyZones: false, DisableUpgradeMigration: false, EnableCustomUpgrades: false,
  }), { cleanupDeadServers: true, lastContactThresholdMs: 200, maxTrailingLogs: 250, minQuorum: 3, serverStabilizationTimeMs: 10_000 });
});
