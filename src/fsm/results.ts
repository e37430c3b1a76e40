// What apply hands back to the proposer. Failures are values, not exceptions: a
// committed entry that cannot apply must not stop the node.

import type { CommandType } from './commands.ts';
import type { AclPolicy, AclToken, ClusterMetadata, StoredLicense, Variable } from './types.ts';

/** What a CAS conflict on a variable that does not exist reports (Part A §23). */
export interface VariableStub {
  Namespace: string;
  Path: string;
}

export type ApplySuccess =
  | { ok: true; type: 'seedDefaults'; seededScheduler: boolean; seededAutopilot: boolean }
  | { ok: true; type: 'setClusterMetadata'; created: boolean; metadata: ClusterMetadata }
  /** updated: true for a write without cas; for a CAS write, whether it applied (§1.5, §1.8). */
  | { ok: true; type: 'setSchedulerConfig'; updated: boolean }
  | { ok: true; type: 'setAutopilotConfig'; updated: boolean }
  | { ok: true; type: 'setLicense'; license: StoredLicense }
  | { ok: true; type: 'aclBootstrap'; token: AclToken }
  | { ok: true; type: 'upsertAclPolicies'; policies: AclPolicy[] }
  | { ok: true; type: 'deleteAclPolicies' }
  | { ok: true; type: 'upsertAclTokens'; tokens: AclToken[] }
  | { ok: true; type: 'deleteAclTokens' }
  | { ok: true; type: 'upsertVariable'; variable: Variable }
  | { ok: true; type: 'deleteVariable' }
  | { ok: true; type: 'restoreState' };

/**
 * code:
 * - `decode`: the entry is not a command this opraft understands (a proposer bug or a newer opraft);
 * - `invalid`: the command breaks a rule (HTTP 400);
 * - `not-found`: it names something that does not exist;
 * - `conflict`: a variable CAS did not match; `conflict` holds the current variable (HTTP 409).
 */
export type ApplyFailure =
  | { ok: false; type: 'upsertVariable' | 'deleteVariable'; code: 'conflict'; error: string; conflict: Variable | VariableStub }
  | { ok: false; type: CommandType | null; code: 'decode' | 'invalid' | 'not-found'; error: string };

export type ApplyResult = ApplySuccess | ApplyFailure;
