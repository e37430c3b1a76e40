// state.bin (Part A §10): a msgpack header map {Version, Producer}, then records
// `[1 byte type][msgpack object]` until the end. Writing walks the tables in a fixed
// order with sorted keys, so equal states give equal bytes. Reading checks every record
// before it builds anything, and builds a fresh state the caller installs whole.

import { MsgpackScanError, msgpackValueEnd, pack, shortMessage, unpackRange } from './msgpack.ts';
import { RECORD, STATE_BIN_VERSION, recordName, type RecordName } from './records.ts';
import {
  readAclBootstrap,
  readAclPolicy,
  readAclToken,
  readAutopilotConfig,
  readClusterMetadata,
  readIndexEntry,
  readSchedulerConfig,
  readStoredLicense,
  readVariable,
} from './shapes.ts';
import { emptyState, sortedKeys, type FsmState } from './state.ts';
import { SCHEDULER_ALGORITHMS, VARIABLE_NAMESPACE, VARIABLE_PATH_PATTERN } from './types.ts';
import { ShapeError, object, string } from './validate.ts';

export class SnapshotFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotFormatError';
  }
}

export interface StateBinHeader {
  Version: number;
  Producer: string;
}

export function encodeState(s: FsmState, producer: string): Uint8Array {
  const parts: Uint8Array[] = [pack({ Version: STATE_BIN_VERSION, Producer: producer })];
  const put = (type: number, value: unknown): void => {
    parts.push(Uint8Array.of(type), pack(value));
  };
  for (const key of sortedKeys(s.indexes)) put(RECORD.Index, { Key: key, Value: s.indexes.get(key)! });
  if (s.cluster) put(RECORD.ClusterMetadata, s.cluster);
  if (s.scheduler) put(RECORD.SchedulerConfig, s.scheduler);
  if (s.autopilot) put(RECORD.AutopilotConfig, s.autopilot);
  if (s.license) put(RECORD.License, s.license);
  if (s.bootstrap) put(RECORD.ACLBootstrap, s.bootstrap);
  for (const name of sortedKeys(s.policies)) put(RECORD.ACLPolicy, s.policies.get(name));
  for (const id of sortedKeys(s.tokens)) put(RECORD.ACLToken, s.tokens.get(id));
  for (const path of sortedKeys(s.variables)) put(RECORD.Variables, s.variables.get(path));
  // A plain, unpooled array: callers may hand its buffer on (files, transfers).
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One record as found in the stream, before its object is read. */
interface RawRecord {
  type: number;
  name: RecordName;
  /** Record number, from 1, for error messages. */
  n: number;
  /** Offset of the type byte. */
  offset: number;
  /** The msgpack object's bytes: [start, end). */
  start: number;
  end: number;
}

function readHeader(bytes: Uint8Array): { header: StateBinHeader; end: number } {
  if (bytes.length === 0) throw new SnapshotFormatError('state.bin is empty (no header)');
  let end: number;
  let raw: unknown;
  try {
    end = msgpackValueEnd(bytes, 0);
    raw = unpackRange(bytes, 0, end);
  } catch (e) {
    if (e instanceof MsgpackScanError && e.truncated) throw new SnapshotFormatError('state.bin is truncated inside its header');
    throw new SnapshotFormatError(`state.bin header is not valid msgpack: ${shortMessage(e)}`);
  }
  try {
    const o = object(raw, 'state.bin header');
    if (o.Version === undefined) throw new ShapeError('state.bin header has no Version (not an opraft snapshot?)');
    if (o.Version !== STATE_BIN_VERSION) {
      throw new ShapeError(`unsupported state.bin version ${String(o.Version)} (this opraft reads version ${STATE_BIN_VERSION})`);
    }
    const producer = o.Producer === undefined ? '' : string(o, 'Producer', 'state.bin header');
    return { header: { Version: STATE_BIN_VERSION, Producer: producer }, end };
  } catch (e) {
    throw new SnapshotFormatError((e as Error).message);
  }
}

/** Cuts the stream into records; refuses unknown types and truncation. */
function scanRecords(bytes: Uint8Array, from: number): RawRecord[] {
  const records: RawRecord[] = [];
  let pos = from;
  while (pos < bytes.length) {
    const offset = pos;
    const type = bytes[pos++]!;
    const name = recordName(type);
    // Nomad's exact text (§1.10, Part A §11): the HTTP layer prefixes it.
    if (name === undefined) throw new SnapshotFormatError(`Unrecognized snapshot type: [${type}]`);
    const n = records.length + 1;
    if (pos >= bytes.length) throw new SnapshotFormatError(`state.bin is truncated: record ${n} (${name}) at byte ${offset} has a type but no object`);
    let end: number;
    try {
      end = msgpackValueEnd(bytes, pos);
    } catch (e) {
      if (e instanceof MsgpackScanError && e.truncated) {
        throw new SnapshotFormatError(`state.bin is truncated: record ${n} (${name}) at byte ${offset} ends early`);
      }
      throw new SnapshotFormatError(`state.bin record ${n} (${name}) at byte ${offset} is not valid msgpack: ${shortMessage(e)}`);
    }
    records.push({ type, name, n, offset, start: pos, end });
    pos = end;
  }
  return records;
}

function checkUnique<V>(m: Map<string, V>, key: string, what: string): void {
  if (m.has(key)) throw new ShapeError(`duplicate ${what} "${key}"`);
}

function single<T>(current: T | null, name: string): void {
  if (current !== null) throw new ShapeError(`a second ${name} record`);
}

/** Reads one record's object into the state being built; throws ShapeError. */
function addRecord(s: FsmState, r: RawRecord, value: unknown): void {
  const at = r.name;
  switch (r.type) {
    case RECORD.Index: {
      const e = readIndexEntry(value, at);
      checkUnique(s.indexes, e.Key, 'Index key');
      s.indexes.set(e.Key, e.Value);
      return;
    }
    case RECORD.ClusterMetadata:
      single(s.cluster, at);
      s.cluster = readClusterMetadata(value, at);
      return;
    case RECORD.SchedulerConfig: {
      single(s.scheduler, at);
      const c = readSchedulerConfig(value, at);
      if (!(SCHEDULER_ALGORITHMS as readonly string[]).includes(c.SchedulerAlgorithm)) {
        throw new ShapeError(`SchedulerConfig.SchedulerAlgorithm must be "binpack" or "spread", got "${c.SchedulerAlgorithm}"`);
      }
      s.scheduler = c;
      return;
    }
    case RECORD.AutopilotConfig:
      single(s.autopilot, at);
      s.autopilot = readAutopilotConfig(value, at);
      return;
    case RECORD.License:
      single(s.license, at);
      s.license = readStoredLicense(value, at);
      return;
    case RECORD.ACLBootstrap:
      single(s.bootstrap, at);
      s.bootstrap = readAclBootstrap(value, at);
      return;
    case RECORD.ACLPolicy: {
      const p = readAclPolicy(value, at);
      checkUnique(s.policies, p.Name, 'ACL policy');
      s.policies.set(p.Name, p);
      return;
    }
    case RECORD.ACLToken: {
      const t = readAclToken(value, at);
      checkUnique(s.tokens, t.AccessorID, 'ACL token accessor');
      checkUnique(s.secrets, t.SecretID, 'ACL token secret (of token ' + t.AccessorID + ')');
      s.tokens.set(t.AccessorID, t);
      s.secrets.set(t.SecretID, t.AccessorID);
      return;
    }
    case RECORD.Variables: {
      const v = readVariable(value, at);
      if (v.Namespace !== VARIABLE_NAMESPACE) throw new ShapeError(`Variables.Namespace must be "${VARIABLE_NAMESPACE}", got "${v.Namespace}"`);
      if (!VARIABLE_PATH_PATTERN.test(v.Path)) throw new ShapeError(`Variables.Path "${v.Path}" is not a valid variable path`);
      checkUnique(s.variables, v.Path, 'variable');
      s.variables.set(v.Path, v);
      return;
    }
  }
}

export interface DecodedState {
  header: StateBinHeader;
  state: FsmState;
  records: { type: number; name: RecordName; size: number }[];
}

/** Checks and reads a whole state.bin; throws SnapshotFormatError naming the first problem. */
export function decodeState(bytes: Uint8Array): DecodedState {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotFormatError('state.bin must be bytes');
  const { header, end } = readHeader(bytes);
  // Scan the whole stream first: an unknown type or truncation anywhere refuses the
  // snapshot before any record is decoded.
  const raws = scanRecords(bytes, end);
  const state = emptyState();
  for (const r of raws) {
    let value: unknown;
    try {
      value = unpackRange(bytes, r.start, r.end);
    } catch (e) {
      throw new SnapshotFormatError(`state.bin record ${r.n} (${r.name}) at byte ${r.offset} is not valid msgpack: ${shortMessage(e)}`);
    }
    try {
      addRecord(state, r, value);
    } catch (e) {
      throw new SnapshotFormatError(`state.bin record ${r.n} (${r.name}) at byte ${r.offset}: ${(e as Error).message}`);
    }
  }
  return { header, state, records: raws.map((r) => ({ type: r.type, name: r.name, size: r.end - r.offset })) };
}

export interface InspectRow {
  /** Record type name (`Index`, `ACLToken`, …). */
  Name: RecordName;
  Type: number;
  Count: number;
  /** Bytes, type byte included. */
  Sum: number;
}

export interface InspectResult {
  Header: StateBinHeader;
  /** One row per record type present, by type number. */
  Stats: InspectRow[];
  TotalCount: number;
  TotalSize: number;
}

/** Record counts and sizes per type, after checking the whole stream as restore does. */
export function inspectState(bytes: Uint8Array): InspectResult {
  const { header, records } = decodeState(bytes);
  const rows = new Map<number, InspectRow>();
  for (const r of records) {
    const row = rows.get(r.type) ?? { Name: r.name, Type: r.type, Count: 0, Sum: 0 };
    row.Count++;
    row.Sum += r.size;
    rows.set(r.type, row);
  }
  const Stats = [...rows.values()].sort((a, b) => a.Type - b.Type);
  return { Header: header, Stats, TotalCount: records.length, TotalSize: Stats.reduce((a, r) => a + r.Sum, 0) };
}
