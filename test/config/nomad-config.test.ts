// A real Nomad server config starts (with warnings for what opraft ignores);
// JSON configs; several files and directories merged in order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadAgentConfig } from '../../src/config/index.ts';
import { opts, scratch } from './helpers.ts';

let s: Awaited<ReturnType<typeof scratch>>;
before(async () => { s = await scratch(); });
after(async () => { await s.cleanup(); });

const NOMAD_SERVER_HCL = `
# A typical production Nomad server config.
datacenter = "eu-west-1a"
region     = "europe"
data_dir   = "/opt/nomad/data"
name       = "nomad-server-1"
bind_addr  = "0.0.0.0"
log_level  = "WARN"
log_json   = true
leave_on_interrupt = true
leave_on_terminate = true
enable_syslog = true
disable_update_check = true

advertise {
  http = "10.1.0.11"
  rpc  = "10.1.0.11:4647"
  serf = "10.1.0.11"
}

ports {
  http = 4646
  rpc  = 4647
  serf = 4648
}

server {
  enabled          = true
  bootstrap_expect = 3
  encrypt          = "eWtDbmR5aWhMdnhjS0dLbmFjeG1VV1VHbXh4eFdmM1U="
  raft_multiplier  = 2
  raft_protocol    = 3
  num_schedulers   = 2
  node_gc_threshold = "24h"
  heartbeat_grace  = "30s"

  server_join {
    retry_join     = ["10.1.0.12", "10.1.0.13:4648", "nomad-3.internal:4647"]
    retry_max      = 5
    retry_interval = "15s"
  }

  default_scheduler_config {
    scheduler_algorithm             = "spread"
    memory_oversubscription_enabled = true
    preemption_config {
      system_scheduler_enabled  = true
      service_scheduler_enabled = true
    }
  }
}

client {
  enabled = false
  servers = ["127.0.0.1:4647"]
}

acl {
  enabled   = true
  token_ttl = "30s"
}

autopilot {
  cleanup_dead_servers      = true
  last_contact_threshold    = "300ms"
  max_trailing_logs         = 500
  server_stabilization_time = "20s"
}

telemetry {
  collection_interval        = "1s"
  prometheus_metrics         = true
  publish_allocation_metrics = true
}

consul {
  address = "127.0.0.1:8500"
  server_auto_join = true
}

vault {
  enabled = false
  address = "https://vault.service.consul:8200"
}

plugin "docker" {
  config {
    allow_privileged = true
    volumes { enabled = true }
  }
}

plugin "raw_exec" {
  config { enabled = true }
}

tls {
  http = false
  rpc  = false
}
`;

test('a real Nomad server config starts, with a warning for each setting opraft ignores', async () => {
  const file = await s.write('nomad/server.hcl', NOMAD_SERVER_HCL);
  const { config, warnings } = await loadAgentConfig(['-config', file], opts(s.dir));

  assert.equal(config.name, 'nomad-server-1');
  assert.equal(config.region, 'europe');
  assert.equal(config.datacenter, 'eu-west-1a');
  assert.equal(config.dataDir, '/opt/nomad/data');
  assert.equal(config.logLevel, 'warn');
  assert.equal(config.logJson, true);
  assert.equal(config.leaveOnInterrupt, true);
  assert.equal(config.leaveOnTerminate, true);
  assert.deepEqual(config.ports, { http: 4646, rpc: 4647 });
  assert.deepEqual(config.advertise, { http: '10.1.0.11:4646', rpc: '10.1.0.11:4647' });
  assert.equal(config.server.enabled, true);
  assert.equal(config.server.bootstrapExpect, 3);
  assert.equal(config.server.raftMultiplier, 2);
  assert.equal(config.server.encrypt, 'eWtDbmR5aWhMdnhjS0dLbmFjeG1VV1VHbXh4eFdmM1U=');
  assert.deepEqual(config.server.retryJoin, ['10.1.0.12:4647', '10.1.0.13:4647', 'nomad-3.internal:4647']);
  assert.equal(config.server.retryMax, 5);
  assert.equal(config.server.retryInterval, 15_000);
  assert.equal(config.acl.enabled, true);
  assert.equal(config.autopilot.lastContactThreshold, 300);
  assert.equal(config.autopilot.maxTrailingLogs, 500);
  assert.equal(config.autopilot.serverStabilizationTime, 20_000);
  assert.deepEqual(config.apiDefaults.autopilotConfiguration, {
    LastContactThreshold: '300ms', ServerStabilizationTime: '20s', CleanupDeadServers: true, MaxTrailingLogs: 500,
    MinQuorum: 0, EnableRedundancyZones: false, DisableUpgradeMigration: false, EnableCustomUpgrades: false,
  });
  assert.deepEqual(config.apiDefaults.schedulerConfiguration, {
    SchedulerAlgorithm: 'spread',
    PreemptionConfig: { SystemSchedulerEnabled: true, SysBatchSchedulerEnabled: false, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: true },
    MemoryOversubscriptionEnabled: true, RejectJobRegistration: false, PauseEvalBroker: false, NodeLimitForFeasibilityChecks: 0,
  });
  assert.deepEqual(config.server.defaultSchedulerConfig, {
    scheduler_algorithm: 'spread', memory_oversubscription_enabled: true,
    preemption_config: { system_scheduler_enabled: true, service_scheduler_enabled: true },
  });
  assert.deepEqual(config.files, [file]);

  const expectWarning = (key: string, words: RegExp) => {
    const hit = warnings.find((w) => w.startsWith(`${file}: ${key}: `));
    assert.ok(hit, `expected a warning for ${key}, got:\n${warnings.join('\n')}`);
    assert.match(hit, words);
  };
  expectWarning('client', /servers only/);
  expectWarning('telemetry', /ignored/);
  expectWarning('consul', /Consul/);
  expectWarning('vault', /Vault/);
  expectWarning('plugin', /plugins/);
  expectWarning('tls', /no TLS/);
  expectWarning('ports.serf', /no Serf/);
  expectWarning('advertise.serf', /no Serf/);
  expectWarning('server.num_schedulers', /does not use/);
  expectWarning('server.node_gc_threshold', /does not use/);
  expectWarning('acl.token_ttl', /does not use/);
  expectWarning('enable_syslog', /does not use/);
  expectWarning('server.server_join.retry_join[1]', /4648.*10\.1\.0\.13:4647/);
  // Nothing else: every warning names this file.
  for (const w of warnings) assert.ok(w.startsWith(`${file}: `), `unexpected warning: ${w}`);
});

test('the one-line block form of HCL1 is read (HCL2 would refuse it)', async () => {
  const file = await s.write('oneline.hcl', 'data_dir = "/d"\nserver { enabled = true  bootstrap_expect = 5 }\n');
  const { config } = await loadAgentConfig(['-config', file], opts(s.dir));
  assert.equal(config.server.bootstrapExpect, 5);
});

test('a JSON config, with blocks written as objects or as lists of objects', async () => {
  const file = await s.write('server.json', JSON.stringify({
    data_dir: 'data/relative',
    name: 'json-node',
    ports: { http: 0, rpc: 0 },
    server: [{ enabled: true, bootstrap_expect: 1, server_join: { retry_join: ['[::1]:4648', '::2'] } }],
    autopilot: { update_interval: '250ms', reconcile_interval: '1s', min_quorum: 3 },
    limits: { http_max_json_body_size: '2MiB', rpc_max_frame_size: 1048576, http_request_timeout: '1m' },
    raft_tick: '40ms',
    client: { enabled: false },
  }));
  const { config, warnings } = await loadAgentConfig(['-config', 'server.json'], opts(s.dir));
  assert.equal(config.dataDir, path.join(s.dir, 'data/relative'), 'a relative data_dir is resolved against cwd');
  assert.equal(config.name, 'json-node');
  assert.deepEqual(config.ports, { http: 0, rpc: 0 });
  assert.deepEqual(config.server.retryJoin, ['[::1]:4647', '[::2]:4647']);
  assert.equal(config.autopilot.updateInterval, 250);
  assert.equal(config.autopilot.reconcileInterval, 1000);
  assert.equal(config.autopilot.minQuorum, 3);
  assert.equal(config.limits.httpMaxJsonBodyBytes, 2 * 2 ** 20);
  assert.equal(config.limits.rpcMaxFrameBytes, 2 ** 20);
  assert.equal(config.limits.httpRequestTimeout, 60_000);
  assert.equal(config.limits.snapshotRestoreMaxBytes, 2 ** 30, 'unset limits keep their defaults');
  assert.equal(config.raftTick, 40);
  assert.ok(warnings.some((w) => w.includes('retry_join[0]') && w.includes('4648')));
  assert.ok(warnings.some((w) => w.endsWith('client: opraft runs servers only; the client block is ignored')));
  // bootstrap_expect = 1 outside -dev gets Nomad's warning.
  assert.ok(warnings.some((w) => /bootstrap mode enabled/.test(w)));
});

test('a directory of configs merges its *.hcl and *.json files in lexical order, skipping the rest', async () => {
  await s.write('conf.d/10-base.hcl', 'data_dir = "/base"\nname = "base"\nregion = "r1"\nserver { enabled = true\n bootstrap_expect = 3\n server_join { retry_join = ["a.example"] } }\n');
  await s.write('conf.d/20-override.json', JSON.stringify({ name: 'override', server: { server_join: { retry_join: ['b.example:5000'] } } }));
  await s.write('conf.d/30-last.hcl', 'region = "r3"\nserver { raft_trailing_logs = 99 }\n');
  await s.write('conf.d/40-ignored.txt', 'this = is not = config');
  await s.write('conf.d/50-backup.hcl~', 'name = "editor backup"');
  await s.write('conf.d/.#60-lock.hcl', 'name = "emacs lock"');
  await s.write('conf.d/sub/70-nested.hcl', 'name = "nested files are not read"');
  const extra = await s.write('extra.hcl', 'name = "later-config"');

  const { config } = await loadAgentConfig(['-config', 'conf.d', '-config', extra], opts(s.dir));
  assert.deepEqual(config.files, [
    path.join(s.dir, 'conf.d/10-base.hcl'), path.join(s.dir, 'conf.d/20-override.json'), path.join(s.dir, 'conf.d/30-last.hcl'), extra,
  ]);
  assert.equal(config.name, 'later-config');
  assert.equal(config.region, 'r3');
  assert.equal(config.dataDir, '/base');
  assert.equal(config.server.bootstrapExpect, 3, 'blocks merge key by key across files');
  assert.equal(config.server.raftTrailingLogs, 99);
  assert.deepEqual(config.server.retryJoin, ['b.example:5000'], 'a later list replaces an earlier one');
});

test('repeated blocks in one file read as one', async () => {
  const file = await s.write('repeated.hcl', 'data_dir = "/d"\nserver { enabled = true }\nserver { bootstrap_expect = 3 }\n');
  const { config } = await loadAgentConfig(['-config', file], opts(s.dir));
  assert.equal(config.server.enabled, true);
  assert.equal(config.server.bootstrapExpect, 3);
});

test('an empty directory or file loads with a warning', async () => {
  await s.write('empty.d/readme.md', '# nothing here');
  const empty = await s.write('empty.hcl', '\n# only a comment\n');
  const { warnings } = await loadAgentConfig(['-config', 'empty.d', '-config', empty, '-server', '-data-dir', '/d'], opts(s.dir));
  assert.ok(warnings.includes('No configuration loaded from empty.d'));
  assert.ok(warnings.includes(`No configuration loaded from ${empty}`));
});

test('deprecated join keys directly in server { } still work, with a warning', async () => {
  const file = await s.write('old-join.hcl', 'data_dir = "/d"\nserver {\n enabled = true\n retry_join = ["10.0.0.9"]\n retry_interval = "5s"\n}\n');
  const { config, warnings } = await loadAgentConfig(['-config', file], opts(s.dir));
  assert.deepEqual(config.server.retryJoin, ['10.0.0.9:4647']);
  assert.equal(config.server.retryInterval, 5000);
  assert.ok(warnings.some((w) => w.startsWith(`${file}: server.retry_join: deprecated`)));
});

test('http_api_response_headers and license_public_keys are read', async () => {
  const { generateKeyPairSync } = await import('node:crypto');
  const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const der = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const file = await s.write('extras.json', JSON.stringify({
    data_dir: '/d', server: { enabled: true, license_public_keys: [pem, der] },
    http_api_response_headers: { 'Access-Control-Allow-Origin': '*' },
  }));
  const { config } = await loadAgentConfig(['-config', file], opts(s.dir));
  assert.deepEqual(config.server.licensePublicKeys, [pem.trim(), der]);
  assert.deepEqual(config.httpApiResponseHeaders, { 'Access-Control-Allow-Origin': '*' });
});
