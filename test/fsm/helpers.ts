// Builders for FSM tests: valid command payloads and a small driver that applies
// commands at increasing log indexes.
import assert from 'node:assert/strict';
import { Fsm, defaultAutopilotFields, defaultSchedulerFields, encodeCommand } from '../../src/fsm/index.ts';
import type { AclTokenFields, ApplyResult, Command, LicenseFields } from '../../src/fsm/index.ts';

export const CLUSTER_ID = '0f8e6a7c-1b2d-4c3e-9f10-112233445566';

export function token(n: number, over: Partial<AclTokenFields> = {}): AclTokenFields {
  const hex = n.toString(16).padStart(12, '0');
  return {
    ExpirationTTL: 0,
    AccessorID: `aaaaaaaa-0000-4000-8000-${hex}`,
    SecretID: `bbbbbbbb-0000-4000-8000-${hex}`,
    Name: `token ${n}`,
    Type: 'client',
    Policies: ['readonly'],
    Roles: null,
    Global: false,
    Hash: '',
    CreateTime: '2026-01-01T10:00:00.000000001Z',
    ExpirationTime: null,
    ...over,
  };
}

export function license(over: Partial<LicenseFields> = {}): LicenseFields {
  return {
    LicenseID: 'lic-1',
    CustomerID: 'cust-1',
    InstallationID: '*',
    IssueTime: '2026-01-01T00:00:00Z',
    StartTime: '2026-01-01T00:00:00Z',
    ExpirationTime: '2027-01-01T00:00:00Z',
    TerminationTime: '2027-01-01T00:00:00Z',
    NonProduction: false,
    Product: 'nomad',
    Flags: { z: 1, a: { y: true, b: 'x' } },
    Modules: ['governance-policy'],
    Features: null,
    ...over,
  };
}

export const seed = (): Command => ({ type: 'seedDefaults', scheduler: defaultSchedulerFields(), autopilot: defaultAutopilotFields() });

/** Applies commands at index 1, 2, 3… */
export class Driver {
  index = 0;
  constructor(readonly fsm: Fsm = new Fsm({ producer: 'opraft test' })) {}
  run(cmd: Command): ApplyResult {
    return this.fsm.apply(++this.index, encodeCommand(cmd));
  }
  raw(data: Uint8Array): ApplyResult {
    return this.fsm.apply(++this.index, data);
  }
}

/** A little of everything, so snapshots have every record type. */
export function populate(d: Driver): void {
  d.run(seed());
  d.run({ type: 'setClusterMetadata', clusterId: CLUSTER_ID, createTime: 1_767_261_600_000_000_123n });
  d.run({ type: 'setLicense', blob: 'eyJ.a.b', license: license() });
  d.run({ type: 'aclBootstrap', token: token(1, { Type: 'management', Policies: null, Name: 'Bootstrap Token', Global: true }), resetIndex: 0 });
  d.run({ type: 'upsertAclPolicies', policies: [{ Name: 'readonly', Description: 'ro', Rules: 'operator { policy = "read" }', JobACL: null, Hash: 'h' }] });
  d.run({ type: 'upsertAclTokens', tokens: [token(2), token(3)] });
  d.run({ type: 'upsertVariable', path: 'app/db', items: { user: 'u', pass: 'p' }, time: 1_767_261_600_000_000_999n });
  d.run({ type: 'upsertVariable', path: 'app/web', items: { port: '80' }, time: 5n });
}

/** Byte equality (deepEqual would also compare properties msgpackr hangs on buffers it read). */
export function sameBytes(a: Uint8Array, b: Uint8Array, msg?: string): void {
  assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b), msg ?? 'byte arrays differ');
}
