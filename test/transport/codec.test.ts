import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError, decodeFrame, encodeFrame } from '../../src/transport/codec.ts';

test('codec: round trip keeps bytes, nested objects, floats and safe integers', () => {
  const frame = {
    t: 'raft',
    bytes: new Uint8Array([0, 1, 2, 255]),
    empty: new Uint8Array(0),
    n: { max: Number.MAX_SAFE_INTEGER, min: -Number.MAX_SAFE_INTEGER, big: 2 ** 40, small: -5, f: 1.25 },
    list: [1, 'two', true, null],
    s: 'héllo',
  };
  const back = decodeFrame(encodeFrame(frame)) as typeof frame;
  assert.ok(back.bytes instanceof Uint8Array);
  assert.deepEqual([...back.bytes], [0, 1, 2, 255]);
  assert.equal(back.empty.length, 0);
  assert.deepEqual(back.n, frame.n);
  assert.deepEqual(back.list, frame.list);
  assert.equal(back.s, 'héllo');
});

test('codec: decoded bytes own their memory (a small entry never pins the frame)', () => {
  const bytes = encodeFrame({ t: 'x', data: new Uint8Array([9, 9, 9]) });
  const back = decodeFrame(bytes) as { data: Buffer };
  bytes.fill(0);
  assert.deepEqual([...back.data], [9, 9, 9]);
});

test('codec: undefined fields are omitted, not sent as present-but-undefined keys', () => {
  const back = decodeFrame(encodeFrame({ t: 'x', a: 1, gone: undefined, inner: { also: undefined, kept: 2 } })) as Record<string, unknown>;
  assert.deepEqual(Object.keys(back).sort(), ['a', 'inner', 't']);
  assert.equal(Object.hasOwn(back, 'gone'), false);
  assert.deepEqual(back.inner, { kept: 2 });
  // An omitted field costs nothing on the wire.
  assert.equal(encodeFrame({ a: undefined }).length, encodeFrame({}).length);
});

test('codec: int64 values decode as numbers within ±2^53 and as bigint beyond', () => {
  const back = decodeFrame(encodeFrame({ small: 5n, neg: -7n, huge: 2n ** 60n })) as Record<string, unknown>;
  assert.equal(back.small, 5);
  assert.equal(back.neg, -7);
  assert.equal(back.huge, 2n ** 60n);
});

test('codec: a bigint wider than 64 bits does not encode (CodecError)', () => {
  assert.throws(() => encodeFrame({ x: 2n ** 70n }), (e: unknown) => e instanceof CodecError && /does not encode/.test(e.message));
});

test('codec: garbage, truncated and trailing bytes are CodecErrors', () => {
  for (const bad of [[], [0x92, 0x01], [0xdd, 0xff, 0xff, 0xff, 0xff], [0x01, 0x02], [0xc7, 0x01, 0x70, 0x00]]) {
    assert.throws(() => decodeFrame(Buffer.from(bad)), CodecError, `bytes ${JSON.stringify(bad)}`);
  }
});
