// license_public_keys parsing: PEM and base64 SPKI accepted; every bad entry is named by position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { LicenseKeyError, loadPublicKeys } from '../../src/license/index.ts';
import { makeKey } from './helpers.ts';

test('PEM and base64 SPKI both load, with positions and kids (JWK thumbprints)', async () => {
  const a = await makeKey();
  const b = await makeKey();
  const keys = await loadPublicKeys([a.pem, `  ${b.base64}\n`]);
  assert.deepEqual(keys.map((k) => [k.index, k.kid]), [[0, a.kid], [1, b.kid]]);
  assert.equal(keys[0]!.key.asymmetricKeyType, 'ed25519');
});

test('base64 split over lines (as a heredoc would hold it) loads', async () => {
  const a = await makeKey();
  const wrapped = `${a.base64.slice(0, 20)}\n${a.base64.slice(20)}`;
  const [k] = await loadPublicKeys([wrapped]);
  assert.equal(k!.kid, a.kid);
});

test('no keys gives an empty list (verifyLicense then refuses everything)', async () => {
  assert.deepEqual(await loadPublicKeys([]), []);
});

const rsaPem = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const rsaB64 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const ed = generateKeyPairSync('ed25519');
const edPrivatePem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const rawEd = (ed.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).subarray(12).toString('base64');

const BAD: Array<[string, string, RegExp]> = [
  ['empty entry', '   ', /the key is empty/],
  ['RSA PEM', rsaPem, /not an Ed25519 public key \(it is a rsa key\)/],
  ['EC key as base64', rsaB64, /not an Ed25519 public key \(it is a ec key\)/],
  ['private key PEM', edPrivatePem, /this is a private key; give the public key/],
  ['certificate PEM', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', /expected a "BEGIN PUBLIC KEY" \(SPKI\) block, got "BEGIN CERTIFICATE"/],
  ['mismatched PEM lines', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PRIVATE KEY-----', /not a well-formed PEM block/],
  ['PEM with garbage body', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', /does not hold a valid SPKI public key/],
  ['not base64 at all', 'hello world!', /neither a PEM block nor base64/],
  ['base64 of garbage', Buffer.from('not a key at all, really').toString('base64'), /does not decode to a DER SPKI/],
  ['raw 32-byte Ed25519 key', rawEd, /32 bytes is a raw Ed25519 key/],
];

for (const [name, text, message] of BAD) {
  test(`a bad key is refused naming its position: ${name}`, async () => {
    const good = (await makeKey()).pem;
    await assert.rejects(loadPublicKeys([good, text]), (e: unknown) => {
      assert.ok(e instanceof LicenseKeyError, String(e));
      assert.match(e.message, /^server\.license_public_keys\[1\]: /);
      assert.match(e.message, message);
      return true;
    });
  });
}
