import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack } from '../../src/fsm/msgpack.ts';
import {
  Fsm,
  RuleError,
  ShapeError,
  decodeCommand,
  defaultAutopilotFields,
  defaultSchedulerFields,
  encodeCommand,
  type Command,
} from '../../src/fsm/index.ts';
import { CLUSTER_ID, Driver, license, sameBytes, seed } from './helpers.ts';

test('commands round-trip through their encoding', () => {
  const cmds: Command[] = [
    seed(),
    { type: 'setClusterMetadata', clusterId: CLUSTER_ID, createTime: 1_767_261_600_000_000_123n },
    { type: 'setSchedulerConfig', config: defaultSchedulerFields(), cas: 7 },
    { type: 'setAutopilotConfig', config: defaultAutopilotFields() },
    { type: 'setLicense', blob: 'x', license: license() },
    { type: 'upsertVariable', path: 'a/b', items: { b: '2', a: '1' }, time: 3n, cas: 0 },
    { type: 'deleteVariable', path: 'a/b' },
  ];
  for (const c of cmds) {
    const back = decodeCommand(encodeCommand(c));
    assert.equal(back.type, c.type);
    if (c.type === 'upsertVariable' && back.type === 'upsertVariable') {
      assert.deepEqual(Object.keys(back.items), ['a', 'b'], 'items are stored with sorted keys');
      assert.equal(back.cas, 0);
      assert.equal(back.time, 3n);
    } else if (c.type === 'setLicense' && back.type === 'setLicense') {
      assert.deepEqual(Object.keys(back.license.Flags!), ['a', 'z']);
    } else {
      assert.deepEqual(back, c);
    }
  }
});

test('encodeCommand refuses invalid commands with a message naming the problem', () => {
  const bad: [unknown, RegExp][] = [
    [{ type: 'nope' }, /unknown command type "nope"/],
    [{ type: 'setSchedulerConfig', config: { ...defaultSchedulerFields(), SchedulerAlgorithm: 'random' } }, /invalid scheduler algorithm: random/],
    [{ type: 'setSchedulerConfig', config: { SchedulerAlgorithm: 'spread' } }, /config.PreemptionConfig must be an object/],
    [{ type: 'setAutopilotConfig', config: { ...defaultAutopilotFields(), MaxTrailingLogs: -1 } }, /config.MaxTrailingLogs must be a non-negative integer/],
    [{ type: 'setClusterMetadata', clusterId: 'not-a-uuid', createTime: 1n }, /clusterId must be a UUID/],
    [{ type: 'upsertVariable', path: 'bad path!', items: { a: 'b' }, time: 1n }, /invalid path "bad path!"/],
    [{ type: 'upsertVariable', path: 'p', items: {}, time: 1n }, /variable missing required Items object/],
    [{ type: 'upsertVariable', path: 'p', items: { a: 'x'.repeat(70_000) }, time: 1n }, /limited to 65536 bytes/],
    [{ type: 'upsertAclPolicies', policies: [{ Name: 'bad name', Description: '', Rules: '', JobACL: null, Hash: '' }] }, /invalid ACL policy name "bad name"/],
    [{ type: 'deleteAclTokens', accessorIds: [] }, /accessorIds must not be empty/],
  ];
  for (const [cmd, re] of bad) {
    assert.throws(() => encodeCommand(cmd as Command), (e: Error) => (e instanceof ShapeError || e instanceof RuleError) && re.test(e.message), String(re));
  }
});

test('apply returns an error result for bytes that are not a command, and changes nothing', () => {
  const d = new Driver();
  d.run(seed());
  const before = d.fsm.snapshot();
  const inputs: Uint8Array[] = [
    new Uint8Array(),
    Uint8Array.of(0xc1, 0x00),
    pack({ v: 1, type: 'setSchedulerConfig' }),
    pack({ v: 99, type: 'seedDefaults' }),
    pack({ type: 'seedDefaults' }),
    pack([1, 2, 3]),
    pack({ v: 1, type: 'upsertVariable', path: '', items: { a: 'b' }, time: 1 }),
  ];
  for (const data of inputs) {
    const r = d.raw(data);
    assert.equal(r.ok, false, `should refuse ${Buffer.from(data).toString('hex')}`);
    if (!r.ok) assert.ok(r.error.length > 0);
  }
  const v99 = d.raw(pack({ v: 99, type: 'seedDefaults' }));
  assert.match(!v99.ok ? v99.error : '', /unsupported command version 99/);
  sameBytes(d.fsm.snapshot(), before);
  assert.deepEqual(new Fsm().apply(0, encodeCommand(seed())), { ok: false, type: null, code: 'invalid', error: 'log index must be a positive integer, got 0' });
});
