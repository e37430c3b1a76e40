// /v1/operator/license over HTTP (Part A §14): temporary license, PUT verified, refusals, force.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand } from '../../src/fsm/index.ts';
import { generateLicenseKeyPair, loadPublicKeys, signLicense, temporaryLicense } from '../../src/license/index.ts';
import type { LicenseFields } from '../../src/fsm/index.ts';
import { startFakeServer, type FakeServer } from './fake-server.ts';

let s: FakeServer;
const pair = generateLicenseKeyPair();
const other = generateLicenseKeyPair();
before(async () => {
  s = await startFakeServer();
  s.licenseKeys = await loadPublicKeys([pair.publicKeyPem]);
  s.fsm.apply(1000, encodeCommand({ type: 'setLicense', blob: '', license: temporaryLicense(new Date()) }));
});
after(() => s.close());

const day = 86_400_000;
function fields(over: Partial<LicenseFields> = {}): LicenseFields {
  const now = Date.now();
  return {
    LicenseID: 'lic-1', CustomerID: 'acme', InstallationID: '*',
    IssueTime: new Date(now - day).toISOString(), StartTime: new Date(now - day).toISOString(),
    ExpirationTime: new Date(now + 30 * day).toISOString(), TerminationTime: new Date(now + 40 * day).toISOString(),
    NonProduction: false, Product: 'nomad', Flags: null, Modules: null, Features: null, ...over,
  };
}
const put = (blob: string, q = '') => s.fetch(`/v1/operator/license${q}`, { method: 'PUT', body: blob });

test('license: the temporary license is served with query meta', async () => {
  const r = await s.fetch('/v1/operator/license');
  assert.equal(r.status, 200);
  const b = r.json as { License: LicenseFields; ConfigOutdated: boolean; Index: number; KnownLeader: boolean; LastContact: number };
  assert.deepEqual(Object.keys(b), ['License', 'ConfigOutdated', 'Index', 'KnownLeader', 'LastContact']);
  assert.equal(b.License.LicenseID, 'temporary-license');
  assert.equal(r.headers.get('x-nomad-index'), String(b.Index));
});

test('license: a signed license is stored; refusals answer 400 and change nothing; force', async () => {
  const good = await signLicense(fields({ LicenseID: 'lic-2' }), pair.privateKeyPem);
  const w = await put(good + '\n');
  assert.equal(w.status, 200, w.text);
  assert.ok((w.json as { Index: number }).Index > 0);
  assert.equal(((await s.fetch('/v1/operator/license')).json as { License: LicenseFields }).License.LicenseID, 'lic-2');
  const refusals: [string, RegExp][] = [
    ['not a license', /JWS/i],
    [await signLicense(fields({ LicenseID: 'x' }), other.privateKeyPem), /none of the 1 key\(s\) in server { license_public_keys }/],
    [await signLicense(fields({ Product: 'consul' }), pair.privateKeyPem), /product/i],
    [await signLicense(fields({ TerminationTime: new Date(Date.now() - 1000).toISOString(), ExpirationTime: new Date(Date.now() - 2000).toISOString() }), pair.privateKeyPem), /terminated/i],
    [await signLicense(fields({ LicenseID: 'old', IssueTime: new Date(Date.now() - 10 * day).toISOString() }), pair.privateKeyPem), /force/],
  ];
  for (const [blob, re] of refusals) {
    const r = await put(blob);
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, re);
  }
  assert.equal(((await s.fetch('/v1/operator/license')).json as { License: LicenseFields }).License.LicenseID, 'lic-2', 'nothing changed');
  const older = await signLicense(fields({ LicenseID: 'old', IssueTime: new Date(Date.now() - 10 * day).toISOString() }), pair.privateKeyPem);
  assert.equal((await put(older, '?force=true')).status, 200);
  assert.equal((await put('')).status, 400);
  assert.equal((await s.fetch('/v1/operator/license', { method: 'DELETE' })).status, 405);
});
