// The compose cluster formed for real without a Docker engine: one network namespace per compose
// service with the service's fixed address on a shared bridge, `/etc/netns/<ns>/hosts` mapping
// the service names (what compose's DNS would do), and in each namespace the image's entrypoint
// (`opraft agent -config <mounted dir>`) run under the image's non-root uid with the very config
// files docker-compose.yml mounts. The image's healthcheck command must pass in every namespace.
// Needs root (CI runs as root); skipped otherwise.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const UID = 4646; // the image's `opraft` user
const tag = `o${process.pid % 100000}`;
const bridgeNs = `${tag}-br`;
const services = ['server-1', 'server-2', 'server-3'];
const nsOf = (s: string) => `${tag}-${s.replace('server-', 's')}`;

const canRun = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0 && spawnSync('docker-compose', ['version']).status === 0;
const procs: ChildProcess[] = [];
let root = '';

function sh(args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr || r.stdout}`);
}

function cleanup(): void {
  for (const p of procs) if (p.pid && p.exitCode === null && p.signalCode === null) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  for (const s of services) {
    spawnSync('ip', ['netns', 'del', nsOf(s)]);
    rmSync(`/etc/netns/${nsOf(s)}`, { recursive: true, force: true });
  }
  spawnSync('ip', ['netns', 'del', bridgeNs]);
  if (root && !process.env.KEEP_TEST_DATA) rmSync(root, { recursive: true, force: true });
}
after(cleanup);
process.on('exit', cleanup);

function composeAddresses(): Map<string, string> {
  const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: repo, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const c = parse(r.stdout) as { services: Record<string, { networks: { opraft: { ipv4_address: string } }; volumes: string[] }> };
  return new Map(services.map((s) => [s, c.services[s]!.networks.opraft.ipv4_address]));
}

function healthcheck(ns: string): { status: number | null; out: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', process.execPath, path.join(repo, 'docker/healthcheck.mjs')], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

test('compose in network namespaces: the three services form a cluster and pass the image healthcheck', { skip: !canRun && 'needs root, iproute2 and docker-compose', timeout: 180_000 }, async () => {
  const ips = composeAddresses();
  root = mkdtempSync(path.join(os.tmpdir(), 'opraft-netns-'));
  // A bridge in a namespace of its own, so nothing on the host network changes.
  sh(['ip', 'netns', 'add', bridgeNs]);
  sh(['ip', '-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
  sh(['ip', '-n', bridgeNs, 'link', 'set', 'br0', 'up']);
  const hosts = ['127.0.0.1 localhost', ...services.map((s) => `${ips.get(s)} ${s}`)].join('\n') + '\n';
  for (const [i, s] of services.entries()) {
    const ns = nsOf(s);
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    sh(['ip', 'link', 'add', `${tag}v${i}`, 'netns', ns, 'type', 'veth', 'peer', 'name', `${tag}p${i}`, 'netns', bridgeNs]);
    sh(['ip', '-n', ns, 'link', 'set', `${tag}v${i}`, 'name', 'eth0']);
    sh(['ip', '-n', ns, 'addr', 'add', `${ips.get(s)}/24`, 'dev', 'eth0']);
    sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    sh(['ip', '-n', bridgeNs, 'link', 'set', `${tag}p${i}`, 'master', 'br0']);
    sh(['ip', '-n', bridgeNs, 'link', 'set', `${tag}p${i}`, 'up']);
    mkdirSync(`/etc/netns/${ns}`, { recursive: true });
    writeFileSync(`/etc/netns/${ns}/hosts`, hosts);
    // The named volume: a data directory the non-root user owns.
    const data = path.join(root, s);
    mkdirSync(data, { recursive: true });
    chownSync(data, UID, UID);
    chownSync(root, 0, 0);
  }
  spawnSync('chmod', ['755', root]);
  for (const s of services) {
    // The image's ENTRYPOINT + CMD, with the mounted config directory; -data-dir stands for the volume.
    const args = ['netns', 'exec', nsOf(s), 'setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', '--', path.join(repo, 'bin/opraft'), 'agent', '-config', path.join(repo, 'compose', s), '-data-dir', path.join(root, s)];
    const p = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: path.join(root, s) } });
    const log = createWriteStream(path.join(root, `${s}.log`));
    p.stdout!.pipe(log);
    p.stderr!.pipe(log);
    procs.push(p);
  }
  const deadline = Date.now() + 120_000;
  let last: { status: number | null; out: string }[] = [];
  while (Date.now() < deadline) {
    last = services.map((s) => healthcheck(nsOf(s)));
    if (last.every((h) => h.status === 0)) break;
    for (const [i, p] of procs.entries()) if (p.exitCode !== null) assert.fail(`${services[i]} exited with ${p.exitCode}: ${readFileSync(path.join(root, `${services[i]}.log`), 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const logs = () => services.map((s) => `--- ${s}\n${readFileSync(path.join(root, `${s}.log`), 'utf8').split('\n').slice(-15).join('\n')}`).join('\n');
  assert.ok(last.every((h) => h.status === 0), `healthcheck: ${JSON.stringify(last)}\n${logs()}`);
  for (const h of last) assert.match(h.out, /"ok":true/);
  // The Raft configuration, read inside server-1's namespace: three voters at the fixed addresses.
  const r = spawnSync('ip', ['netns', 'exec', nsOf('server-1'), process.execPath, '-e', "fetch('http://server-2:4646/v1/operator/raft/configuration').then(r=>r.text()).then(t=>console.log(t))"], { encoding: 'utf8', timeout: 10_000 });
  const cfg = JSON.parse(r.stdout) as { Servers: { Address: string; Voter: boolean; Node: string; Leader: boolean }[] };
  assert.deepEqual(cfg.Servers.map((x) => x.Address).sort(), services.map((s) => `${ips.get(s)}:4647`).sort());
  assert.ok(cfg.Servers.every((x) => x.Voter));
  assert.equal(cfg.Servers.filter((x) => x.Leader).length, 1);
  assert.deepEqual(cfg.Servers.map((x) => x.Node).sort(), ['server-1.global', 'server-2.global', 'server-3.global']);
});
