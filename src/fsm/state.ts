// The replicated state itself: plain tables keyed the way Nomad keys them. Nothing here
// decides rules; apply.ts changes it, snapshot.ts writes and reads it.

import type {
  AclBootstrap,
  AclPolicy,
  AclToken,
  AutopilotConfig,
  ClusterMetadata,
  SchedulerConfig,
  StoredLicense,
  TableName,
  Variable,
} from './types.ts';

export interface FsmState {
  scheduler: SchedulerConfig | null;
  autopilot: AutopilotConfig | null;
  license: StoredLicense | null;
  cluster: ClusterMetadata | null;
  bootstrap: AclBootstrap | null;
  /** By Name. */
  policies: Map<string, AclPolicy>;
  /** By AccessorID. */
  tokens: Map<string, AclToken>;
  /** SecretID → AccessorID; derived from `tokens`, never written to state.bin. */
  secrets: Map<string, string>;
  /** By Path (namespace `default` only, Part A §23). */
  variables: Map<string, Variable>;
  /** The Index table (record type 2): latest Raft index that wrote each table. */
  indexes: Map<string, number>;
}

export function emptyState(): FsmState {
  return {
    scheduler: null,
    autopilot: null,
    license: null,
    cluster: null,
    bootstrap: null,
    policies: new Map(),
    tokens: new Map(),
    secrets: new Map(),
    variables: new Map(),
    indexes: new Map(),
  };
}

export function bumpIndex(state: FsmState, table: TableName, index: number): void {
  // Never move a table's index backwards (a restore may have left a later one).
  if ((state.indexes.get(table) ?? 0) < index) state.indexes.set(table, index);
}

/** Keys in a stable (code unit) order, so every node lists and writes the same sequence. */
export function sortedKeys<V>(m: Map<string, V>): string[] {
  return [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A copy for a caller, so nothing outside the FSM can change what it holds. */
export function copy<T>(v: T): T {
  return structuredClone(v);
}
