// The JWS payload must be the License object. Shape checks are the FSM's own reader, so
// whatever passes here is also what the setLicense command accepts; on top of that the
// times must be real RFC 3339 times and the license must have an ID.

import { ShapeError, type LicenseFields } from '../fsm/index.ts';
import { readLicenseFields } from '../fsm/index.ts';
import { LicenseError } from './errors.ts';
import { parseRfc3339 } from './time.ts';

export const LICENSE_TIME_FIELDS = ['IssueTime', 'StartTime', 'ExpirationTime', 'TerminationTime'] as const;
export type LicenseTimeField = (typeof LICENSE_TIME_FIELDS)[number];

const AT = 'license payload';

export function readLicensePayload(payload: Uint8Array): LicenseFields {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new LicenseError('payload', `invalid license: the ${AT} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LicenseError('payload', `invalid license: the ${AT} must be a JSON object`);
  }
  // Nomad's own sample omits NonProduction; absent means a production license.
  const o = value as Record<string, unknown>;
  const withDefaults = { ...o, NonProduction: o.NonProduction ?? false };
  let fields: LicenseFields;
  try {
    fields = readLicenseFields(withDefaults, AT);
  } catch (e) {
    if (e instanceof ShapeError) throw new LicenseError('payload', `invalid license: ${e.message}`);
    throw e;
  }
  if (fields.LicenseID === '') throw new LicenseError('payload', `invalid license: ${AT}.LicenseID must not be empty`);
  for (const key of LICENSE_TIME_FIELDS) {
    if (parseRfc3339(fields[key]) === null) {
      throw new LicenseError('payload', `invalid license: ${AT}.${key} must be an RFC 3339 time, got ${JSON.stringify(fields[key])}`);
    }
  }
  return fields;
}

/** Unix nanoseconds of a time field already checked by readLicensePayload. */
export function licenseTime(fields: LicenseFields, key: LicenseTimeField): bigint {
  const ns = parseRfc3339(fields[key]);
  if (ns === null) throw new LicenseError('payload', `invalid license: ${key} is not an RFC 3339 time`);
  return ns;
}
