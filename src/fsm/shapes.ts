// Readers for the FSM's objects: each checks an untrusted value (a decoded command or a
// state.bin record) and builds a fresh object with the fields in the API's order.
// Shape only; rules that depend on the state (CAS, uniqueness) belong to apply.

import type {
  AclBootstrap,
  AclJobAcl,
  AclPolicy,
  AclPolicyFields,
  AclToken,
  AclTokenFields,
  AclTokenRoleLink,
  AclTokenType,
  AutopilotConfig,
  AutopilotConfigFields,
  ClusterMetadata,
  Indexed,
  LicenseFields,
  SchedulerConfig,
  SchedulerConfigFields,
  StoredLicense,
  Variable,
} from './types.ts';
import { ACL_TOKEN_TYPES } from './types.ts';
import {
  ShapeError,
  boolean,
  int64,
  join,
  kindOf,
  object,
  plainObjectOrNull,
  string,
  stringArrayOrNull,
  stringMap,
  stringOrNull,
  uint,
} from './validate.ts';

function indexes(o: Record<string, unknown>, at: string): Indexed {
  return { CreateIndex: uint(o, 'CreateIndex', at), ModifyIndex: uint(o, 'ModifyIndex', at) };
}

export function readSchedulerFields(v: unknown, at: string): SchedulerConfigFields {
  const o = object(v, at);
  const p = object(o.PreemptionConfig, join(at, 'PreemptionConfig'));
  const pAt = join(at, 'PreemptionConfig');
  return {
    SchedulerAlgorithm: string(o, 'SchedulerAlgorithm', at),
    PreemptionConfig: {
      SystemSchedulerEnabled: boolean(p, 'SystemSchedulerEnabled', pAt),
      SysBatchSchedulerEnabled: boolean(p, 'SysBatchSchedulerEnabled', pAt),
      BatchSchedulerEnabled: boolean(p, 'BatchSchedulerEnabled', pAt),
      ServiceSchedulerEnabled: boolean(p, 'ServiceSchedulerEnabled', pAt),
    },
    MemoryOversubscriptionEnabled: boolean(o, 'MemoryOversubscriptionEnabled', at),
    RejectJobRegistration: boolean(o, 'RejectJobRegistration', at),
    PauseEvalBroker: boolean(o, 'PauseEvalBroker', at),
    NodeLimitForFeasibilityChecks: uint(o, 'NodeLimitForFeasibilityChecks', at),
  };
}

export function readSchedulerConfig(v: unknown, at: string): SchedulerConfig {
  return { ...readSchedulerFields(v, at), ...indexes(object(v, at), at) };
}

export function readAutopilotFields(v: unknown, at: string): AutopilotConfigFields {
  const o = object(v, at);
  return {
    LastContactThreshold: uint(o, 'LastContactThreshold', at),
    ServerStabilizationTime: uint(o, 'ServerStabilizationTime', at),
    CleanupDeadServers: boolean(o, 'CleanupDeadServers', at),
    MaxTrailingLogs: uint(o, 'MaxTrailingLogs', at),
    MinQuorum: uint(o, 'MinQuorum', at),
    EnableRedundancyZones: boolean(o, 'EnableRedundancyZones', at),
    DisableUpgradeMigration: boolean(o, 'DisableUpgradeMigration', at),
    EnableCustomUpgrades: boolean(o, 'EnableCustomUpgrades', at),
  };
}

export function readAutopilotConfig(v: unknown, at: string): AutopilotConfig {
  return { ...readAutopilotFields(v, at), ...indexes(object(v, at), at) };
}

export function readLicenseFields(v: unknown, at: string): LicenseFields {
  const o = object(v, at);
  return {
    LicenseID: string(o, 'LicenseID', at),
    CustomerID: string(o, 'CustomerID', at),
    InstallationID: string(o, 'InstallationID', at),
    IssueTime: string(o, 'IssueTime', at),
    StartTime: string(o, 'StartTime', at),
    ExpirationTime: string(o, 'ExpirationTime', at),
    TerminationTime: string(o, 'TerminationTime', at),
    NonProduction: boolean(o, 'NonProduction', at),
    Product: string(o, 'Product', at),
    Flags: plainObjectOrNull(o, 'Flags', at),
    Modules: stringArrayOrNull(o, 'Modules', at),
    Features: stringArrayOrNull(o, 'Features', at),
  };
}

export function readStoredLicense(v: unknown, at: string): StoredLicense {
  const o = object(v, at);
  return { Blob: string(o, 'Blob', at), License: readLicenseFields(o.License, join(at, 'License')), ...indexes(o, at) };
}

export function readClusterMetadata(v: unknown, at: string): ClusterMetadata {
  const o = object(v, at);
  return { ClusterID: string(o, 'ClusterID', at, { nonEmpty: true }), CreateTime: int64(o, 'CreateTime', at), ...indexes(o, at) };
}

function readJobAcl(v: unknown, at: string): AclJobAcl | null {
  if (v === undefined || v === null) return null;
  const o = object(v, at);
  return {
    Namespace: string(o, 'Namespace', at),
    JobID: string(o, 'JobID', at),
    Group: string(o, 'Group', at),
    Task: string(o, 'Task', at),
  };
}

export function readAclPolicyFields(v: unknown, at: string): AclPolicyFields {
  const o = object(v, at);
  return {
    Name: string(o, 'Name', at, { nonEmpty: true }),
    Description: string(o, 'Description', at),
    Rules: string(o, 'Rules', at),
    JobACL: readJobAcl(o.JobACL, join(at, 'JobACL')),
    Hash: string(o, 'Hash', at),
  };
}

export function readAclPolicy(v: unknown, at: string): AclPolicy {
  return { ...readAclPolicyFields(v, at), ...indexes(object(v, at), at) };
}

function readRoles(v: unknown, at: string): AclTokenRoleLink[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new ShapeError(`${at} must be an array of {ID, Name}, got ${kindOf(v)}`);
  return v.map((r, i) => {
    const o = object(r, `${at}[${i}]`);
    return { ID: string(o, 'ID', `${at}[${i}]`), Name: string(o, 'Name', `${at}[${i}]`) };
  });
}

export function readAclTokenFields(v: unknown, at: string): AclTokenFields {
  const o = object(v, at);
  const type = string(o, 'Type', at);
  if (!(ACL_TOKEN_TYPES as readonly string[]).includes(type)) {
    throw new ShapeError(`${join(at, 'Type')} must be "client" or "management", got "${type}"`);
  }
  return {
    ExpirationTTL: uint(o, 'ExpirationTTL', at),
    AccessorID: string(o, 'AccessorID', at, { nonEmpty: true }),
    SecretID: string(o, 'SecretID', at, { nonEmpty: true }),
    Name: string(o, 'Name', at),
    Type: type as AclTokenType,
    Policies: stringArrayOrNull(o, 'Policies', at),
    Roles: readRoles(o.Roles, join(at, 'Roles')),
    Global: boolean(o, 'Global', at),
    Hash: string(o, 'Hash', at),
    CreateTime: string(o, 'CreateTime', at),
    ExpirationTime: stringOrNull(o, 'ExpirationTime', at),
  };
}

export function readAclToken(v: unknown, at: string): AclToken {
  return { ...readAclTokenFields(v, at), ...indexes(object(v, at), at) };
}

export function readAclBootstrap(v: unknown, at: string): AclBootstrap {
  return { BootstrapIndex: uint(object(v, at), 'BootstrapIndex', at) };
}

export function readVariable(v: unknown, at: string): Variable {
  const o = object(v, at);
  return {
    Namespace: string(o, 'Namespace', at, { nonEmpty: true }),
    Path: string(o, 'Path', at, { nonEmpty: true }),
    CreateIndex: uint(o, 'CreateIndex', at),
    CreateTime: int64(o, 'CreateTime', at),
    ModifyIndex: uint(o, 'ModifyIndex', at),
    ModifyTime: int64(o, 'ModifyTime', at),
    Items: stringMap(o, 'Items', at),
  };
}

export interface IndexEntry {
  Key: string;
  Value: number;
}

export function readIndexEntry(v: unknown, at: string): IndexEntry {
  const o = object(v, at);
  return { Key: string(o, 'Key', at, { nonEmpty: true }), Value: uint(o, 'Value', at) };
}
