// verifyLicense: acceptance, and one test per refusal reason with its 400 message.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactSign, generateKeyPair } from 'jose';
import { loadPublicKeys, temporaryLicense, verifyLicense, type TrustedKey } from '../../src/license/index.ts';
import { NOW, fields, makeKey, refused, sign, stored, type TestKey } from './helpers.ts';

const LICENSE_KEYS = ['LicenseID', 'CustomerID', 'InstallationID', 'IssueTime', 'StartTime', 'ExpirationTime',
  'TerminationTime', 'NonProduction', 'Product', 'Flags', 'Modules', 'Features'];

let trusted: TestKey;
let second: TestKey;
let stranger: TestKey;
let keys: TrustedKey[];
const opts = { now: NOW };

before(async () => {
  [trusted, second, stranger] = await Promise.all([makeKey(), makeKey(), makeKey()]);
  keys = await loadPublicKeys([trusted.pem, second.base64]);
});

function b64(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

// ---------------------------------------------------------------- accepted

test('a good license gives exactly the License fields, in the API order', async () => {
  const got = await verifyLicense(await sign(trusted, fields()), keys, opts);
  assert.deepEqual(got, fields());
  assert.deepEqual(Object.keys(got), LICENSE_KEYS);
});

test('trailing whitespace (a file with a newline) is accepted', async () => {
  const got = await verifyLicense(`${await sign(second, fields())}\n`, keys, opts);
  assert.equal(got.LicenseID, 'lic-2026');
});

test('without kid every trusted key is tried', async () => {
  const blob = await sign(second, fields(), { kid: undefined });
  assert.ok(!JSON.parse(Buffer.from(blob.split('.')[0]!, 'base64url').toString()).kid);
  assert.equal((await verifyLicense(blob, keys, opts)).CustomerID, 'cust-1');
});

test('a kid from another scheme still verifies when a trusted key signed it', async () => {
  const blob = await sign(trusted, fields(), { kid: 'prod-2026' });
  assert.equal((await verifyLicense(blob, keys, opts)).LicenseID, 'lic-2026');
});

test('an expired license that is not terminated is accepted', async () => {
  const f = fields({ ExpirationTime: '2026-02-15T00:00:00Z', TerminationTime: '2026-04-01T00:00:00Z' });
  assert.deepEqual(await verifyLicense(await sign(trusted, f), keys, opts), f);
});

test('optional fields default (NonProduction false; Flags, Modules, Features null) and unknown keys are dropped', async () => {
  const { NonProduction: _n, Flags: _f, Modules: _m, Features: _x, ...rest } = fields();
  const got = await verifyLicense(await sign(trusted, { ...rest, Extra: 1, exp: 5 }), keys, opts);
  assert.deepEqual(got, { ...fields(), NonProduction: false, Flags: null, Modules: null, Features: null });
  assert.deepEqual(Object.keys(got), LICENSE_KEYS);
});

test('Flags keys are sorted (one encoding for equal data, as the FSM stores it)', async () => {
  const got = await verifyLicense(await sign(trusted, fields({ Flags: { b: 1, a: { d: 2, c: 3 } } })), keys, opts);
  assert.equal(JSON.stringify(got.Flags), '{"a":{"c":3,"d":2},"b":1}');
});

test('times with offsets and nanoseconds are kept as sent', async () => {
  const f = fields({ IssueTime: '2026-02-01T08:50:16.581304556-04:00' });
  assert.equal((await verifyLicense(await sign(trusted, f), keys, opts)).IssueTime, '2026-02-01T08:50:16.581304556-04:00');
});

// ---------------------------------------------------------------- refused

test('no keys configured: every blob is refused, naming the empty setting', async () => {
  await refused(verifyLicense(await sign(trusted, fields()), [], opts), 'no-keys', /server \{ license_public_keys \} is empty/);
  await refused(verifyLicense('garbage', [], opts), 'no-keys', /license_public_keys/);
});

for (const [name, blob] of [
  ['plain text', 'hello license'],
  ['two parts', 'eyJhbGciOiJFZERTQSJ9.eyJ9'],
  ['four parts', 'a.b.c.d'],
  ['non-base64url characters', 'ab+c.de/f.gh'],
  ['empty', ''],
  ['a JWS in JSON serialization', '{"payload":"x","signatures":[]}'],
] as const) {
  test(`not a compact JWS: ${name}`, async () => {
    await refused(verifyLicense(blob, keys, opts), 'malformed', /not a compact JWS/);
  });
}

test('not a compact JWS: the header is not JSON, or not an object', async () => {
  await refused(verifyLicense(`${Buffer.from('nope').toString('base64url')}.eyJ9.c2ln`, keys, opts), 'malformed', /protected header is not base64url JSON/);
  await refused(verifyLicense(`${b64(['EdDSA'])}.eyJ9.c2ln`, keys, opts), 'malformed', /protected header is not a JSON object/);
});

test('alg other than EdDSA: HS256, ES256, none, missing', async () => {
  const hs = await new CompactSign(new TextEncoder().encode(JSON.stringify(fields())))
    .setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32).fill(7));
  await refused(verifyLicense(hs, keys, opts), 'algorithm', /signed with "HS256"; licenses must be signed with EdDSA/);
  const ec = await generateKeyPair('ES256');
  const es = await new CompactSign(new TextEncoder().encode(JSON.stringify(fields()))).setProtectedHeader({ alg: 'ES256' }).sign(ec.privateKey);
  await refused(verifyLicense(es, keys, opts), 'algorithm', /"ES256"/);
  await refused(verifyLicense(`${b64({ alg: 'none' })}.${b64(fields())}.`, keys, opts), 'algorithm', /"none"/);
  await refused(verifyLicense(`${b64({ typ: 'JWT' })}.${b64(fields())}.c2ln`, keys, opts), 'algorithm', /signed with no alg/);
});

test('signed by an untrusted key that names itself: refused as untrusted, naming its kid', async () => {
  await refused(verifyLicense(await sign(stranger, fields()), keys, opts), 'untrusted-key',
    new RegExp(`signed by key ${stranger.kid}, which is none of the 2 key\\(s\\) in server \\{ license_public_keys \\}`));
});

test('signed by an untrusted key without kid: refused, saying no trusted key verifies it', async () => {
  await refused(verifyLicense(await sign(stranger, fields(), { kid: undefined }), keys, opts), 'bad-signature',
    /signature verification failed with all 2 key\(s\).*untrusted key or altered after signing/);
});

test('tampered payload: the signature check fails for the trusted key it names', async () => {
  const [h, , s] = (await sign(second, fields())).split('.');
  const forged = `${h}.${b64(fields({ CustomerID: 'someone-else', ExpirationTime: '2099-01-01T00:00:00Z' }))}.${s}`;
  await refused(verifyLicense(forged, keys, opts), 'bad-signature',
    new RegExp(`failed for trusted key ${second.kid} \\(server\\.license_public_keys\\[1\\]\\); the license was altered after signing`));
});

test('tampered signature bytes are refused too', async () => {
  const blob = await sign(trusted, fields());
  const last = blob.at(-2) === 'A' ? 'B' : 'A';
  await refused(verifyLicense(`${blob.slice(0, -2)}${last}${blob.at(-1)}`, keys, opts), 'bad-signature', /altered after signing/);
});

test('the signature is checked before the payload: a forged terminated license says tampered', async () => {
  const [h, , s] = (await sign(trusted, fields())).split('.');
  const forged = `${h}.${b64(fields({ TerminationTime: '2000-01-01T00:00:00Z' }))}.${s}`;
  await refused(verifyLicense(forged, keys, opts), 'bad-signature', /altered/);
});

const BAD_PAYLOADS: Array<[string, unknown, RegExp]> = [
  ['not JSON', 'this is not json', /license payload is not JSON/],
  ['a JSON array', [fields()], /license payload must be a JSON object/],
  ['a JSON string', '"nomad"', /license payload must be a JSON object/],
  ['LicenseID missing', { ...fields(), LicenseID: undefined }, /license payload\.LicenseID is missing/],
  ['LicenseID empty', fields({ LicenseID: '' }), /license payload\.LicenseID must not be empty/],
  ['CustomerID a number', { ...fields(), CustomerID: 42 }, /license payload\.CustomerID must be a string, got the integer 42/],
  ['TerminationTime missing', { ...fields(), TerminationTime: undefined }, /license payload\.TerminationTime is missing/],
  ['IssueTime not RFC 3339', fields({ IssueTime: '2026-02-01' }), /license payload\.IssueTime must be an RFC 3339 time, got "2026-02-01"/],
  ['ExpirationTime a number', { ...fields(), ExpirationTime: 1767225600 }, /license payload\.ExpirationTime must be a string/],
  ['StartTime impossible date', fields({ StartTime: '2026-02-30T00:00:00Z' }), /license payload\.StartTime must be an RFC 3339 time/],
  ['NonProduction a string', { ...fields(), NonProduction: 'yes' }, /license payload\.NonProduction must be true or false/],
  ['Modules not strings', { ...fields(), Modules: [1] }, /license payload\.Modules\[0\] must be a string/],
  ['Features an object', { ...fields(), Features: { a: 1 } }, /license payload\.Features must be an array of strings/],
  ['Flags an array', { ...fields(), Flags: ['x'] }, /license payload\.Flags must be an object, got an array/],
  ['Product missing', { ...fields(), Product: undefined }, /license payload\.Product is missing/],
];

for (const [name, payload, message] of BAD_PAYLOADS) {
  test(`payload refused: ${name}`, async () => {
    await refused(verifyLicense(await sign(trusted, payload), keys, opts), 'payload', message);
  });
}

test('a product other than nomad is refused', async () => {
  await refused(verifyLicense(await sign(trusted, fields({ Product: 'consul' })), keys, opts), 'product', /for product "consul", not "nomad"/);
  await refused(verifyLicense(await sign(trusted, fields({ Product: 'Nomad' })), keys, opts), 'product', /"Nomad"/);
});

test('an already terminated license is refused; termination exactly now counts as terminated', async () => {
  const past = fields({ ExpirationTime: '2026-01-01T00:00:00Z', TerminationTime: '2026-02-01T00:00:00Z' });
  await refused(verifyLicense(await sign(trusted, past), keys, opts), 'terminated', /terminated at 2026-02-01T00:00:00Z/);
  const atNow = fields({ ExpirationTime: '2026-01-01T00:00:00Z', TerminationTime: '2026-03-01T12:00:00Z' });
  await refused(verifyLicense(await sign(trusted, atNow), keys, opts), 'terminated', /terminated/);
  const justAfter = fields({ TerminationTime: '2026-03-01T12:00:00.000000001Z' });
  assert.equal((await verifyLicense(await sign(trusted, justAfter), keys, opts)).TerminationTime, '2026-03-01T12:00:00.000000001Z');
});

test('terminated is judged against opts.now, not the clock', async () => {
  const blob = await sign(trusted, fields());
  await refused(verifyLicense(blob, keys, { now: new Date('2030-01-01T00:00:00Z') }), 'terminated', /terminated/);
});

// ---------------------------------------------------------------- force rules

const CURRENT = stored(fields({ LicenseID: 'current', IssueTime: '2026-02-10T00:00:00Z' }));

test('a license issued before the current one needs force, and the message says how', async () => {
  const older = await sign(trusted, fields({ IssueTime: '2026-02-09T23:59:59.999999999Z' }));
  await refused(verifyLicense(older, keys, { now: NOW, current: CURRENT }), 'older',
    /issued at 2026-02-09T23:59:59\.999999999Z, before the current license \(current, issued at 2026-02-10T00:00:00Z\); use -force \(\?force=true\)/);
  await refused(verifyLicense(older, keys, { now: NOW, current: CURRENT, force: false }), 'older', /-force/);
  assert.equal((await verifyLicense(older, keys, { now: NOW, current: CURRENT, force: true })).IssueTime, '2026-02-09T23:59:59.999999999Z');
});

test('compares instants, not text: an offset time that is later is accepted', async () => {
  // Textually smaller, but 2026-02-10T01:00:00Z as an instant.
  const blob = await sign(trusted, fields({ IssueTime: '2026-02-09T20:00:00-05:00' }));
  assert.equal((await verifyLicense(blob, keys, { now: NOW, current: CURRENT })).IssueTime, '2026-02-09T20:00:00-05:00');
});

test('the same or a newer IssueTime needs no force; neither does a first license', async () => {
  for (const issued of ['2026-02-10T00:00:00Z', '2026-02-20T00:00:00Z']) {
    const blob = await sign(trusted, fields({ IssueTime: issued }));
    assert.equal((await verifyLicense(blob, keys, { now: NOW, current: CURRENT })).IssueTime, issued);
  }
  assert.ok(await verifyLicense(await sign(trusted, fields()), keys, { now: NOW, current: null }));
});

test('the bootstrap temporary license is replaced without force by a license issued earlier', async () => {
  const temp = stored(temporaryLicense(NOW), '');
  const blob = await sign(trusted, fields({ IssueTime: '2025-01-01T00:00:00Z' }));
  assert.equal((await verifyLicense(blob, keys, { now: NOW, current: temp })).IssueTime, '2025-01-01T00:00:00Z');
  // A signed license that merely reuses the ID is not a placeholder.
  const signedTemp = stored({ ...temporaryLicense(NOW), LicenseID: 'temporary-license' }, 'a.b.c');
  await refused(verifyLicense(blob, keys, { now: NOW, current: signedTemp }), 'older', /-force/);
});
