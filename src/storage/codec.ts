// Encoding of everything the storage layer writes: `[version byte][msgpack]` values,
// and checks that turn decoded bytes back into trusted Raft types (or a clear error).
import { Packr } from 'msgpackr';
import { EntryType } from '../raft/index.ts';
import type { ConfChange, Configuration, Entry, HardState, SnapshotMeta } from '../raft/index.ts';
import { StorageError } from './errors.ts';

/** Version byte in front of every stored value. */
export const VALUE_VERSION = 1;

// One instance, plain maps (no shared record structures), so any later reader can decode.
// Integers above 2^32 are written as float64 and read back as numbers (never BigInt).
const packr = new Packr({ useRecords: false });

export function encodeValue(value: unknown): Buffer {
  const body = packr.pack(value);
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = VALUE_VERSION;
  body.copy(out, 1);
  return out;
}

/** `what` names the value in errors, e.g. "log store /x/raft.db key log/00…01". */
export function decodeValue(bytes: Uint8Array, what: string): unknown {
  if (bytes.length < 2) throw new StorageError('corrupt', `${what}: value is ${bytes.length} bytes, too short to hold a version byte and msgpack`);
  if (bytes[0] !== VALUE_VERSION) {
    throw new StorageError('format', `${what}: value format version ${bytes[0]} is unknown (this opraft reads version ${VALUE_VERSION})`);
  }
  try {
    return packr.unpack(bytes.subarray(1));
  } catch (err) {
    throw new StorageError('corrupt', `${what}: value does not decode as msgpack: ${(err as Error).message}`, { cause: err });
  }
}

/** msgpack bytes with no version byte (for headers that carry their own version). */
export function packPlain(value: unknown): Buffer {
  return packr.pack(value);
}

export function unpackPlain(bytes: Uint8Array, what: string): unknown {
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new StorageError('corrupt', `${what}: does not decode as msgpack: ${(err as Error).message}`, { cause: err });
  }
}

// ---------------------------------------------------------------- records (no undefined fields: msgpackr would write an extension for them)

export function entryRecord(e: Entry): Record<string, unknown> {
  const r: Record<string, unknown> = { index: e.index, term: e.term, type: e.type, data: e.data };
  if (e.change) {
    const c: Record<string, unknown> = { type: e.change.type, id: e.change.id };
    if (e.change.address !== undefined) c.address = e.change.address;
    r.change = c;
  }
  if (e.config) r.config = configRecord(e.config);
  return r;
}

export function configRecord(c: Configuration): Record<string, unknown> {
  const r: Record<string, unknown> = { voters: [...c.voters], nonVoters: [...c.nonVoters] };
  if (c.addresses) r.addresses = { ...c.addresses };
  return r;
}

export function snapshotMetaRecord(m: SnapshotMeta): Record<string, unknown> {
  return { index: m.index, term: m.term, config: configRecord(m.config) };
}

export function hardStateRecord(hs: HardState): Record<string, unknown> {
  return { term: hs.term, vote: hs.vote, commit: hs.commit };
}

// ---------------------------------------------------------------- checks (used on what callers hand in and on what disk hands back)

function fail(code: 'corrupt' | 'invalid', what: string, problem: string): never {
  throw new StorageError(code, `${what}: ${problem}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

const CONF_CHANGE_TYPES = new Set(['addVoter', 'addNonVoter', 'promote', 'remove']);
const ENTRY_TYPES = new Set<number>([EntryType.Normal, EntryType.Noop, EntryType.Config]);

export function checkConfiguration(v: unknown, code: 'corrupt' | 'invalid', what: string): Configuration {
  if (!isObject(v)) fail(code, what, 'configuration is not an object');
  const { voters, nonVoters } = v;
  if (!Array.isArray(voters) || !voters.every((x) => typeof x === 'string')) fail(code, what, 'configuration voters is not a list of node IDs');
  if (!Array.isArray(nonVoters) || !nonVoters.every((x) => typeof x === 'string')) fail(code, what, 'configuration nonVoters is not a list of node IDs');
  const c: Configuration = { voters: [...(voters as string[])], nonVoters: [...(nonVoters as string[])] };
  if (v.addresses !== undefined) {
    const a = v.addresses;
    if (!isObject(a) || !Object.values(a).every((x) => typeof x === 'string')) fail(code, what, 'configuration addresses is not a map of node ID to "host:port"');
    c.addresses = { ...(a as Record<string, string>) };
  }
  return c;
}

function checkConfChange(v: unknown, code: 'corrupt' | 'invalid', what: string): ConfChange {
  if (!isObject(v) || typeof v.type !== 'string' || !CONF_CHANGE_TYPES.has(v.type) || typeof v.id !== 'string') {
    fail(code, what, 'change is not {type: addVoter|addNonVoter|promote|remove, id: string}');
  }
  if (v.address !== undefined && typeof v.address !== 'string') fail(code, what, 'change address is not a "host:port" string');
  const cc: ConfChange = { type: v.type as ConfChange['type'], id: v.id };
  if (v.address !== undefined) cc.address = v.address as string;
  return cc;
}

export function checkEntry(v: unknown, code: 'corrupt' | 'invalid', what: string): Entry {
  if (!isObject(v)) fail(code, what, 'entry is not an object');
  if (!isCount(v.index) || v.index < 1) fail(code, what, `entry index ${String(v.index)} is not a positive integer`);
  if (!isCount(v.term)) fail(code, what, `entry ${v.index} has term ${String(v.term)}, not a non-negative integer`);
  if (typeof v.type !== 'number' || !ENTRY_TYPES.has(v.type)) fail(code, what, `entry ${v.index} has unknown type ${String(v.type)}`);
  if (!(v.data instanceof Uint8Array)) fail(code, what, `entry ${v.index} data is not bytes`);
  const e: Entry = { index: v.index, term: v.term, type: v.type as EntryType, data: v.data };
  if (v.change !== undefined) e.change = checkConfChange(v.change, code, `${what} (entry ${v.index})`);
  if (v.config !== undefined) e.config = checkConfiguration(v.config, code, `${what} (entry ${v.index})`);
  return e;
}

export function checkHardState(v: unknown, code: 'corrupt' | 'invalid', what: string): HardState {
  if (!isObject(v)) fail(code, what, 'hard state is not an object');
  if (!isCount(v.term)) fail(code, what, `hard state term ${String(v.term)} is not a non-negative integer`);
  if (typeof v.vote !== 'string') fail(code, what, 'hard state vote is not a node ID string');
  if (!isCount(v.commit)) fail(code, what, `hard state commit ${String(v.commit)} is not a non-negative integer`);
  return { term: v.term, vote: v.vote, commit: v.commit };
}

export function checkSnapshotMeta(v: unknown, code: 'corrupt' | 'invalid', what: string): SnapshotMeta {
  if (!isObject(v)) fail(code, what, 'snapshot meta is not an object');
  if (!isCount(v.index) || v.index < 1) fail(code, what, `snapshot index ${String(v.index)} is not a positive integer`);
  if (!isCount(v.term)) fail(code, what, `snapshot term ${String(v.term)} is not a non-negative integer`);
  return { index: v.index, term: v.term, config: checkConfiguration(v.config, code, what) };
}
