// The license a cluster writes when it bootstraps without one (Part A §14): valid for six
// hours, shaped like the sample response of Nomad's license API docs (v1.0).

import type { LicenseFields, StoredLicense } from '../fsm/index.ts';
import { formatRfc3339 } from './time.ts';

export const TEMPORARY_LICENSE_ID = 'temporary-license';
export const TEMPORARY_LICENSE_CUSTOMER = 'temporary license customer';
export const TEMPORARY_LICENSE_DURATION_MS = 6 * 60 * 60 * 1000;

/** As in the docs' sample, spelling included ("Setinel"), so scripts matching it keep working. */
export const TEMPORARY_LICENSE_FEATURES: readonly string[] = [
  'Automated Upgrades',
  'Enhanced Read Scalability',
  'Redundancy Zones',
  'Namespaces',
  'Resource Quotas',
  'Preemption',
  'Audit Logging',
  'Setinel Policies',
];
export const TEMPORARY_LICENSE_MODULES: readonly string[] = ['governance-policy'];

export function temporaryLicense(now: Date): LicenseFields {
  const issued = formatRfc3339(now);
  const ends = formatRfc3339(new Date(now.getTime() + TEMPORARY_LICENSE_DURATION_MS));
  return {
    LicenseID: TEMPORARY_LICENSE_ID,
    CustomerID: TEMPORARY_LICENSE_CUSTOMER,
    InstallationID: '*',
    IssueTime: issued,
    StartTime: issued,
    ExpirationTime: ends,
    TerminationTime: ends,
    NonProduction: false,
    Product: 'nomad',
    Flags: { modules: [...TEMPORARY_LICENSE_MODULES] },
    Modules: [...TEMPORARY_LICENSE_MODULES],
    Features: [...TEMPORARY_LICENSE_FEATURES],
  };
}

/** The stored temporary license has no blob (nothing signed it). */
export function isTemporaryLicense(stored: StoredLicense): boolean {
  return stored.Blob === '' && stored.License.LicenseID === TEMPORARY_LICENSE_ID;
}
