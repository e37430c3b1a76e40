// Trusted license keys from `server { license_public_keys = [...] }`: Ed25519 public keys
// as PEM (SPKI) or as base64 of the DER SPKI. A bad entry stops start-up, so the message
// names the entry and what is wrong with it.

import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';

export interface TrustedKey {
  /** Position in license_public_keys, for messages. */
  index: number;
  key: KeyObject;
  /** RFC 7638 JWK thumbprint (SHA-256); signed licenses carry it as their `kid`. */
  kid: string;
}

export class LicenseKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LicenseKeyError';
  }
}

const PEM = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?\r?\n?-----END \1-----\s*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export async function loadPublicKeys(keys: readonly string[]): Promise<TrustedKey[]> {
  const out: TrustedKey[] = [];
  for (const [index, text] of keys.entries()) {
    const key = parseOne(text, `server.license_public_keys[${index}]`);
    out.push({ index, key, kid: await keyId(key) });
  }
  return out;
}

/** The kid a license signed by this key carries. */
export async function keyId(publicKey: KeyObject): Promise<string> {
  return calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string });
}

function parseOne(raw: string, at: string): KeyObject {
  const text = raw.trim();
  if (text === '') throw new LicenseKeyError(`${at}: the key is empty`);
  const key = text.startsWith('-----BEGIN') ? fromPem(text, at) : fromBase64(text, at);
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new LicenseKeyError(`${at}: not an Ed25519 public key (it is a ${key.asymmetricKeyType ?? 'unknown'} key)`);
  }
  return key;
}

function fromPem(text: string, at: string): KeyObject {
  const m = PEM.exec(text);
  if (!m) throw new LicenseKeyError(`${at}: not a well-formed PEM block (BEGIN/END lines do not match)`);
  // createPublicKey would quietly derive the public half of a private key: refuse it, so a
  // private key never sits in agent config unnoticed.
  if (m[1]!.includes('PRIVATE')) throw new LicenseKeyError(`${at}: this is a private key; give the public key (BEGIN PUBLIC KEY)`);
  if (m[1] !== 'PUBLIC KEY') throw new LicenseKeyError(`${at}: expected a "BEGIN PUBLIC KEY" (SPKI) block, got "BEGIN ${m[1]}"`);
  try {
    return createPublicKey({ key: text, format: 'pem' });
  } catch (e) {
    throw new LicenseKeyError(`${at}: the PEM does not hold a valid SPKI public key (${(e as Error).message})`);
  }
}

function fromBase64(text: string, at: string): KeyObject {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new LicenseKeyError(`${at}: neither a PEM block nor base64 of a DER SPKI key`);
  const der = Buffer.from(compact, 'base64');
  if (der.length === 32) {
    throw new LicenseKeyError(`${at}: 32 bytes is a raw Ed25519 key; give the DER SPKI (44 bytes) or a PEM block`);
  }
  try {
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (e) {
    throw new LicenseKeyError(`${at}: the base64 does not decode to a DER SPKI public key (${(e as Error).message})`);
  }
}
