// A request's secret to the identity it acts as (spec §6.1). Reads the replicated ACL state
// through a narrow interface (the Fsm satisfies it) so this stays free of I/O.
import type { AclPolicy, AclToken } from '../fsm/types.ts';
import { Acl } from './acl.ts';
import { PermissionDeniedError, PolicyError } from './errors.ts';
import { isExpired } from './expiry.ts';
import { parsePolicyCached } from './policy-cache.ts';
import type { PolicyRules } from './rules.ts';

/** The lookups resolution needs; `Fsm` has both. */
export interface AclStateReader {
  aclTokenBySecret(secretId: string): AclToken | null;
  aclPolicy(name: string): AclPolicy | null;
}

export interface ResolveDeps {
  /** The agent's `acl { enabled }`. */
  enabled: boolean;
  state: AclStateReader;
  /** Milliseconds since the epoch; Date.now by default. */
  now?: () => number;
}

export type IdentityKind = 'acl-disabled' | 'anonymous' | 'management' | 'client';

export interface Identity {
  kind: IdentityKind;
  acl: Acl;
  /** The ACL token behind the identity; null for the virtual ones (disabled, anonymous). */
  token: AclToken | null;
  /** Names of the policies that were found and applied (for anonymous: ["anonymous"] when it exists). */
  policies: string[];
}

/** The policy an operator may create to govern requests without a token. */
export const ANONYMOUS_POLICY = 'anonymous';

/** Nomad's helper.IsUUID. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Resolves a secret. Throws PermissionDeniedError (message ends `Permission denied`) for a
 * secret that is not a UUID, unknown or expired. A stored policy that no longer parses
 * throws a PolicyError rather than being skipped: skipping it could drop a deny.
 */
export function resolveToken(secret: string | undefined, deps: ResolveDeps): Identity {
  if (!deps.enabled) return { kind: 'acl-disabled', acl: Acl.allowAll(), token: null, policies: [] };
  if (secret === undefined || secret === '') return anonymous(deps.state);
  // Nomad would try a non-UUID as a workload-identity JWT; opraft has none to accept.
  if (!UUID.test(secret)) throw new PermissionDeniedError('not-uuid');
  const token = deps.state.aclTokenBySecret(secret);
  if (token === null) throw new PermissionDeniedError('not-found');
  if (isExpired(token.ExpirationTime, (deps.now ?? Date.now)())) throw new PermissionDeniedError('expired');
  if (token.Type === 'management') return { kind: 'management', acl: Acl.management(), token, policies: [] };
  const { names, rules } = loadPolicies(token.Policies ?? [], deps.state);
  return { kind: 'client', acl: Acl.fromPolicies(rules), token, policies: names };
}

function anonymous(state: AclStateReader): Identity {
  const { names, rules } = loadPolicies([ANONYMOUS_POLICY], state);
  return { kind: 'anonymous', acl: Acl.fromPolicies(rules), token: null, policies: names };
}

/** The named policies that exist, parsed; missing ones are skipped (Nomad does the same). */
function loadPolicies(names: readonly string[], state: AclStateReader): { names: string[]; rules: PolicyRules[] } {
  const found: string[] = [];
  const rules: PolicyRules[] = [];
  for (const name of new Set(names)) {
    const policy = state.aclPolicy(name);
    if (policy === null) continue;
    try {
      rules.push(parsePolicyCached(policy.Rules));
    } catch (e) {
      throw new PolicyError(`failed to parse ACL policy "${name}": ${(e as Error).message}`);
    }
    found.push(name);
  }
  return { names: found, rules };
}
