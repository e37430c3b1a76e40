// The commands the FSM applies, their msgpack wire form, and the reader that turns
// untrusted bytes back into a checked command. Every command carries the values apply
// needs (times included), so applying it is deterministic.

import { pack, shortMessage, unpackRange } from './msgpack.ts';
import {
  readAclPolicyFields,
  readAclTokenFields,
  readAutopilotFields,
  readLicenseFields,
  readSchedulerFields,
} from './shapes.ts';
import type {
  AclPolicyFields,
  AclTokenFields,
  AutopilotConfigFields,
  LicenseFields,
  SchedulerConfigFields,
} from './types.ts';
import { SCHEDULER_ALGORITHMS, VARIABLE_ITEMS_MAX_BYTES, VARIABLE_PATH_PATTERN } from './types.ts';
import {
  ShapeError,
  int64,
  kindOf,
  object,
  optionalUint,
  string,
  stringArray,
  stringMap,
  uint,
  type Fields,
} from './validate.ts';

/** The wire version of commands; a later opraft reads what an earlier one wrote. */
export const COMMAND_VERSION = 1;

export type Command =
  /** Seeds whichever of the two configurations is absent (the first leader, §1.5, §1.8). */
  | { type: 'seedDefaults'; scheduler: SchedulerConfigFields; autopilot: AutopilotConfigFields }
  /** Writes the cluster ID once (Part A §2); later ones are no-ops. createTime: Unix ns. */
  | { type: 'setClusterMetadata'; clusterId: string; createTime: bigint }
  | { type: 'setSchedulerConfig'; config: SchedulerConfigFields; cas?: number }
  | { type: 'setAutopilotConfig'; config: AutopilotConfigFields; cas?: number }
  /** A license the HTTP layer has verified (the FSM does not check signatures). */
  | { type: 'setLicense'; blob: string; license: LicenseFields }
  /** resetIndex: the number from `acl-bootstrap-reset`, 0 when there is none (§6.3). */
  | { type: 'aclBootstrap'; token: AclTokenFields; resetIndex: number }
  | { type: 'upsertAclPolicies'; policies: AclPolicyFields[] }
  | { type: 'deleteAclPolicies'; names: string[] }
  | { type: 'upsertAclTokens'; tokens: AclTokenFields[] }
  | { type: 'deleteAclTokens'; accessorIds: string[] }
  /** time: Unix ns, the write's CreateTime/ModifyTime. cas: see Part A §23. */
  | { type: 'upsertVariable'; path: string; items: Record<string, string>; time: bigint; cas?: number }
  | { type: 'deleteVariable'; path: string; cas?: number }
  /**
   * Replaces the whole state with a snapshot's state.bin (operator snapshot restore, §1.10). The
   * cluster keeps its own cluster ID (as it keeps its membership): nodes that have not applied the
   * restore yet must still be able to talk to those that have.
   */
  | { type: 'restoreState'; stateBin: Uint8Array };

export type CommandType = Command['type'];

/** A command that breaks a rule that does not depend on the state (bad path, too large…). */
export class RuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleError';
  }
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** §6.4: ACL policy names. */
export const ACL_POLICY_NAME_PATTERN = /^[a-zA-Z0-9-]{1,128}$/;

function list<T>(o: Fields, key: string, read: (v: unknown, at: string) => T): T[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new ShapeError(`${key} must be an array, got ${kindOf(v)}`);
  if (v.length === 0) throw new RuleError(`${key} must not be empty`);
  return v.map((item, i) => read(item, `${key}[${i}]`));
}

function noDuplicates(values: string[], what: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw new RuleError(`${what} "${v}" appears twice in one command`);
    seen.add(v);
  }
}

function schedulerFields(v: unknown): SchedulerConfigFields {
  const f = readSchedulerFields(v, 'config');
  if (!['', ...SCHEDULER_ALGORITHMS].includes(f.SchedulerAlgorithm)) {
    throw new RuleError(`invalid scheduler algorithm: ${f.SchedulerAlgorithm}`);
  }
  return f;
}

export function checkVariablePath(path: string): void {
  if (!VARIABLE_PATH_PATTERN.test(path)) throw new RuleError(`invalid path "${path}"`);
}

function variableItems(o: Fields): Record<string, string> {
  const items = stringMap(o, 'items', '');
  const keys = Object.keys(items);
  if (keys.length === 0) throw new RuleError('variable missing required Items object');
  let size = 0;
  for (const k of keys) size += Buffer.byteLength(k, 'utf8') + Buffer.byteLength(items[k]!, 'utf8');
  if (size > VARIABLE_ITEMS_MAX_BYTES) {
    throw new RuleError(`variables are limited to ${VARIABLE_ITEMS_MAX_BYTES} bytes of items, got ${size}`);
  }
  return items;
}

function policyFields(v: unknown, at: string): AclPolicyFields {
  const p = readAclPolicyFields(v, at);
  if (!ACL_POLICY_NAME_PATTERN.test(p.Name)) throw new RuleError(`invalid ACL policy name "${p.Name}"`);
  return p;
}

/** Checks a command object and returns a fresh, normalised copy (the form that is encoded). */
export function readCommand(v: unknown): Command {
  const o = object(v, 'command');
  const type = string(o, 'type', '');
  switch (type) {
    case 'seedDefaults':
      return {
        type,
        scheduler: schedulerFields(o.scheduler),
        autopilot: readAutopilotFields(o.autopilot, 'autopilot'),
      };
    case 'setClusterMetadata': {
      const clusterId = string(o, 'clusterId', '');
      if (!UUID.test(clusterId)) throw new RuleError(`clusterId must be a UUID, got "${clusterId}"`);
      return { type, clusterId: clusterId.toLowerCase(), createTime: int64(o, 'createTime', '') };
    }
    case 'setSchedulerConfig':
    case 'setAutopilotConfig': {
      const cas = optionalUint(o, 'cas', '');
      const base = type === 'setSchedulerConfig'
        ? { type, config: schedulerFields(o.config) }
        : { type, config: readAutopilotFields(o.config, 'config') };
      return (cas === undefined ? base : { ...base, cas }) as Command;
    }
    case 'setLicense':
      return { type, blob: string(o, 'blob', ''), license: readLicenseFields(o.license, 'license') };
    case 'aclBootstrap': {
      const token = readAclTokenFields(o.token, 'token');
      if (token.Type !== 'management') throw new RuleError('the bootstrap token must be a management token');
      return { type, token, resetIndex: uint(o, 'resetIndex', '') };
    }
    case 'upsertAclPolicies': {
      const policies = list(o, 'policies', policyFields);
      noDuplicates(policies.map((p) => p.Name), 'ACL policy');
      return { type, policies };
    }
    case 'deleteAclPolicies': {
      const names = stringArray(o, 'names', '', { nonEmptyItems: true });
      if (names.length === 0) throw new RuleError('names must not be empty');
      return { type, names: [...new Set(names)] };
    }
    case 'upsertAclTokens': {
      const tokens = list(o, 'tokens', readAclTokenFields);
      noDuplicates(tokens.map((t) => t.AccessorID), 'ACL token accessor');
      noDuplicates(tokens.map((t) => t.SecretID), 'ACL token secret');
      return { type, tokens };
    }
    case 'deleteAclTokens': {
      const accessorIds = stringArray(o, 'accessorIds', '', { nonEmptyItems: true });
      if (accessorIds.length === 0) throw new RuleError('accessorIds must not be empty');
      return { type, accessorIds: [...new Set(accessorIds)] };
    }
    case 'upsertVariable': {
      const path = string(o, 'path', '');
      checkVariablePath(path);
      const items = variableItems(o);
      const cas = optionalUint(o, 'cas', '');
      const base = { type, path, items, time: int64(o, 'time', '') } as const;
      return cas === undefined ? base : { ...base, cas };
    }
    case 'deleteVariable': {
      const path = string(o, 'path', '');
      checkVariablePath(path);
      const cas = optionalUint(o, 'cas', '');
      return cas === undefined ? { type, path } : { type, path, cas };
    }
    case 'restoreState': {
      const bin = o.stateBin;
      if (!(bin instanceof Uint8Array) || bin.length === 0) throw new ShapeError(`stateBin must be non-empty bytes, got ${kindOf(bin)}`);
      return { type, stateBin: bin };
    }
    default:
      throw new ShapeError(`unknown command type "${type}"`);
  }
}

/** The log entry bytes for a command; throws ShapeError/RuleError for a command apply would refuse. */
export function encodeCommand(cmd: Command): Uint8Array {
  return pack({ v: COMMAND_VERSION, ...readCommand(cmd) });
}

/** The command in a log entry; throws ShapeError/RuleError naming what is wrong. */
export function decodeCommand(data: Uint8Array): Command {
  if (!(data instanceof Uint8Array) || data.length === 0) throw new ShapeError('command is empty');
  let raw: unknown;
  try {
    raw = unpackRange(data, 0, data.length);
  } catch (e) {
    throw new ShapeError(`command is not valid msgpack: ${shortMessage(e)}`);
  }
  const o = object(raw, 'command');
  const v = o.v;
  if (v !== COMMAND_VERSION) {
    throw new ShapeError(`unsupported command version ${v === undefined ? '(none)' : String(v)} (this opraft reads version ${COMMAND_VERSION})`);
  }
  return readCommand(o);
}

