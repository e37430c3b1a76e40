// Structural validation of decoded frames: nothing reaches the Raft core unless it has the shape
// the core's types promise. Each check returns an error text naming the field that is wrong, or
// undefined. Extra fields are tolerated (a newer peer may add some); missing or mistyped ones are not.

import { EntryType } from '../raft/types.ts';
import type { Message } from '../raft/types.ts';

/** Longest node id accepted on the wire (Nomad's are UUIDs: 36 characters). */
export const MAX_NODE_ID_LENGTH = 256;
/** Longest ReadIndex context accepted. */
const MAX_CONTEXT_LENGTH = 4096;
/** Most servers in a configuration carried by a message. */
const MAX_CONFIG_MEMBERS = 1024;

type Obj = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function checkNodeId(v: unknown, field: string, allowEmpty = false): string | undefined {
  if (typeof v !== 'string') return `${field} must be a string`;
  if (!allowEmpty && v.length === 0) return `${field} must not be empty`;
  if (v.length > MAX_NODE_ID_LENGTH) return `${field} is longer than ${MAX_NODE_ID_LENGTH} characters`;
  return undefined;
}

function checkUint(v: unknown, field: string): string | undefined {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    return `${field} must be a non-negative safe integer (got ${describe(v)})`;
  }
  return undefined;
}

function checkBool(v: unknown, field: string): string | undefined {
  return typeof v === 'boolean' ? undefined : `${field} must be a boolean (got ${describe(v)})`;
}

function checkString(v: unknown, field: string, max: number): string | undefined {
  if (typeof v !== 'string') return `${field} must be a string (got ${describe(v)})`;
  if (v.length > max) return `${field} is longer than ${max} characters`;
  return undefined;
}

function checkBytes(v: unknown, field: string): string | undefined {
  return v instanceof Uint8Array ? undefined : `${field} must be bytes (got ${describe(v)})`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'bigint') return `bigint ${v}`;
  if (typeof v === 'number') return String(v);
  return typeof v;
}

/** First error among checks, in order. */
function first(...errs: (string | undefined)[]): string | undefined {
  for (const e of errs) if (e !== undefined) return e;
  return undefined;
}

export function checkConfiguration(v: unknown, field: string): string | undefined {
  if (!isPlainObject(v)) return `${field} must be an object`;
  for (const list of ['voters', 'nonVoters'] as const) {
    const ids = v[list];
    if (!Array.isArray(ids)) return `${field}.${list} must be an array`;
    if (ids.length > MAX_CONFIG_MEMBERS) return `${field}.${list} has more than ${MAX_CONFIG_MEMBERS} members`;
    for (let i = 0; i < ids.length; i++) {
      const e = checkNodeId(ids[i], `${field}.${list}[${i}]`);
      if (e) return e;
    }
  }
  return undefined;
}

const CONF_CHANGE_TYPES = new Set(['addVoter', 'addNonVoter', 'promote', 'remove']);

function checkEntry(v: unknown, field: string): string | undefined {
  if (!isPlainObject(v)) return `${field} must be an object`;
  const e = first(
    checkUint(v.index, `${field}.index`),
    checkUint(v.term, `${field}.term`),
    checkBytes(v.data, `${field}.data`),
  );
  if (e) return e;
  if (v.type !== EntryType.Normal && v.type !== EntryType.Noop && v.type !== EntryType.Config) {
    return `${field}.type must be 0 (normal), 1 (noop) or 2 (config) (got ${describe(v.type)})`;
  }
  if (v.change !== undefined) {
    if (v.type !== EntryType.Config) return `${field}.change is only allowed on config entries`;
    const c = v.change;
    if (!isPlainObject(c)) return `${field}.change must be an object`;
    if (typeof c.type !== 'string' || !CONF_CHANGE_TYPES.has(c.type)) {
      return `${field}.change.type must be one of ${[...CONF_CHANGE_TYPES].join(', ')}`;
    }
    const ce = checkNodeId(c.id, `${field}.change.id`);
    if (ce) return ce;
  }
  if (v.config !== undefined) {
    if (v.type !== EntryType.Config) return `${field}.config is only allowed on config entries`;
    const ce = checkConfiguration(v.config, `${field}.config`);
    if (ce) return ce;
  }
  if (v.type === EntryType.Config && v.change === undefined && v.config === undefined) {
    return `${field} is a config entry with neither change nor config`;
  }
  return undefined;
}

function checkSnapshotMeta(v: unknown, field: string): string | undefined {
  if (!isPlainObject(v)) return `${field} must be an object`;
  return first(
    checkUint(v.index, `${field}.index`),
    checkUint(v.term, `${field}.term`),
    checkConfiguration(v.config, `${field}.config`),
  );
}

type FieldCheck = (m: Obj) => string | undefined;

/** Per message type: the checks beyond the common from / to / term. */
const MESSAGE_CHECKS: Record<Message['type'], FieldCheck> = {
  app: (m) => {
    const e = first(checkUint(m.prevIndex, 'prevIndex'), checkUint(m.prevTerm, 'prevTerm'), checkUint(m.commit, 'commit'));
    if (e) return e;
    if (!Array.isArray(m.entries)) return 'entries must be an array';
    const prevIndex = m.prevIndex as number;
    let lastTerm = m.prevTerm as number;
    for (let i = 0; i < m.entries.length; i++) {
      const ee = checkEntry(m.entries[i], `entries[${i}]`);
      if (ee) return ee;
      const entry = m.entries[i] as { index: number; term: number };
      // A leader sends a contiguous run of its log: indexes follow prevIndex, terms never decrease
      // and never exceed the leader's term.
      if (entry.index !== prevIndex + 1 + i) return `entries[${i}].index is ${entry.index}, expected ${prevIndex + 1 + i}`;
      if (entry.term < lastTerm) return `entries[${i}].term ${entry.term} is lower than the term before it (${lastTerm})`;
      if (entry.term > (m.term as number)) return `entries[${i}].term ${entry.term} is above the message term ${m.term}`;
      lastTerm = entry.term;
    }
    return undefined;
  },
  appResp: (m) =>
    first(checkUint(m.index, 'index'), checkBool(m.reject, 'reject'), checkUint(m.hintIndex, 'hintIndex'), checkUint(m.hintTerm, 'hintTerm')),
  heartbeat: (m) => first(checkUint(m.commit, 'commit'), checkString(m.context, 'context', MAX_CONTEXT_LENGTH)),
  heartbeatResp: (m) => checkString(m.context, 'context', MAX_CONTEXT_LENGTH),
  vote: checkVote,
  preVote: checkVote,
  voteResp: (m) => checkBool(m.reject, 'reject'),
  preVoteResp: (m) => checkBool(m.reject, 'reject'),
  snap: (m) => {
    const e = first(
      checkSnapshotMeta(m.meta, 'meta'),
      checkUint(m.offset, 'offset'),
      checkBytes(m.data, 'data'),
      checkUint(m.totalSize, 'totalSize'),
      checkBool(m.done, 'done'),
    );
    if (e) return e;
    const end = (m.offset as number) + (m.data as Uint8Array).length;
    if (end > (m.totalSize as number)) return `offset + data length (${end}) is beyond totalSize (${m.totalSize})`;
    if (m.done !== (end === m.totalSize)) return `done is ${m.done} but the chunk ends at ${end} of ${m.totalSize}`;
    return undefined;
  },
  snapResp: (m) =>
    first(checkUint(m.index, 'index'), checkUint(m.offset, 'offset'), checkBool(m.done, 'done'), checkBool(m.reject, 'reject')),
  timeoutNow: () => undefined,
  readIndex: (m) => checkString(m.context, 'context', MAX_CONTEXT_LENGTH),
  readIndexResp: (m) =>
    first(checkString(m.context, 'context', MAX_CONTEXT_LENGTH), checkUint(m.index, 'index'), checkBool(m.reject, 'reject')),
};

function checkVote(m: Obj): string | undefined {
  return first(checkUint(m.lastIndex, 'lastIndex'), checkUint(m.lastTerm, 'lastTerm'), checkBool(m.transfer, 'transfer'));
}

/** Validates a decoded Raft message: an error text naming the wrong field, or undefined. */
export function validateMessage(v: unknown): string | undefined {
  if (!isPlainObject(v)) return 'message must be an object';
  const type = v.type;
  if (typeof type !== 'string' || !Object.hasOwn(MESSAGE_CHECKS, type)) {
    return `message type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 32) : describe(type))} is not a Raft message type`;
  }
  const e = first(checkNodeId(v.from, 'from'), checkNodeId(v.to, 'to'), checkUint(v.term, 'term'));
  if (e) return `${type}: ${e}`;
  const fe = MESSAGE_CHECKS[type as Message['type']](v);
  return fe === undefined ? undefined : `${type}: ${fe}`;
}

/** The checks of a `raft` frame: `{t:'raft', m: Message}`. */
export function validateRaftFrame(frame: Obj): string | undefined {
  return validateMessage(frame.m);
}
