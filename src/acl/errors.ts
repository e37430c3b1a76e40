// The two ways this module refuses: a policy that does not parse, and an identity that
// cannot be established. The HTTP layer maps the second to 403 by its message's ending
// (spec §0.1 error encoding, rule 3), so the message must end with `Permission denied`.

/** A policy's Rules are not valid; the message names what is wrong (Nomad's wording where it has one). */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/** Why a secret did not resolve; kept for logs and tests, never shown to the caller. */
export type DenyReason = 'not-found' | 'not-uuid' | 'expired';

const DETAIL: Record<DenyReason, string> = {
  'not-found': 'ACL token not found',
  'not-uuid': 'ACL token is invalid',
  expired: 'ACL token expired',
};

/** Every authentication failure (§6.1): Nomad's operator endpoints collapse them all to 403. */
export class PermissionDeniedError extends Error {
  override readonly name = 'PermissionDeniedError';
  constructor(readonly reason: DenyReason) {
    super(`${DETAIL[reason]}: Permission denied`);
  }
}
