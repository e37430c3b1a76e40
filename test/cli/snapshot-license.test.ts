// opraft operator snapshot save|restore|inspect (§7.10–§7.12) and opraft license get|put (Part A §14).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCommand, type LicenseFields } from '../../src/fsm/index.ts';
import { generateLicenseKeyPair, loadPublicKeys, signLicense, temporaryLicense } from '../../src/license/index.ts';
import { defaultSnapshotName } from '../../src/cli/operator-snapshot.ts';
import { startFakeServer, type FakeServer } from '../http/fake-server.ts';
import { cliAt } from './helpers.ts';

process.env.TZ = 'UTC';

let s: FakeServer;
let dir: string;
let run: ReturnType<typeof cliAt>;
const pair = generateLicenseKeyPair();
before(async () => {
  s = await startFakeServer();
  dir = mkdtempSync(join(tmpdir(), 'opraft-cli-'));
  run = cliAt(s.url, { cwd: dir });
  s.licenseKeys = await loadPublicKeys([pair.publicKeyPem]);
});
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

test('snapshot save writes <file> through <file>.tmp; inspect names every record type; restore', async () => {
  assert.equal((await run(['var', 'put', 'app/db', 'user=admin'], { isTTY: true })).code, 0);
  const saved = await run(['operator', 'snapshot', 'save', 'backup.snap']);
  assert.deepEqual(saved, { code: 0, stdout: 'State file written to backup.snap\n', stderr: '' });
  assert.ok(existsSync(join(dir, 'backup.snap')));
  assert.ok(!existsSync(join(dir, 'backup.snap.tmp')));
  assert.deepEqual(await run(['operator', 'snapshot', 'save', 'backup.snap']), { code: 1, stdout: '', stderr: 'Destination file already exists: "backup.snap"\n' });
  assert.deepEqual(await run(['operator', 'snapshot', 'save', 'a', 'b']), {
    code: 1,
    stdout: '',
    stderr: "This command takes either no arguments or one: <filename>\nFor additional help try 'opraft operator snapshot save -help'\n",
  });

  const inspect = await run(['operator', 'snapshot', 'inspect', 'backup.snap']);
  assert.equal(inspect.code, 0, inspect.stderr);
  const lines = inspect.stdout.split('\n');
  assert.match(lines[0]!, /^Created = \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(lines[1]!, /^ID {6}= 2-\d+-\d+$/);
  assert.match(lines[2]!, /^Size {4}= \d+ B$/);
  assert.match(lines[3]!, /^Index {3}= \d+$/);
  assert.equal(lines[4], 'Term    = 2');
  assert.equal(lines[5], 'Version = 1');
  assert.equal(lines[6], '');
  assert.match(lines[7]!, /^Type {13}Count  Size$/);
  const rows = lines.slice(8, -3);
  assert.deepEqual(rows.map((l) => l.split(/\s+/)[0]).sort(), ['AutopilotConfig', 'Index', 'SchedulerConfig', 'Variables']);
  assert.match(lines.at(-3)!, /^ +$/, 'the spacer row');
  assert.match(lines.at(-2)!, /^Total {12}\d+ +\d+ B$/);
  assert.equal(lines.at(-1), '');
  const sizes = rows.map((l) => Number(l.trim().split(/\s+/)[2]));
  assert.deepEqual(sizes, [...sizes].sort((a, b) => b - a), 'sorted by size, largest first');
  const j = JSON.parse((await run(['operator', 'snapshot', 'inspect', '-json', 'backup.snap'])).stdout) as { Meta: { Index: number; Term: number }; Stats: { Name: string; Sum: number; Count: number }[] };
  assert.equal(j.Meta.Term, 2);
  assert.deepEqual(Object.keys(j.Stats[0]!), ['Name', 'Sum', 'Count']);

  assert.deepEqual(await run(['operator', 'snapshot', 'inspect', 'missing.snap']), { code: 1, stdout: '', stderr: 'Error opening snapshot file: open missing.snap: no such file or directory\n' });
  writeFileSync(join(dir, 'junk.snap'), 'not a snapshot');
  const junk = await run(['operator', 'snapshot', 'inspect', 'junk.snap']);
  assert.equal(junk.code, 1);
  assert.match(junk.stderr, /^Error verifying snapshot: .*gzip/);
  assert.deepEqual(await run(['operator', 'snapshot', 'inspect']), { code: 1, stdout: '', stderr: "This command takes one argument: <filename>\nFor additional help try 'opraft operator snapshot inspect -help'\n" });

  // Restore: the variable deleted after the save comes back.
  assert.equal((await run(['var', 'purge', 'app/db'])).code, 0);
  assert.equal(s.fsm.variable('app/db'), null);
  assert.deepEqual(await run(['operator', 'snapshot', 'restore', 'backup.snap']), { code: 0, stdout: 'Snapshot Restored\n', stderr: '' });
  assert.equal((await run(['var', 'get', '-item', 'user', 'app/db'])).stdout, 'admin');
  assert.deepEqual(await run(['operator', 'snapshot', 'restore', 'missing.snap']), { code: 1, stdout: '', stderr: 'Error opening snapshot file: "open missing.snap: no such file or directory"\n' });
  const bad = await run(['operator', 'snapshot', 'restore', 'junk.snap']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^Failed to get restore snapshot: Unexpected response code: 500 \(failed to restore from snapshot: /);
  assert.deepEqual(await run(['operator', 'snapshot', 'restore']), { code: 1, stdout: '', stderr: "This command takes one argument: <filename>\nFor additional help try 'opraft operator snapshot restore -help'\n" });
  s.aclEnabled = true;
  try {
    assert.deepEqual(await run(['operator', 'snapshot', 'save', 'denied.snap']), { code: 1, stdout: '', stderr: 'Failed to get snapshot file: Unexpected response code: 403 (Permission denied)\n' });
    assert.ok(!existsSync(join(dir, 'denied.snap.tmp')));
  } finally {
    s.aclEnabled = false;
  }
});

test('snapshot save: a Digest that does not match the bytes fails and leaves no file', async () => {
  const bytes = readFileSync(join(dir, 'backup.snap'));
  const digests = ['sha-256=AAAA', 'nonsense', 'md5=xyz'];
  let i = 0;
  const srv = http.createServer((_req, res) => {
    res.setHeader('Digest', digests[i++]!);
    res.end(bytes);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  try {
    const go = cliAt(url, { cwd: dir });
    assert.deepEqual(await go(['operator', 'snapshot', 'save', 'x.snap']), { code: 1, stdout: '', stderr: 'Failed to download snapshot file: mismatch checksum\n' });
    assert.ok(!existsSync(join(dir, 'x.snap')) && !existsSync(join(dir, 'x.snap.tmp')));
    assert.deepEqual(await go(['operator', 'snapshot', 'save', 'x.snap']), { code: 1, stdout: '', stderr: 'Failed to get snapshot file: invalid digest format\n' });
    assert.deepEqual(await go(['operator', 'snapshot', 'save', 'x.snap']), { code: 1, stdout: '', stderr: 'Failed to get snapshot file: unsupported checksum format\n' });
  } finally {
    await new Promise((r) => srv.close(r));
  }
});

test('snapshot save: the default file name does not zero-pad the day', () => {
  assert.equal(defaultSnapshotName(new Date('2026-03-05T10:00:00Z')), 'nomad-state-2026035-1772704800.snap');
});

const day = 86_400_000;
function fields(over: Partial<LicenseFields> = {}): LicenseFields {
  return {
    LicenseID: 'lic-1', CustomerID: 'acme', InstallationID: '*',
    IssueTime: '2026-01-01T00:00:00Z', StartTime: '2026-01-01T00:00:00Z',
    ExpirationTime: new Date(Date.now() + 30 * day).toISOString(), TerminationTime: new Date(Date.now() + 40 * day).toISOString(),
    NonProduction: false, Product: 'nomad', Flags: null, Modules: null, Features: null, ...over,
  };
}

test('license get: formatKV, modules and features; an expired license prints expired! and exits 1', async () => {
  s.fsm.apply(1000, encodeCommand({ type: 'setLicense', blob: '', license: { ...temporaryLicense(new Date('2026-01-01T00:00:00Z')), ExpirationTime: '2099-01-01T00:00:00Z', TerminationTime: '2099-01-01T06:00:00Z' } }));
  const r = await run(['license', 'get']);
  assert.deepEqual(r, {
    code: 0,
    stderr: '',
    stdout: `Product        = nomad
NonProduction  = false
License Status = valid
License ID     = temporary-license
Customer ID    = temporary license customer
Issued At      = 2026-01-01 00:00:00 +0000 UTC
Expires At     = 2099-01-01 00:00:00 +0000 UTC
Terminates At  = 2099-01-01 06:00:00 +0000 UTC
Datacenter     = *
Modules:
\tgovernance-policy
Licensed Features:
\tAutomated Upgrades
\tEnhanced Read Scalability
\tRedundancy Zones
\tNamespaces
\tResource Quotas
\tPreemption
\tAudit Logging
\tSetinel Policies
`,
  });
  s.fsm.apply(1001, encodeCommand({ type: 'setLicense', blob: '', license: fields({ ExpirationTime: '2026-01-02T00:00:00Z', TerminationTime: '2099-01-01T00:00:00Z' }) }));
  const expired = await run(['license', 'get']);
  assert.equal(expired.code, 1);
  assert.match(expired.stdout, /^License Status = expired!$/m);
  assert.match(expired.stdout, /^Expired At     = 2026-01-02 00:00:00 \+0000 UTC$/m);
  assert.match(expired.stdout, /^Terminates At  = 2099-01-01 00:00:00 \+0000 UTC$/m);
});

test('license put: from a file and from stdin, -force; refusals name the reason', async () => {
  const blob = await signLicense(fields({ LicenseID: 'lic-file', IssueTime: new Date(Date.now() - day).toISOString() }), pair.privateKeyPem);
  writeFileSync(join(dir, 'license.txt'), blob + '\n');
  assert.deepEqual(await run(['license', 'put', 'license.txt']), { code: 0, stdout: 'Successfully applied license\n', stderr: '' });
  assert.equal(s.fsm.license()!.License.LicenseID, 'lic-file');
  const stdinBlob = await signLicense(fields({ LicenseID: 'lic-stdin', IssueTime: new Date(Date.now() - day / 2).toISOString() }), pair.privateKeyPem);
  assert.deepEqual(await run(['license', 'put', '-'], { stdin: stdinBlob }), { code: 0, stdout: 'Successfully applied license\n', stderr: '' });
  assert.equal(s.fsm.license()!.License.LicenseID, 'lic-stdin');
  const older = await signLicense(fields({ LicenseID: 'lic-old', IssueTime: new Date(Date.now() - 10 * day).toISOString() }), pair.privateKeyPem);
  const refused = await run(['license', 'put', '-'], { stdin: older });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^Error putting license: Unexpected response code: 400 \(.*force.*\)\n$/);
  assert.deepEqual(await run(['license', 'put', '-force', '-'], { stdin: older }), { code: 0, stdout: 'Successfully applied license\n', stderr: '' });
  assert.equal(s.fsm.license()!.License.LicenseID, 'lic-old');
  assert.deepEqual(await run(['license', 'put', 'nope.txt']), { code: 1, stdout: '', stderr: 'Error reading license file: open nope.txt: no such file or directory\n' });
  assert.deepEqual(await run(['license', 'put']), { code: 1, stdout: '', stderr: "This command takes one argument: <path>\nFor additional help try 'opraft license put -help'\n" });
  s.aclEnabled = true;
  try {
    assert.deepEqual(await run(['license', 'get']), { code: 1, stdout: '', stderr: 'Error getting license: Unexpected response code: 403 (Permission denied)\n' });
  } finally {
    s.aclEnabled = false;
  }
});
