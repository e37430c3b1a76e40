// Keys and blobs for license tests, made with jose directly (not src/license/sign.ts), so
// the verifier is checked against an independent signer.
import assert from 'node:assert/strict';
import { CompactSign, calculateJwkThumbprint, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { LicenseFields, StoredLicense } from '../../src/fsm/index.ts';
import { LicenseError, type LicenseErrorReason } from '../../src/license/index.ts';

export const NOW = new Date('2026-03-01T12:00:00Z');

export interface TestKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** SPKI PEM, as in license_public_keys. */
  pem: string;
  /** Base64 of the DER SPKI. */
  base64: string;
  kid: string;
}

export async function makeKey(): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const pem = await exportSPKI(publicKey);
  const base64 = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  return { privateKey, publicKey, pem, base64, kid: await calculateJwkThumbprint(await exportJWK(publicKey)) };
}

export function fields(over: Partial<LicenseFields> = {}): LicenseFields {
  return {
    LicenseID: 'lic-2026',
    CustomerID: 'cust-1',
    InstallationID: '*',
    IssueTime: '2026-02-01T00:00:00Z',
    StartTime: '2026-02-01T00:00:00Z',
    ExpirationTime: '2027-02-01T00:00:00Z',
    TerminationTime: '2027-03-01T00:00:00Z',
    NonProduction: false,
    Product: 'nomad',
    Flags: { modules: ['governance-policy'] },
    Modules: ['governance-policy'],
    Features: ['Namespaces'],
    ...over,
  };
}

/** A compact JWS over any payload; header defaults to EdDSA with the key's kid. */
export async function sign(key: TestKey, payload: unknown, header: Record<string, unknown> = {}): Promise<string> {
  const bytes = new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return new CompactSign(bytes).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, ...header } as { alg: string }).sign(key.privateKey);
}

export function stored(license: LicenseFields, blob = 'x.y.z'): StoredLicense {
  return { Blob: blob, License: license, CreateIndex: 5, ModifyIndex: 5 };
}

/** Asserts the promise rejects with a LicenseError of this reason whose message matches. */
export async function refused(p: Promise<unknown>, reason: LicenseErrorReason, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof LicenseError, `expected a LicenseError, got ${String(e)}`);
    assert.equal(e.reason, reason, `reason (message: ${e.message})`);
    assert.match(e.message, message);
    return true;
  });
}
