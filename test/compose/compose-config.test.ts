// docker-compose.yml, checked without an engine: `docker-compose config` (Debian's 1.29, installed
// by .ci/run) validates and normalises it, and the tests read the normalised YAML and the mounted
// agent configs (through opraft's own config loader).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadAgentConfig } from '../../src/config/index.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Service {
  profiles?: string[];
  ports: { published: number | string; target: number }[];
  volumes: string[];
  networks: Record<string, { ipv4_address: string }>;
  healthcheck: { test: string[]; interval: string };
  hostname: string;
  build: { context: string };
}

function composeConfig(args: string[] = []): { services: Record<string, Service>; volumes: Record<string, unknown>; networks: Record<string, { ipam: { config: { subnet: string }[] } }> } {
  const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args, 'config'], { cwd: repo, encoding: 'utf8' });
  if (r.error) throw new Error(`docker-compose is not installed (.ci/run installs it): ${r.error.message}`);
  assert.equal(r.status, 0, r.stderr);
  return parse(r.stdout);
}

const base = ['server-1', 'server-2', 'server-3'];
const five = [...base, 'server-4', 'server-5'];
const active = (services: Record<string, Service>, profile?: string) =>
  Object.keys(services).filter((n) => !services[n]!.profiles || (profile !== undefined && services[n]!.profiles!.includes(profile))).sort();

test('compose: the file validates (docker-compose config -q)', () => {
  const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: repo, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('compose: three servers by default, five with the `five` profile; ports, volumes, addresses, healthcheck', () => {
  const c = composeConfig();
  assert.deepEqual(active(c.services), base);
  assert.deepEqual(active(composeConfig(['--profile', 'five']).services, 'five'), five);
  const published = five.map((n) => c.services[n]!.ports.map((p) => [Number(p.published), p.target]));
  assert.deepEqual(published, [[[4646, 4646]], [[4656, 4646]], [[4666, 4646]], [[4676, 4646]], [[4686, 4646]]]);
  const subnet = c.networks.opraft!.ipam.config[0]!.subnet;
  assert.equal(subnet, '172.28.0.0/24');
  const ips = five.map((n) => c.services[n]!.networks.opraft!.ipv4_address);
  assert.equal(new Set(ips).size, 5, 'every server has its own fixed address');
  for (const ip of ips) assert.match(ip, /^172\.28\.0\.\d+$/);
  for (const n of five) {
    const s = c.services[n]!;
    assert.ok(s.volumes.includes(`${n}-data:/var/lib/opraft:rw`), `${n} keeps its data in a named volume`);
    assert.ok(s.volumes.some((v) => v.endsWith(`/compose/${n}:/etc/opraft:ro`)), `${n} mounts its config read-only`);
    assert.ok(`${n}-data` in c.volumes, `${n}-data is a named volume`);
    assert.deepEqual(s.healthcheck.test, ['CMD', 'node', '/opt/opraft/docker/healthcheck.mjs']);
    assert.equal(s.hostname, n);
  }
});

test('compose: the mounted configs bootstrap three servers, join each other, and advertise the fixed addresses', async () => {
  const c = composeConfig();
  for (const n of five) {
    const { config } = await loadAgentConfig(['-config', path.join(repo, 'compose', n)], { env: {}, cwd: repo });
    const ip = c.services[n]!.networks.opraft!.ipv4_address;
    const isBase = base.includes(n);
    assert.equal(config.server.bootstrapExpect, isBase ? 3 : 0, `${n} bootstrap_expect`);
    const joins = base.filter((b) => b !== n);
    assert.deepEqual(config.server.retryJoin.map((a) => a.replace(/:4647$/, '')).sort(), joins, `${n} retry_join`);
    assert.equal(config.advertise.rpc, `${ip}:4647`, `${n} advertises its fixed RPC address`);
    assert.equal(config.advertise.http, `${ip}:4646`);
    assert.equal(config.dataDir, '/var/lib/opraft');
    assert.equal(config.ports.http, 4646);
    assert.equal(config.ports.rpc, 4647);
  }
});
