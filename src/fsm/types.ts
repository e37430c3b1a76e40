// The objects the replicated state holds. Field names are the API's JSON key names
// (nomad-operator-api.md), in the order Nomad emits them, so the HTTP layer can return
// them as they are and state.bin records carry the same names.
//
// Representation choices, so every node stores exactly the same values:
// - Raft indexes are numbers (safe integers).
// - Go durations are integer nanoseconds (numbers); the HTTP layer formats them as Go
//   duration strings ("200ms").
// - Go int64 Unix-nanosecond times (variables, cluster metadata) are bigints: they do not
//   fit in 53 bits.
// - Go time.Time values the API prints as RFC 3339 (license, ACL token times) are kept as
//   the RFC 3339 strings the proposer sent.

/** Nomad's state-store table names; they are the keys of the Index records (type 2). */
export const TABLE = {
  aclPolicy: 'acl_policy',
  aclToken: 'acl_token',
  schedulerConfig: 'scheduler_config',
  clusterMeta: 'cluster_meta',
  variables: 'variables',
  autopilotConfig: 'autopilot-config',
  /** opraft's own table (Nomad ENT keeps the license outside Raft). */
  license: 'license',
} as const;
export type TableName = (typeof TABLE)[keyof typeof TABLE];

/** CreateIndex/ModifyIndex: the Raft index of the entry that created / last modified the object. */
export interface Indexed {
  CreateIndex: number;
  ModifyIndex: number;
}

// ------------------------------------------------------------------ scheduler

export const SCHEDULER_ALGORITHMS = ['binpack', 'spread'] as const;

export interface PreemptionConfig {
  SystemSchedulerEnabled: boolean;
  SysBatchSchedulerEnabled: boolean;
  BatchSchedulerEnabled: boolean;
  ServiceSchedulerEnabled: boolean;
}

/** What a scheduler write carries (the indexes are the FSM's to set). */
export interface SchedulerConfigFields {
  /** "binpack" or "spread"; "" in a command is stored as "binpack" (Nomad canonicalises at apply). */
  SchedulerAlgorithm: string;
  PreemptionConfig: PreemptionConfig;
  MemoryOversubscriptionEnabled: boolean;
  RejectJobRegistration: boolean;
  PauseEvalBroker: boolean;
  /** 0 means "use 100". */
  NodeLimitForFeasibilityChecks: number;
}
export interface SchedulerConfig extends SchedulerConfigFields, Indexed {}

// ------------------------------------------------------------------ autopilot

export interface AutopilotConfigFields {
  /** Nanoseconds. */
  LastContactThreshold: number;
  /** Nanoseconds. */
  ServerStabilizationTime: number;
  CleanupDeadServers: boolean;
  MaxTrailingLogs: number;
  MinQuorum: number;
  EnableRedundancyZones: boolean;
  DisableUpgradeMigration: boolean;
  EnableCustomUpgrades: boolean;
}
export interface AutopilotConfig extends AutopilotConfigFields, Indexed {}

// ------------------------------------------------------------------ license

/** The License object of GET /v1/operator/license (Part A §14). Times are RFC 3339 strings. */
export interface LicenseFields {
  LicenseID: string;
  CustomerID: string;
  InstallationID: string;
  IssueTime: string;
  StartTime: string;
  ExpirationTime: string;
  TerminationTime: string;
  NonProduction: boolean;
  Product: string;
  /** Free-form; stored with its keys sorted. */
  Flags: Record<string, unknown> | null;
  Modules: string[] | null;
  Features: string[] | null;
}

/** The stored license: the blob as it was PUT (verified by the HTTP layer) and its decoded fields. */
export interface StoredLicense extends Indexed {
  /** The compact JWS; "" for the temporary license a cluster writes when it bootstraps without one. */
  Blob: string;
  License: LicenseFields;
}

// ------------------------------------------------------------------ cluster

/** Nomad's ClusterMetadata (record type 14), plus the indexes every opraft object carries. */
export interface ClusterMetadata extends Indexed {
  ClusterID: string;
  /** Unix nanoseconds. */
  CreateTime: bigint;
}

// ------------------------------------------------------------------ ACL

export interface AclJobAcl {
  Namespace: string;
  JobID: string;
  Group: string;
  Task: string;
}

/** A policy as written. `RulesJSON` is not stored: the HTTP layer derives it by parsing `Rules`. */
export interface AclPolicyFields {
  Name: string;
  Description: string;
  Rules: string;
  JobACL: AclJobAcl | null;
  /** Base64 digest computed by the proposer ("" if none). */
  Hash: string;
}
export interface AclPolicy extends AclPolicyFields, Indexed {}

export const ACL_TOKEN_TYPES = ['client', 'management'] as const;
export type AclTokenType = (typeof ACL_TOKEN_TYPES)[number];

export interface AclTokenRoleLink {
  ID: string;
  Name: string;
}

export interface AclTokenFields {
  /** Nanoseconds; 0 = no TTL (the API prints ""). */
  ExpirationTTL: number;
  AccessorID: string;
  SecretID: string;
  Name: string;
  Type: AclTokenType;
  Policies: string[] | null;
  Roles: AclTokenRoleLink[] | null;
  Global: boolean;
  /** Base64 digest computed by the proposer ("" if none). */
  Hash: string;
  /** RFC 3339 with nanoseconds, UTC. */
  CreateTime: string;
  /** RFC 3339, or null when the token never expires. */
  ExpirationTime: string | null;
}
export interface AclToken extends AclTokenFields, Indexed {}

/** The ACL bootstrap state (opraft record type 202). */
export interface AclBootstrap {
  /** Raft index of the last successful bootstrap; the number an operator writes into
   *  `<data_dir>/server/acl-bootstrap-reset` to bootstrap again. */
  BootstrapIndex: number;
}

// ------------------------------------------------------------------ variables

export const VARIABLE_NAMESPACE = 'default';
/** Nomad's `^[a-zA-Z0-9-_~/]{1,128}$`, with the dash escaped so it is plainly a literal. */
export const VARIABLE_PATH_PATTERN = /^[a-zA-Z0-9\-_~/]{1,128}$/;
/** Items larger than this (sum of UTF-8 key and value lengths) are refused. */
export const VARIABLE_ITEMS_MAX_BYTES = 64 * 1024;

export interface VariableMetadata {
  Namespace: string;
  Path: string;
  CreateIndex: number;
  /** Unix nanoseconds. */
  CreateTime: bigint;
  ModifyIndex: number;
  /** Unix nanoseconds. */
  ModifyTime: bigint;
}
export interface Variable extends VariableMetadata {
  /** Stored with keys sorted (Go's JSON encoder sorts map keys). */
  Items: Record<string, string>;
}
