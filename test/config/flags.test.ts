// Flags in Nomad's style: they win over files; -config and -retry-join repeat; -dev.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { applyLocalProfile, loadAgentConfig, localProfile, parseAgentFlags } from '../../src/config/index.ts';
import { loadFails, opts, scratch } from './helpers.ts';

let s: Awaited<ReturnType<typeof scratch>>;
before(async () => { s = await scratch(); });
after(async () => { await s.cleanup(); });

const FILE = `
data_dir = "/from-file"
name = "file-node"
region = "file-region"
datacenter = "file-dc"
bind_addr = "10.0.0.1"
log_level = "ERROR"
ports { http = 1111 rpc = 2222 }
server {
  enabled = true
  bootstrap_expect = 5
  server_join { retry_join = ["file-a", "file-b"] }
}
`;

test('flags win over files', async () => {
  const file = await s.write('base.hcl', FILE);
  const { config } = await loadAgentConfig([
    '-config', file, '-data-dir', '/from-flag', '-node', 'flag-node', '-region', 'flag-region', '-dc', 'flag-dc',
    '-bind', '127.0.0.1', '-bootstrap-expect', '3', '-log-level', 'trace', '-http-port', '3333', '-rpc-port=4444',
    '-retry-join', 'flag-a',
  ], opts(s.dir));
  assert.equal(config.dataDir, '/from-flag');
  assert.equal(config.name, 'flag-node');
  assert.equal(config.region, 'flag-region');
  assert.equal(config.datacenter, 'flag-dc');
  assert.equal(config.bindAddr, '127.0.0.1');
  assert.equal(config.server.bootstrapExpect, 3);
  assert.equal(config.logLevel, 'trace');
  assert.deepEqual(config.ports, { http: 3333, rpc: 4444 });
  assert.deepEqual(config.advertise, { http: '127.0.0.1:3333', rpc: '127.0.0.1:4444' });
  assert.deepEqual(config.server.retryJoin, ['flag-a:4647'], '-retry-join replaces the files\' list');
  // What the flags do not set still comes from the file.
  const { config: fileOnly } = await loadAgentConfig(['-config', file], opts(s.dir));
  assert.equal(fileOnly.name, 'file-node');
  assert.deepEqual(fileOnly.ports, { http: 1111, rpc: 2222 });
  assert.deepEqual(fileOnly.server.retryJoin, ['file-a:4647', 'file-b:4647']);
});

test('-retry-join and -config repeat; other flags keep their last value', async () => {
  const a = await s.write('rep-a.hcl', 'data_dir = "/a"\nname = "a"\n');
  const b = await s.write('rep-b.hcl', 'name = "b"\nserver { enabled = true }\n');
  const { config, warnings } = await loadAgentConfig([
    '-config', a, '--config', b, '-retry-join', '10.0.0.1', '-retry-join=10.0.0.2:4648', '--retry-join', '[fe80::1]:5000',
    '-node', 'first', '-node', 'second',
  ], opts(s.dir));
  assert.deepEqual(config.files, [a, b]);
  assert.deepEqual(config.server.retryJoin, ['10.0.0.1:4647', '10.0.0.2:4647', '[fe80::1]:5000']);
  assert.equal(config.name, 'second');
  assert.ok(warnings.some((w) => w.startsWith('flag -retry-join: ') && w.includes('4648')), warnings.join('\n'));
});

test('more flags: -server, -retry-max, -retry-interval, -join, -acl-enabled, -log-json, -encrypt', async () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const { config } = await loadAgentConfig([
    '-server', '-data-dir', '/d', '-retry-max', '4', '-retry-interval', '750ms', '-join', 'seed.example',
    '-acl-enabled', '-log-json=true', '-encrypt', key,
  ], opts(s.dir));
  assert.equal(config.server.enabled, true);
  assert.equal(config.server.retryMax, 4);
  assert.equal(config.server.retryInterval, 750);
  assert.deepEqual(config.server.startJoin, ['seed.example:4647']);
  assert.equal(config.acl.enabled, true);
  assert.equal(config.logJson, true);
  assert.equal(config.server.encrypt, key);
});

test('bad flags are errors naming the flag', async () => {
  const o = opts(s.dir);
  assert.equal((await loadFails(['-nope'], o)).message, 'flag provided but not defined: -nope');
  assert.equal((await loadFails(['-server', 'extra'], o)).message, 'the agent takes no arguments, got "extra" (flags start with -)');
  const missing = await loadFails(['-data-dir'], o);
  assert.equal(missing.key, '-data-dir');
  assert.equal(missing.message, 'flag -data-dir: flag needs an argument');
  const bad = await loadFails(['-bootstrap-expect', 'many'], o);
  assert.equal(bad.message, 'flag -bootstrap-expect: expected a whole number, got "many"');
  assert.match((await loadFails(['-http-port', '-1'], o)).message, /^flag -http-port: must be from 0 to 65535/);
  assert.match((await loadFails(['-log-level', 'chatty'], o)).message, /^flag -log-level: invalid log level/);
  assert.match((await loadFails(['-retry-join', 'a:b:c'], o)).message, /^flag -retry-join: an IPv6 address with a port needs brackets/);
  assert.match((await loadFails(['-dev=maybe'], o)).message, /^flag -dev: expected true or false/);
  assert.match((await loadFails(['-retry-interval', '10'], o)).message, /^flag -retry-interval: missing unit/);
});

test('-dev: one server on loopback, bootstrap_expect 1, a fresh temporary data dir, local timing, ports 4646/4647', async () => {
  const { config, warnings } = await loadAgentConfig(['-dev'], opts(s.dir));
  assert.equal(config.dev, true);
  assert.equal(config.profile, 'local');
  assert.equal(config.server.enabled, true);
  assert.equal(config.server.bootstrapExpect, 1);
  assert.equal(config.bindAddr, '127.0.0.1');
  assert.deepEqual(config.ports, { http: 4646, rpc: 4647 });
  assert.deepEqual(config.advertise, { http: '127.0.0.1:4646', rpc: '127.0.0.1:4647' });
  assert.equal(config.logLevel, 'debug');
  assert.equal(config.raftTick, localProfile.raftTick);
  assert.ok(config.raftTick >= 25 && config.raftTick <= 50);
  assert.equal(config.server.failureTimeout, localProfile.failureTimeout);
  assert.equal(config.autopilot.updateInterval, localProfile.autopilotUpdateInterval);
  assert.equal(config.autopilot.reconcileInterval, localProfile.autopilotReconcileInterval);
  assert.equal(config.dataDirIsTemporary, true);
  assert.equal(path.dirname(config.dataDir), s.dir, 'made under TMPDIR');
  assert.ok((await stat(config.dataDir)).isDirectory());
  assert.ok(!warnings.some((w) => /bootstrap mode/.test(w)), 'no bootstrap warning in dev mode');

  const second = await loadAgentConfig(['-dev'], opts(s.dir));
  assert.notEqual(second.config.dataDir, config.dataDir, 'each -dev start gets a fresh directory');
});

test('-dev with flags and files: they still win', async () => {
  const file = await s.write('dev-extra.hcl', 'raft_tick = "25ms"\nserver { failure_timeout = "3s" }\n');
  const { config } = await loadAgentConfig(['-dev', '-config', file, '-http-port', '0', '-data-dir', 'mine'], opts(s.dir));
  assert.equal(config.raftTick, 25);
  assert.equal(config.server.failureTimeout, 3000);
  assert.equal(config.ports.http, 0);
  assert.equal(config.ports.rpc, 4647);
  assert.equal(config.dataDir, path.join(s.dir, 'mine'));
  assert.equal(config.dataDirIsTemporary, false);
});

test('-dev with a bad config makes no temporary directory', async () => {
  const bad = await s.write('dev-bad.hcl', 'nonsense = 1\n');
  const { readdir } = await import('node:fs/promises');
  const before = (await readdir(s.dir)).filter((n) => n.startsWith('opraft-dev-')).length;
  await loadFails(['-dev', '-config', bad], opts(s.dir));
  assert.equal((await readdir(s.dir)).filter((n) => n.startsWith('opraft-dev-')).length, before);
});

test('the local profile option sits under files and flags; the default profile is Nomad\'s timing', async () => {
  const base = ['-server', '-data-dir', '/d'];
  const plain = (await loadAgentConfig(base, opts(s.dir))).config;
  assert.equal(plain.profile, 'default');
  assert.equal(plain.raftTick, 100);
  assert.equal(plain.server.failureTimeout, 5000);
  assert.equal(plain.server.reapTimeout, 72 * 3600 * 1000);
  assert.equal(plain.server.applyTimeout, 10_000);
  assert.equal(plain.autopilot.updateInterval, 2000);
  assert.equal(plain.autopilot.reconcileInterval, 10_000);

  const file = await s.write('local.hcl', 'server { failure_timeout = "2s" }\n');
  const local = (await loadAgentConfig([...base, '-config', file], opts(s.dir, { profile: 'local' }))).config;
  assert.equal(local.profile, 'local');
  assert.equal(local.raftTick, localProfile.raftTick);
  assert.equal(local.server.failureTimeout, 2000, 'the file wins over the profile');
  assert.equal(local.server.retryInterval, localProfile.retryInterval);

  const applied = applyLocalProfile(plain);
  assert.equal(applied.raftTick, localProfile.raftTick);
  assert.equal(applied.autopilot.serverStabilizationTime, localProfile.serverStabilizationTime);
  assert.equal(applied.apiDefaults.autopilotConfiguration.ServerStabilizationTime, '2s');
  assert.equal(plain.raftTick, 100, 'applyLocalProfile returns a copy');
});

test('the advertise address comes from the first private IPv4 address when bind_addr is 0.0.0.0', async () => {
  const networkInterfaces = {
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth0: [{ address: '192.168.5.20', netmask: '255.255.255.0', family: 'IPv4' as const, mac: '02:00:00:00:00:01', internal: false, cidr: '192.168.5.20/24' }],
  };
  const { config, warnings } = await loadAgentConfig(['-server', '-data-dir', '/d'], opts(s.dir, { networkInterfaces }));
  assert.deepEqual(config.advertise, { http: '192.168.5.20:4646', rpc: '192.168.5.20:4647' });
  assert.deepEqual(warnings, []);
});

test('parseAgentFlags alone: config paths in order, -- ends the flags', () => {
  const p = parseAgentFlags(['-config', 'a', '-dev', '-config=b', '--']);
  assert.deepEqual(p.configPaths, ['a', 'b']);
  assert.equal(p.dev, true);
  assert.equal(parseAgentFlags(['-dev=false']).dev, false);
});
