import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryJoin, RetryJoinError, normalizeJoinAddress } from '../../src/membership/index.ts';

const noSleep = (log: number[]) => async (ms: number) => { log.push(ms); };

test('retry_join gives up after retry_max failed attempts with a clear error', async () => {
  const slept: number[] = [];
  let calls = 0;
  const err = await retryJoin({
    addresses: ['10.0.0.1'], intervalMs: 30_000, max: 3, sleep: noSleep(slept),
    join: async () => { calls++; return { joined: 0, errors: ['10.0.0.1: connection refused'] }; },
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof RetryJoinError);
  assert.match(err.message, /retry_join: gave up after 3 failed attempts \(retry_max = 3\): 10\.0\.0\.1: connection refused/);
  assert.equal(err.attempts, 3);
  assert.equal(calls, 3);
  assert.deepEqual(slept, [30_000, 30_000], 'sleeps between attempts, not after the last');
});

test('retry_join with max 0 retries until one address answers; a throwing join is a failed attempt', async () => {
  const slept: number[] = [];
  let calls = 0;
  const r = await retryJoin({
    addresses: ['a', 'b'], intervalMs: 5, max: 0, sleep: noSleep(slept),
    join: async () => {
      calls++;
      if (calls === 2) throw new Error('transport not ready');
      return calls < 7 ? { joined: 0, errors: ['a: refused', 'b: refused'] } : { joined: 1, errors: ['b: refused'] };
    },
  });
  assert.deepEqual(r, { joined: 1, attempts: 7 });
  assert.equal(slept.length, 6);
});

test('retry_join normalises addresses: no port means 4647, 4648 is read as 4647 with a warning', async () => {
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, error() {}, warn(_o: object, msg?: string) { warnings.push(msg ?? ''); } };
  let seen: string[] = [];
  await retryJoin({
    addresses: ['10.0.0.1', '10.0.0.2:4648', ' [::1] ', 'fe80::1', 'host.example:5000', '[::1]:4650'],
    intervalMs: 0, max: 1, logger,
    join: async (a) => { seen = a; return { joined: 1, errors: [] }; },
  });
  assert.deepEqual(seen, ['10.0.0.1:4647', '10.0.0.2:4647', '[::1]:4647', '[fe80::1]:4647', 'host.example:5000', '[::1]:4650']);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /Serf port 4648.*using the RPC port 4647/);
});

test('retry_join refuses bad settings, naming them', async () => {
  const join = async () => ({ joined: 1, errors: [] });
  await assert.rejects(retryJoin({ addresses: [], intervalMs: 1, max: 0, join }), /retry_join needs at least one address/);
  await assert.rejects(retryJoin({ addresses: ['a'], intervalMs: -1, max: 0, join }), /retry_interval must be a non-negative duration, got -1/);
  await assert.rejects(retryJoin({ addresses: ['a'], intervalMs: 1, max: 1.5, join }), /retry_max must be an integer >= 0, got 1.5/);
  await assert.rejects(retryJoin({ addresses: ['provider=aws tag_key=x'], intervalMs: 1, max: 0, join }), /cloud auto-join/);
  await assert.rejects(retryJoin({ addresses: ['a:http'], intervalMs: 1, max: 0, join }), /join address "a:http" has an invalid port "http"/);
  await assert.rejects(retryJoin({ addresses: ['a'], intervalMs: 1, max: 0, join: undefined as never }), /needs a join function/);
});

test('retry_join stops when its signal aborts, also in the middle of a real sleep', async () => {
  const ac = new AbortController();
  let calls = 0;
  const p = retryJoin({
    addresses: ['a'], intervalMs: 60_000, max: 0, signal: ac.signal,
    join: async () => { calls++; return { joined: 0, errors: ['a: refused'] }; },
  });
  await new Promise((r) => setTimeout(r, 10));
  const started = Date.now();
  ac.abort();
  await assert.rejects(p, /retry_join cancelled after 1 attempts/);
  assert.ok(Date.now() - started < 1000, 'did not wait out the 60 s interval');
  assert.equal(calls, 1);
});

test('normalizeJoinAddress reads what operators write', () => {
  assert.deepEqual(normalizeJoinAddress('10.1.2.3'), { address: '10.1.2.3:4647' });
  assert.deepEqual(normalizeJoinAddress('[2001:db8::1]:4700'), { address: '[2001:db8::1]:4700' });
  assert.throws(() => normalizeJoinAddress(''), /join address is empty/);
  assert.throws(() => normalizeJoinAddress('[::1'), /has no closing "\]"/);
  assert.throws(() => normalizeJoinAddress('[::1]x'), /text after "\]"/);
  assert.throws(() => normalizeJoinAddress(':4647'), /has an empty host/);
  assert.throws(() => normalizeJoinAddress('a:0'), /port 0, outside 1-65535/);
  assert.throws(() => normalizeJoinAddress('http://a:1'), /is not a host or host:port/);
  assert.throws(() => normalizeJoinAddress(5 as never), /join address must be a string, got number/);
});
