// RFC 3339 parsing is exact (nanoseconds, offsets) and refuses dates JS would roll over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRfc3339, parseRfc3339 } from '../../src/license/index.ts';

test('parses Z and offsets to the same instant, keeping nanoseconds', () => {
  const z = parseRfc3339('2020-06-01T12:50:16.581304556Z');
  assert.equal(z, 1591015816581304556n);
  assert.equal(parseRfc3339('2020-06-01T08:50:16.581304556-04:00'), z);
  assert.equal(parseRfc3339('2020-06-01T14:20:16.581304556+01:30'), z);
  assert.equal(parseRfc3339('2020-06-01T12:50:16Z'), 1591015816000000000n);
  assert.equal(parseRfc3339('2020-06-01T12:50:16.5Z'), 1591015816500000000n);
});

test('nanoseconds order correctly within one millisecond', () => {
  assert.ok(parseRfc3339('2020-06-01T12:50:16.000000001Z')! > parseRfc3339('2020-06-01T12:50:16Z')!);
});

for (const bad of ['2020-02-30T00:00:00Z', '2021-02-29T00:00:00Z', '2020-06-01T24:00:00Z', '2020-13-01T00:00:00Z',
  '2020-06-01T00:60:00Z', '2020-06-01T00:00:60Z', '2020-06-01 00:00:00Z', '2020-06-01T00:00:00', '2020-06-01',
  '2020-06-01T00:00:00.1234567890Z', '2020-06-01T00:00:00+24:00', '', 'yesterday']) {
  test(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseRfc3339(bad), null));
}

test('a leap day parses', () => assert.notEqual(parseRfc3339('2024-02-29T00:00:00Z'), null));

test('formats UTC like Go RFC3339Nano (no trailing fraction zeros)', () => {
  assert.equal(formatRfc3339(new Date('2026-01-02T03:04:05.000Z')), '2026-01-02T03:04:05Z');
  assert.equal(formatRfc3339(new Date('2026-01-02T03:04:05.500Z')), '2026-01-02T03:04:05.5Z');
  assert.equal(formatRfc3339(new Date('2026-01-02T03:04:10.120Z')), '2026-01-02T03:04:10.12Z');
  assert.equal(formatRfc3339(new Date('2026-01-02T03:04:05.123Z')), '2026-01-02T03:04:05.123Z');
});
