// The building blocks: HCL/JSON parsing, Go durations, byte sizes, addresses, values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError, formatDuration, formatDurationNs, parseByteSize, parseDuration, parseDurationNs, parseHcl, parseJoinAddress,
  parseJson, schedulerBlockToApi,
} from '../../src/config/index.ts';
import { checkBool, checkInt, checkLogLevel } from '../../src/config/values.ts';
import { mergeBlocks } from '../../src/config/reader.ts';

test('parseHcl gives blocks as lists of objects, labelled blocks nested', () => {
  const tree = parseHcl('a = 1\nb = "x"\nl = ["p", "q"]\nserver { enabled = true }\nplugin "docker" { config { x = 1 } }\n');
  assert.deepEqual(tree, { a: 1, b: 'x', l: ['p', 'q'], server: [{ enabled: true }], plugin: [{ docker: [{ config: [{ x: 1 }] }] }] });
  assert.deepEqual(parseHcl(''), {});
});

test('parseHcl and parseJson throw ConfigError naming the file', () => {
  assert.throws(() => parseHcl('server {', 'x.hcl'), (e: unknown) => e instanceof ConfigError && e.file === 'x.hcl' && /cannot parse HCL: At 1:/.test(e.message));
  assert.throws(() => parseJson('{', 'x.json'), (e: unknown) => e instanceof ConfigError && e.file === 'x.json' && /cannot parse JSON/.test(e.message));
  assert.throws(() => parseJson('"text"', 'x.json'), /expected a JSON object/);
  assert.deepEqual(parseJson('  '), {});
});

test('repeated blocks merge, nested blocks accumulate', () => {
  const merged = mergeBlocks([{ a: 1, inner: [{ x: 1 }] }, { a: 2, inner: [{ y: 2 }], list: ['s'] }]);
  assert.deepEqual(merged, { a: 2, inner: [{ x: 1 }, { y: 2 }], list: ['s'] });
});

test('Go durations parse and print as Go does', () => {
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('200ms'), 200);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('1µs'), 0.001);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDurationNs('-2us'), -2000n);
  for (const bad of ['', '10', 's', '1x', '.s', '1.5.5s']) assert.throws(() => parseDuration(bad), /duration/, bad);
  assert.throws(() => parseDuration('9999999999h'), /too large/);
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(200), '200ms');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(3_600_000), '1h0m0s');
  assert.equal(formatDuration(2500), '2.5s');
  assert.equal(formatDurationNs(1500n), '1.5µs');
  assert.equal(formatDurationNs(-27_291_304n), '-27.291304ms');
});

test('byte sizes as go-humanize reads them', () => {
  assert.deepEqual(parseByteSize('1MiB'), { bytes: 2 ** 20 });
  assert.deepEqual(parseByteSize('1MB'), { bytes: 1e6 });
  assert.deepEqual(parseByteSize('4GiB'), { bytes: 4 * 2 ** 30 });
  assert.deepEqual(parseByteSize(512), { bytes: 512 });
  assert.ok('problem' in parseByteSize('-1'));
  assert.ok('problem' in parseByteSize('1 parsec'));
  assert.ok('problem' in parseByteSize(1.5));
  assert.ok('problem' in parseByteSize(true));
});

test('join addresses: no port means 4647, 4648 means 4647 with a warning', () => {
  assert.deepEqual(parseJoinAddress('10.0.0.1'), { ok: true, host: '10.0.0.1', port: 4647 });
  assert.deepEqual(parseJoinAddress('nomad.example:5000'), { ok: true, host: 'nomad.example', port: 5000 });
  assert.deepEqual(parseJoinAddress('::1'), { ok: true, host: '::1', port: 4647 });
  const serf = parseJoinAddress('10.0.0.1:4648');
  assert.ok(serf.ok && serf.port === 4647 && /Serf port/.test(serf.warning ?? ''));
  for (const bad of ['', 'a b', 'host:0', 'host:65536', 'fe80::1:4647x', 'bad_host!', '[::1', 'provider=aws']) {
    assert.equal(parseJoinAddress(bad).ok, false, bad);
  }
});

test('value checks are lenient the way HCL1 and Go flags are', () => {
  assert.deepEqual(checkBool('T'), { ok: true, value: true });
  assert.deepEqual(checkBool('0'), { ok: true, value: false });
  assert.equal(checkBool('yes').ok, false);
  assert.deepEqual(checkInt('42'), { ok: true, value: 42 });
  assert.equal(checkInt(1.5).ok, false);
  assert.deepEqual(checkInt(5, { min: 1, max: 10 }), { ok: true, value: 5 });
  assert.deepEqual(checkLogLevel('off'), { ok: true, value: 'silent' });
  assert.deepEqual(checkLogLevel('Warn'), { ok: true, value: 'warn' });
});

test('default_scheduler_config in the API shape: Nomad\'s defaults without a block, whole replacement with one', () => {
  assert.equal(schedulerBlockToApi(null).PreemptionConfig.SystemSchedulerEnabled, true);
  const api = schedulerBlockToApi({ memory_oversubscription_enabled: true });
  assert.equal(api.SchedulerAlgorithm, 'binpack');
  assert.equal(api.MemoryOversubscriptionEnabled, true);
  assert.equal(api.PreemptionConfig.SystemSchedulerEnabled, false);
});
