// scripts/license-dev.ts end to end: keygen, sign, and the blob verifies with those keys.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPublicKeys, verifyLicense } from '../../src/license/index.ts';
import { refused } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/license-dev.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opraft-license-'));
  const r = run('keygen', '--out', dir);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

test('keygen writes a private key (mode 0600) and a public key, and prints the config line', async () => {
  const priv = await readFile(join(dir, 'license-private.pem'), 'utf8');
  const pub = await readFile(join(dir, 'license-public.pem'), 'utf8');
  assert.match(priv, /^-----BEGIN PRIVATE KEY-----/);
  assert.match(pub, /^-----BEGIN PUBLIC KEY-----/);
  assert.equal((await stat(join(dir, 'license-private.pem'))).mode & 0o777, 0o600);
});

test('keygen refuses to overwrite keys without --force', async () => {
  const before = await readFile(join(dir, 'license-public.pem'), 'utf8');
  const r = run('keygen', '--out', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /already exists; pass --force/);
  assert.equal(await readFile(join(dir, 'license-public.pem'), 'utf8'), before);
});

test('keygen prints a base64 key that loads as license_public_keys', async () => {
  const other = join(dir, 'other');
  const r = run('keygen', '--out', other);
  assert.equal(r.code, 0, r.stderr);
  const b64 = /license_public_keys = \["([^"]+)"\]/.exec(r.stdout)?.[1];
  assert.ok(b64, r.stdout);
  const [fromPrint] = await loadPublicKeys([b64]);
  const [fromFile] = await loadPublicKeys([await readFile(join(other, 'license-public.pem'), 'utf8')]);
  assert.equal(fromPrint!.kid, fromFile!.kid);
});

test('sign prints a blob that verifies against the public key, with the options applied', async () => {
  const r = run('sign', '--key', join(dir, 'license-private.pem'), '--customer', 'acme', '--days', '2',
    '--issued', '2026-01-01T00:00:00Z', '--terminate-days', '5', '--license-id', 'lic-acme', '--non-production');
  assert.equal(r.code, 0, r.stderr);
  await writeFile(join(dir, 'license.txt'), r.stdout);
  const keys = await loadPublicKeys([await readFile(join(dir, 'license-public.pem'), 'utf8')]);
  const blob = await readFile(join(dir, 'license.txt'), 'utf8');
  const got = await verifyLicense(blob, keys, { now: new Date('2026-01-03T12:00:00Z') });
  assert.deepEqual(
    [got.LicenseID, got.CustomerID, got.IssueTime, got.StartTime, got.ExpirationTime, got.TerminationTime, got.NonProduction, got.Product],
    ['lic-acme', 'acme', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z', '2026-01-06T00:00:00Z', true, 'nomad'],
  );
});

test('sign defaults: issued now, 30 days, terminating 10 days later, random LicenseID', async () => {
  const keys = await loadPublicKeys([await readFile(join(dir, 'license-public.pem'), 'utf8')]);
  const t0 = Date.now();
  const a = run('sign', '--key', join(dir, 'license-private.pem'));
  const b = run('sign', '--key', join(dir, 'license-private.pem'));
  assert.equal(a.code, 0, a.stderr);
  const la = await verifyLicense(a.stdout, keys, { now: new Date() });
  const lb = await verifyLicense(b.stdout, keys, { now: new Date() });
  assert.notEqual(la.LicenseID, lb.LicenseID);
  const issued = Date.parse(la.IssueTime);
  assert.ok(issued >= t0 - 1000 && issued <= Date.now(), la.IssueTime);
  assert.equal(Date.parse(la.ExpirationTime) - issued, 30 * 86_400_000);
  assert.equal(Date.parse(la.TerminationTime) - issued, 40 * 86_400_000);
  assert.equal(la.NonProduction, false);
});

test('--product other than nomad makes a blob the servers refuse', async () => {
  const keys = await loadPublicKeys([await readFile(join(dir, 'license-public.pem'), 'utf8')]);
  const r = run('sign', '--key', join(dir, 'license-private.pem'), '--product', 'vault');
  assert.equal(r.code, 0, r.stderr);
  await refused(verifyLicense(r.stdout, keys, { now: new Date() }), 'product', /"vault"/);
});

for (const [name, args, message] of [
  ['no command', [], /no command given/],
  ['unknown command', ['frobnicate'], /unknown command "frobnicate"/],
  ['keygen without --out', ['keygen'], /keygen needs --out DIR/],
  ['sign without --key', ['sign'], /sign needs --key/],
  ['unknown flag', ['sign', '--key', 'k.pem', '--bogus'], /Unknown option '--bogus'/],
  ['--days not a number', ['sign', '--key', 'k.pem', '--days', 'ten'], /--days: "ten" is not a number/],
  ['--issued not a date', ['sign', '--key', 'k.pem', '--issued', 'someday'], /--issued: "someday" is not a date/],
] as const) {
  test(`bad arguments print usage and exit 2: ${name}`, () => {
    const r = run(...args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /usage:\n  license-dev keygen --out DIR/);
    assert.equal(r.stdout, '');
  });
}

test('an unreadable or non-Ed25519 key file exits 1 with the reason', async () => {
  const missing = run('sign', '--key', join(dir, 'nope.pem'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read --key: ENOENT/);
  await writeFile(join(dir, 'public-as-private.pem'), await readFile(join(dir, 'license-public.pem'), 'utf8'));
  const wrong = run('sign', '--key', join(dir, 'public-as-private.pem'));
  assert.equal(wrong.code, 1);
  assert.equal(wrong.stdout, '');
});
