// The replicated state machine the Raft node drives: apply committed commands, write and
// read state.bin, and answer reads with copies in the API's shapes.

import type { StateMachine } from '../node/ports.ts';
import { applyCommand } from './apply.ts';
import { RuleError, decodeCommand } from './commands.ts';
import type { ApplyResult } from './results.ts';
import { decodeState, encodeState, inspectState, type InspectResult } from './snapshot.ts';
import { copy, emptyState, sortedKeys, type FsmState } from './state.ts';
import type {
  AclPolicy,
  AclToken,
  AutopilotConfig,
  ClusterMetadata,
  SchedulerConfig,
  StoredLicense,
  TableName,
  Variable,
  VariableMetadata,
} from './types.ts';

export interface FsmOptions {
  /** The header's Producer, e.g. `opraft 0.1.0`. */
  producer?: string;
}

export class Fsm implements StateMachine<ApplyResult> {
  private state: FsmState = emptyState();
  private readonly producer: string;

  constructor(opts: FsmOptions = {}) {
    this.producer = opts.producer ?? 'opraft';
  }

  /** Applies one committed entry. Never throws; a refused command changes nothing. */
  apply(index: number, data: Uint8Array): ApplyResult {
    if (!Number.isSafeInteger(index) || index <= 0) {
      return { ok: false, type: null, code: 'invalid', error: `log index must be a positive integer, got ${String(index)}` };
    }
    let cmd;
    try {
      cmd = decodeCommand(data);
    } catch (e) {
      const code = e instanceof RuleError ? 'invalid' : 'decode';
      return { ok: false, type: null, code, error: e instanceof Error ? e.message : String(e) };
    }
    try {
      return applyCommand(this.state, index, cmd);
    } catch (e) {
      // Apply checks before it writes, so reaching here means a bug, not a half-done write.
      return { ok: false, type: cmd.type, code: 'invalid', error: `internal error applying ${cmd.type}: ${(e as Error).message}` };
    }
  }

  /** The whole state as state.bin bytes (Part A §10). */
  snapshot(): Uint8Array {
    return encodeState(this.state, this.producer);
  }

  /** Replaces the state with a state.bin; checks every record first, so a refusal changes nothing. */
  restore(data: Uint8Array): void {
    this.state = decodeState(data).state;
  }

  /** Record types (by name) with counts and sizes, for `snapshot inspect`; throws as restore would. */
  static inspect(stateBin: Uint8Array): InspectResult {
    return inspectState(stateBin);
  }

  // ------------------------------------------------------------------ reads (copies)

  schedulerConfig(): SchedulerConfig | null {
    return copy(this.state.scheduler);
  }

  autopilotConfig(): AutopilotConfig | null {
    return copy(this.state.autopilot);
  }

  license(): StoredLicense | null {
    return copy(this.state.license);
  }

  clusterMetadata(): ClusterMetadata | null {
    return copy(this.state.cluster);
  }

  /** The index an operator writes into `acl-bootstrap-reset`; 0 before the first bootstrap. */
  aclBootstrapIndex(): number {
    return this.state.bootstrap?.BootstrapIndex ?? 0;
  }

  aclPolicy(name: string): AclPolicy | null {
    return copy(this.state.policies.get(name) ?? null);
  }

  /** All policies, by name. */
  aclPolicies(): AclPolicy[] {
    return sortedKeys(this.state.policies).map((k) => copy(this.state.policies.get(k)!));
  }

  aclTokenByAccessor(accessorId: string): AclToken | null {
    return copy(this.state.tokens.get(accessorId) ?? null);
  }

  aclTokenBySecret(secretId: string): AclToken | null {
    const accessor = this.state.secrets.get(secretId);
    return accessor === undefined ? null : this.aclTokenByAccessor(accessor);
  }

  /** All tokens, by AccessorID; `prefix` filters on AccessorID as Nomad's `?prefix` does. */
  aclTokens(prefix = ''): AclToken[] {
    return sortedKeys(this.state.tokens)
      .filter((k) => k.startsWith(prefix))
      .map((k) => copy(this.state.tokens.get(k)!));
  }

  variable(path: string): Variable | null {
    return copy(this.state.variables.get(path) ?? null);
  }

  /** Metadata (no Items) of the variables whose path starts with `prefix`, by path. */
  listVariables(prefix = ''): VariableMetadata[] {
    return sortedKeys(this.state.variables)
      .filter((p) => p.startsWith(prefix))
      .map((p) => {
        const v = this.state.variables.get(p)!;
        return { Namespace: v.Namespace, Path: v.Path, CreateIndex: v.CreateIndex, CreateTime: v.CreateTime, ModifyIndex: v.ModifyIndex, ModifyTime: v.ModifyTime };
      });
  }

  /** The latest index that wrote `table` (0 if none), or the latest over all tables. */
  latestIndex(table?: TableName): number {
    if (table !== undefined) return this.state.indexes.get(table) ?? 0;
    let max = 0;
    for (const v of this.state.indexes.values()) max = Math.max(max, v);
    return max;
  }
}
