// Whether a license is still good, for `license get` (§7.13): "valid" or "expired!", and
// the row labels that change once a time has passed. Expiry only reports: nothing stops.

import type { LicenseFields } from '../fsm/index.ts';
import { dateNs, parseRfc3339 } from './time.ts';

export interface LicenseStatus {
  /** ExpirationTime ≤ now. */
  expired: boolean;
  /** TerminationTime ≤ now. */
  terminated: boolean;
  /** The `License Status` row; `license get` exits 1 when it is "expired!". */
  status: 'valid' | 'expired!';
  expirationLabel: 'Expires At' | 'Expired At';
  terminationLabel: 'Terminates At' | 'Terminated At';
}

export function licenseStatus(license: LicenseFields, now: Date): LicenseStatus {
  const t = dateNs(now);
  const passed = (time: string): boolean => {
    const ns = parseRfc3339(time);
    return ns !== null && ns <= t;
  };
  const terminated = passed(license.TerminationTime);
  const expired = passed(license.ExpirationTime);
  return {
    expired,
    terminated,
    // A terminated license is past its use even if its expiry was written later.
    status: expired || terminated ? 'expired!' : 'valid',
    expirationLabel: expired ? 'Expired At' : 'Expires At',
    terminationLabel: terminated ? 'Terminated At' : 'Terminates At',
  };
}
