/**
 * `server { license_public_keys = [...] }` (Part A §14): Ed25519 public keys
 * that license blobs are verified against, written as PEM or as base64 of the
 * DER SubjectPublicKeyInfo. Checked at start-up so a wrong key fails early
 * instead of at the first `license put`.
 */
import { createPublicKey } from 'node:crypto';
import type { Check } from './values.ts';

export function checkLicensePublicKey(text: string): Check<string> {
  const trimmed = text.trim();
  let keyType: string | undefined;
  try {
    const key = trimmed.startsWith('-----BEGIN')
      ? createPublicKey(trimmed)
      : createPublicKey({ key: Buffer.from(strictBase64(trimmed), 'base64'), format: 'der', type: 'spki' });
    keyType = key.asymmetricKeyType;
  } catch (err) {
    return { ok: false, problem: `not a public key in PEM or base64 SPKI form (${(err as Error).message})` };
  }
  if (keyType !== 'ed25519') return { ok: false, problem: `expected an Ed25519 public key, got a ${keyType ?? 'unknown'} key` };
  return { ok: true, value: trimmed };
}

function strictBase64(text: string): string {
  const compact = text.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw new Error('the text is not base64');
  return compact;
}
