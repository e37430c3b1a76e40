import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fsm, RECORD, SnapshotFormatError, TABLE } from '../../src/fsm/index.ts';
import { msgpackValueEnd, pack, unpackRange } from '../../src/fsm/msgpack.ts';
import { Driver, populate, sameBytes } from './helpers.ts';

function populated(): Fsm {
  const d = new Driver();
  populate(d);
  return d.fsm;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

const header = (v: unknown = { Version: 1, Producer: 'opraft test' }) => pack(v);
const record = (type: number, value: unknown) => concat(Uint8Array.of(type), pack(value));

/** Byte offsets of each record's type byte in a state.bin. */
function recordOffsets(bin: Uint8Array): number[] {
  const out: number[] = [];
  let pos = msgpackValueEnd(bin, 0);
  while (pos < bin.length) {
    out.push(pos);
    pos = msgpackValueEnd(bin, pos + 1);
  }
  return out;
}

test('state.bin starts with the versioned header and carries every record type', () => {
  const bin = populated().snapshot();
  const end = msgpackValueEnd(bin, 0);
  assert.deepEqual(unpackRange(bin, 0, end), { Version: 1, Producer: 'opraft test' });
  const types = recordOffsets(bin).map((o) => bin[o]);
  for (const t of Object.values(RECORD)) assert.ok(types.includes(t), `record type ${t} present`);
  // Records are the API's JSON keys; a small CreateTime still decodes (Part A §10).
  const varRecord = recordOffsets(bin).filter((o) => bin[o] === RECORD.Variables)[1]!;
  const v = unpackRange(bin, varRecord + 1, msgpackValueEnd(bin, varRecord + 1)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ['Namespace', 'Path', 'CreateIndex', 'CreateTime', 'ModifyIndex', 'ModifyTime', 'Items']);
  assert.equal(v.Path, 'app/web');
});

test('snapshot → restore round trip gives equal state and equal bytes', () => {
  const a = populated();
  const bin = a.snapshot();
  const b = new Fsm({ producer: 'opraft test' });
  b.restore(bin);
  sameBytes(b.snapshot(), bin);
  assert.deepEqual(b.schedulerConfig(), a.schedulerConfig());
  assert.deepEqual(b.autopilotConfig(), a.autopilotConfig());
  assert.deepEqual(b.license(), a.license());
  assert.deepEqual(b.clusterMetadata(), a.clusterMetadata());
  assert.deepEqual(b.aclTokens(), a.aclTokens());
  assert.deepEqual(b.aclPolicies(), a.aclPolicies());
  assert.deepEqual(b.listVariables(), a.listVariables());
  assert.deepEqual(b.variable('app/db'), a.variable('app/db'));
  assert.equal(typeof b.variable('app/web')!.CreateTime, 'bigint');
  assert.equal(b.aclBootstrapIndex(), a.aclBootstrapIndex());
  assert.equal(b.latestIndex(), a.latestIndex());
  assert.equal(b.latestIndex(TABLE.aclToken), 6);
  // The secret index is rebuilt from the token records.
  const t = a.aclTokens()[0]!;
  assert.deepEqual(b.aclTokenBySecret(t.SecretID), t);
  // An empty state round-trips too, and restore replaces what was there.
  const empty = new Fsm({ producer: 'opraft test' }).snapshot();
  b.restore(empty);
  assert.equal(b.schedulerConfig(), null);
  assert.deepEqual(b.aclTokens(), []);
  sameBytes(b.snapshot(), empty);
});

test('determinism: the same commands give the same bytes on every node', () => {
  const a = populated().snapshot();
  const b = populated().snapshot();
  sameBytes(a, b);
  // Insertion order does not leak into state.bin: variables written in another order.
  const d1 = new Driver();
  const d2 = new Driver();
  d1.run({ type: 'upsertVariable', path: 'x', items: { a: '1' }, time: 1n });
  d1.run({ type: 'upsertVariable', path: 'y', items: { a: '1' }, time: 1n });
  d2.run({ type: 'upsertVariable', path: 'y', items: { a: '1' }, time: 1n });
  d2.run({ type: 'upsertVariable', path: 'x', items: { a: '1' }, time: 1n });
  // Indexes differ (1/2 swapped), so compare paths' order through the records.
  const paths = (bin: Uint8Array) => recordOffsets(bin).filter((o) => bin[o] === RECORD.Variables)
    .map((o) => (unpackRange(bin, o + 1, msgpackValueEnd(bin, o + 1)) as { Path: string }).Path);
  assert.deepEqual(paths(d1.fsm.snapshot()), ['x', 'y']);
  assert.deepEqual(paths(d2.fsm.snapshot()), ['x', 'y']);
});

test('an unknown record type is refused with Nomad\'s message and the state is unchanged', () => {
  const fsm = populated();
  const before = fsm.snapshot();
  const other = new Driver();
  other.run({ type: 'upsertVariable', path: 'new', items: { a: 'b' }, time: 1n });
  const good = other.fsm.snapshot();
  // A valid record first, then the unknown one: nothing of the valid one may be installed.
  const bad = concat(good, record(29, { Anything: 1 }));
  assert.throws(() => fsm.restore(bad), (e: Error) => e instanceof SnapshotFormatError && e.message === 'Unrecognized snapshot type: [29]');
  sameBytes(fsm.snapshot(), before);
  assert.equal(fsm.variable('new'), null);
  // Unknown type wins even when a later record is also broken.
  assert.throws(() => fsm.restore(concat(header(), record(0, {}), Uint8Array.of(RECORD.ACLPolicy, 0x85))), { message: 'Unrecognized snapshot type: [0]' });
});

test('a truncated or garbled state.bin is refused with a clear error and changes nothing', () => {
  const fsm = populated();
  const before = fsm.snapshot();
  const offsets = recordOffsets(before);
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(), /state.bin is empty/],
    [before.subarray(0, 3), /truncated inside its header/],
    [before.subarray(0, before.length - 1), /state.bin is truncated: record \d+ \(Variables\) at byte \d+ ends early/],
    [before.subarray(0, offsets[3]! + 1), /state.bin is truncated: record 4 \(.+\) at byte \d+ has a type but no object/],
    [concat(header(), Uint8Array.of(RECORD.Index, 0xc1)), /record 1 \(Index\) at byte \d+ is not valid msgpack/],
    [concat(header(), record(RECORD.Index, 'hello')), /record 1 \(Index\) at byte \d+: Index must be an object, got a string/],
    [concat(header(), record(RECORD.ACLPolicy, { Name: 'p' })), /record 1 \(ACLPolicy\) at byte \d+: ACLPolicy.Description is missing/],
    [concat(header(), record(RECORD.SchedulerConfig, { ...populated().schedulerConfig()!, SchedulerAlgorithm: 'random' })), /SchedulerAlgorithm must be "binpack" or "spread"/],
    [concat(header(), record(RECORD.Index, { Key: 'acl_token', Value: 1 }), record(RECORD.Index, { Key: 'acl_token', Value: 2 })), /record 2 \(Index\).*duplicate Index key "acl_token"/],
    [concat(header(), record(RECORD.ClusterMetadata, populated().clusterMetadata()), record(RECORD.ClusterMetadata, populated().clusterMetadata())), /a second ClusterMetadata record/],
    [concat(header(), record(RECORD.Variables, { ...populated().variable('app/db'), Path: 'bad path' })), /not a valid variable path/],
    [Uint8Array.of(0x93, 1, 2, 3), /state.bin header must be an object, got an array/],
  ];
  for (const [bin, re] of cases) {
    assert.throws(() => fsm.restore(bin), (e: Error) => e instanceof SnapshotFormatError && re.test(e.message), `${re}`);
    assert.throws(() => Fsm.inspect(bin), SnapshotFormatError);
  }
  sameBytes(fsm.snapshot(), before);
});

test('the header version is checked', () => {
  const fsm = new Fsm();
  assert.throws(() => fsm.restore(header({ Version: 2, Producer: 'opraft 9' })), { message: 'unsupported state.bin version 2 (this opraft reads version 1)' });
  assert.throws(() => fsm.restore(header({})), /header has no Version/);
  assert.throws(() => fsm.restore(header({ Version: 1, Producer: 5 })), /Producer must be a string/);
  // A header with nothing after it is an empty state.
  fsm.restore(header());
  assert.equal(fsm.latestIndex(), 0);
});

test('inspect names record types with counts and sizes', () => {
  const bin = populated().snapshot();
  const r = Fsm.inspect(bin);
  assert.deepEqual(r.Header, { Version: 1, Producer: 'opraft test' });
  const byName = Object.fromEntries(r.Stats.map((s) => [s.Name, s.Count]));
  assert.deepEqual(byName, { Index: 7, ACLPolicy: 1, ACLToken: 3, SchedulerConfig: 1, ClusterMetadata: 1, Variables: 2, AutopilotConfig: 1, License: 1, ACLBootstrap: 1 });
  assert.deepEqual(r.Stats.map((s) => s.Type), [2, 11, 12, 13, 14, 22, 200, 201, 202]);
  assert.equal(r.TotalCount, 18);
  assert.equal(r.TotalSize, bin.length - msgpackValueEnd(bin, 0));
  assert.throws(() => Fsm.inspect(concat(bin, record(250, {}))), { message: 'Unrecognized snapshot type: [250]' });
});
