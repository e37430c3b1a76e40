// The one error verification throws: the HTTP layer answers 400 with its message, and
// `reason` lets callers and tests tell the cases apart without matching text.

export type LicenseErrorReason =
  | 'no-keys' // server { license_public_keys } is empty
  | 'malformed' // not a compact JWS
  | 'algorithm' // alg other than EdDSA
  | 'untrusted-key' // the header's kid names none of the trusted keys
  | 'bad-signature' // no trusted key verifies it (tampered, or an untrusted key without kid)
  | 'payload' // payload is not the License object
  | 'product' // Product other than "nomad"
  | 'terminated' // TerminationTime ≤ now
  | 'older'; // IssueTime before the current license's, without force

export class LicenseError extends Error {
  readonly reason: LicenseErrorReason;
  constructor(reason: LicenseErrorReason, message: string) {
    super(message);
    this.name = 'LicenseError';
    this.reason = reason;
  }
}
