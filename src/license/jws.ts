// The compact JWS envelope: three base64url parts and a protected header naming EdDSA.
// Checked before any signature work so a wrong blob gets a precise reason.

import { LicenseError } from './errors.ts';

export const LICENSE_ALG = 'EdDSA';

export interface LicenseHeader {
  alg: string;
  kid?: string;
}

// The signature may be empty so that alg "none" gets the algorithm message.
const PART = /^[A-Za-z0-9_-]+$/;
const SIGNATURE = /^[A-Za-z0-9_-]*$/;

export function readCompactHeader(blob: string): LicenseHeader {
  const parts = blob.split('.');
  if (parts.length !== 3 || !PART.test(parts[0]!) || !PART.test(parts[1]!) || !SIGNATURE.test(parts[2]!)) {
    throw new LicenseError('malformed', 'invalid license: not a compact JWS (expected three base64url parts joined by ".")');
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
  } catch {
    throw new LicenseError('malformed', 'invalid license: not a compact JWS (the protected header is not base64url JSON)');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new LicenseError('malformed', 'invalid license: not a compact JWS (the protected header is not a JSON object)');
  }
  const { alg, kid } = header as Record<string, unknown>;
  if (alg !== LICENSE_ALG) {
    const got = typeof alg === 'string' ? `"${alg}"` : 'no alg';
    throw new LicenseError('algorithm', `invalid license: signed with ${got}; licenses must be signed with EdDSA (Ed25519)`);
  }
  return typeof kid === 'string' ? { alg, kid } : { alg };
}
