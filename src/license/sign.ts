// Making licenses: for scripts/license-dev.ts and for tests elsewhere that need a license
// the server accepts. Production licenses are not made here.

import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import type { LicenseFields } from '../fsm/index.ts';
import { LICENSE_ALG } from './jws.ts';
import { keyId } from './keys.ts';

export interface LicenseKeyPair {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** SPKI PEM: what goes into server { license_public_keys }. */
  publicKeyPem: string;
}

export function generateLicenseKeyPair(): LicenseKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A compact JWS over the fields, EdDSA, with the key's thumbprint as kid. */
export async function signLicense(fields: LicenseFields, privateKey: string | KeyObject): Promise<string> {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`license keys are Ed25519; this is a ${key.asymmetricKeyType} key`);
  const payload = new TextEncoder().encode(JSON.stringify(fields));
  const kid = await keyId(createPublicKey(key));
  return new CompactSign(payload).setProtectedHeader({ alg: LICENSE_ALG, kid }).sign(key);
}
