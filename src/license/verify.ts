// verifyLicense: from a PUT body to License fields, or a LicenseError whose message the
// HTTP layer returns with 400. Order: keys configured → envelope → signature → payload →
// product → termination → not older than the current license.

import { compactVerify } from 'jose';
import type { LicenseFields, StoredLicense } from '../fsm/index.ts';
import { LicenseError } from './errors.ts';
import { LICENSE_ALG, readCompactHeader } from './jws.ts';
import type { TrustedKey } from './keys.ts';
import { licenseTime, readLicensePayload } from './payload.ts';
import { isTemporaryLicense } from './temporary.ts';
import { dateNs, parseRfc3339 } from './time.ts';

export const LICENSE_PRODUCT = 'nomad';

export interface VerifyOptions {
  now: Date;
  /** The license in the replicated state, if any. */
  current?: StoredLicense | null;
  /** `?force=true` / `-force`: allow a license issued before the current one. */
  force?: boolean;
}

export async function verifyLicense(blob: string, keys: readonly TrustedKey[], opts: VerifyOptions): Promise<LicenseFields> {
  if (keys.length === 0) {
    throw new LicenseError('no-keys', 'cannot verify license: server { license_public_keys } is empty in the agent configuration, so no license is trusted');
  }
  // Files end with a newline and `license put -` passes it through.
  const text = blob.trim();
  const header = readCompactHeader(text);
  const fields = readLicensePayload(await verifiedPayload(text, header.kid, keys));
  if (fields.Product !== LICENSE_PRODUCT) {
    throw new LicenseError('product', `invalid license: it is for product "${fields.Product}", not "${LICENSE_PRODUCT}"`);
  }
  const now = dateNs(opts.now);
  if (licenseTime(fields, 'TerminationTime') <= now) {
    throw new LicenseError('terminated', `invalid license: it was terminated at ${fields.TerminationTime}`);
  }
  checkNotOlder(fields, opts.current ?? null, opts.force ?? false);
  return fields;
}

async function verifiedPayload(blob: string, kid: string | undefined, keys: readonly TrustedKey[]): Promise<Uint8Array> {
  // Ed25519 cannot tell "wrong key" from "altered payload"; the signed kid can.
  const named = kid === undefined ? undefined : keys.find((k) => k.kid === kid);
  for (const k of named ? [named] : keys) {
    try {
      return (await compactVerify(blob, k.key, { algorithms: [LICENSE_ALG] })).payload;
    } catch {
      // try the next key
    }
  }
  if (named) {
    throw new LicenseError('bad-signature', `invalid license: signature verification failed for trusted key ${named.kid} (server.license_public_keys[${named.index}]); the license was altered after signing`);
  }
  if (kid !== undefined) {
    throw new LicenseError('untrusted-key', `invalid license: signed by key ${kid}, which is none of the ${keys.length} key(s) in server { license_public_keys }`);
  }
  throw new LicenseError('bad-signature', `invalid license: signature verification failed with all ${keys.length} key(s) in server { license_public_keys }; it was signed by an untrusted key or altered after signing`);
}

function checkNotOlder(fields: LicenseFields, current: StoredLicense | null, force: boolean): void {
  // The bootstrap license is a placeholder: a real license issued before the cluster
  // started must replace it without -force.
  if (force || current === null || isTemporaryLicense(current)) return;
  const currentIssued = parseRfc3339(current.License.IssueTime);
  if (currentIssued === null || licenseTime(fields, 'IssueTime') >= currentIssued) return;
  throw new LicenseError(
    'older',
    `invalid license: it was issued at ${fields.IssueTime}, before the current license (${current.License.LicenseID}, issued at ${current.License.IssueTime}); use -force (?force=true) to apply an older license`,
  );
}
