// A fake ACL state (the two lookups resolveToken reads) and token/policy builders.
import { randomUUID } from 'node:crypto';
import type { AclPolicy, AclToken, AclTokenType } from '../../src/fsm/types.ts';
import { Acl, parsePolicy, type AclStateReader } from '../../src/acl/index.ts';

export class FakeState implements AclStateReader {
  readonly policies = new Map<string, AclPolicy>();
  readonly tokens = new Map<string, AclToken>();

  policy(name: string, rules: string): this {
    this.policies.set(name, { Name: name, Description: '', Rules: rules, JobACL: null, Hash: '', CreateIndex: 1, ModifyIndex: 1 });
    return this;
  }

  /** Adds a token and returns its secret. */
  token(type: AclTokenType, policies: string[] | null, extra: Partial<AclToken> = {}): string {
    const t: AclToken = {
      ExpirationTTL: 0, AccessorID: randomUUID(), SecretID: randomUUID(), Name: 't', Type: type,
      Policies: policies, Roles: null, Global: false, Hash: '', CreateTime: '2024-01-01T00:00:00Z',
      ExpirationTime: null, CreateIndex: 1, ModifyIndex: 1, ...extra,
    };
    this.tokens.set(t.SecretID, t);
    return t.SecretID;
  }

  aclTokenBySecret(secretId: string): AclToken | null {
    return this.tokens.get(secretId) ?? null;
  }

  aclPolicy(name: string): AclPolicy | null {
    return this.policies.get(name) ?? null;
  }
}

/** The ACL of a token holding these policies (each an HCL/JSON Rules text). */
export function aclOf(...rules: string[]): Acl {
  return Acl.fromPolicies(rules.map((r) => parsePolicy(r)));
}
