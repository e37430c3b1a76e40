// Error texts, status codes and headers of the contract that the other HTTP tests do not pin down
// (the audit of §0.1, §1.x, §6.x and Part A 7, 11–19, 22, 23): the read query options every GET
// validates, §0.1's status resolution, validation before ACL on operator writes, the consistent
// read failures, and the exact restore text of Part A 11.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buildHttpContext } from '../../src/agent/http-context.ts';
import type { Agent } from '../../src/agent/agent.ts';
import { HttpError } from '../../src/http/index.ts';
import { statusOf } from '../../src/http/errors.ts';
import { Metrics } from '../../src/metrics/index.ts';
import { ProposalError } from '../../src/raft/index.ts';
import { archiveBuffer, readArchive } from '../../src/snapshot/index.ts';
import { startFakeServer, type FakeServer } from './fake-server.ts';

let s: FakeServer;
before(async () => {
  s = await startFakeServer();
});
after(() => s.close());

const GETS = [
  '/v1/operator/raft/configuration', '/v1/operator/autopilot/configuration', '/v1/operator/autopilot/health',
  '/v1/operator/scheduler/configuration', '/v1/operator/snapshot', '/v1/status/leader', '/v1/status/peers',
  '/v1/agent/members', '/v1/vars', '/v1/var/x',
];

test('§0.1 parse(): every read validates stale, per_page, wait and index (400, plain text), before the region', async () => {
  const cases: [string, string][] = [
    ['stale=maybe', 'Expect `true` or `false` for `stale` query string parameter'],
    ['per_page=ten', 'Expect a number for `per_page` query string parameter'],
    ['wait=5', 'Invalid wait time'],
    ['index=-1', 'Invalid index'],
    ['stale=maybe&per_page=ten', 'Expect `true` or `false` for `stale` query string parameter'],
    ['per_page=ten&wait=x', 'Expect a number for `per_page` query string parameter'],
    ['stale=maybe&region=elsewhere', 'Expect `true` or `false` for `stale` query string parameter'],
  ];
  for (const p of GETS) {
    for (const [q, text] of cases) {
      const r = await s.fetch(`${p}?${q}`);
      assert.deepEqual([r.status, r.text], [400, text], `${p}?${q}`);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain; charset=utf-8/);
    }
    // Valid options pass (index and wait are parsed, not acted on).
    const ok = await s.fetch(`${p}?stale=&per_page=5&wait=1s&index=3`);
    assert.notEqual(ok.status, 400, `${p}: ${ok.text}`);
  }
  // Writes use parseWriteRequest, which reads none of these.
  const w = await s.fetch('/v1/operator/scheduler/configuration?per_page=ten&wait=x', { method: 'PUT', body: '{}' });
  assert.equal(w.status, 200, w.text);
  assert.deepEqual(await s.fetch('/v1/status/leader?region=elsewhere').then((r) => [r.status, r.text]), [500, 'No path to region']);
});

test('§0.1 error encoding: coded RPC errors, then the endings that choose 403 / 400, else 500', () => {
  assert.deepEqual(statusOf(new Error('RPC Error:: 404,job not found')), { status: 404, message: 'job not found' });
  assert.deepEqual(statusOf(new Error('RPC Error:: 400,bad\nrequest')), { status: 400, message: 'bad\nrequest' });
  assert.deepEqual(statusOf(new Error('rpc error: ACL token expired: Permission denied')), { status: 403, message: 'Permission denied' });
  assert.deepEqual(statusOf(new Error('rpc error: ACL token not found')), { status: 403, message: 'ACL token not found' });
  const rejected = 'Job registration, dispatch, and scale are disabled by the scheduler configuration';
  assert.deepEqual(statusOf(new Error(`rpc error: ${rejected}`)), { status: 403, message: `rpc error: ${rejected}` });
  const filter = 'Filter expression cannot be used with other filter parameters';
  assert.deepEqual(statusOf(new Error(filter)), { status: 400, message: filter });
  assert.deepEqual(statusOf(new Error('No cluster leader')), { status: 500, message: 'No cluster leader' });
  assert.deepEqual(statusOf(new HttpError(429, 'x')), { status: 429, message: 'x' });
});

test('§1.5 / §1.8: an operator write validates its body and cas (400) before the ACL check (403)', async () => {
  const saved = s.acl;
  s.acl = { ...saved, allowOperatorWrite: () => false };
  try {
    const sched = '/v1/operator/scheduler/configuration';
    const auto = '/v1/operator/autopilot/configuration';
    const cases: [string, RequestInit, number, RegExp][] = [
      [sched, { method: 'PUT' }, 400, /^Error parsing scheduler config: Request body is empty$/],
      [sched, { method: 'PUT', body: '{"SchedulerAlgorithm":"random"}' }, 400, /^invalid scheduler algorithm: random$/],
      [`${sched}?cas=x`, { method: 'PUT', body: '{}' }, 400, /^Error parsing cas value: /],
      [sched, { method: 'PUT', body: '{}' }, 403, /^Permission denied$/],
      [auto, { method: 'PUT' }, 400, /^Error parsing autopilot config: Request body is empty$/],
      [auto, { method: 'PUT', body: '{"LastContactThreshold":5}' }, 400, /^Error parsing autopilot config: .*LastContactThreshold/],
      [`${auto}?cas`, { method: 'PUT', body: '{}' }, 400, /^Error parsing cas value: /],
      [auto, { method: 'PUT', body: '{}' }, 403, /^Permission denied$/],
    ];
    for (const [p, init, status, text] of cases) {
      const r = await s.fetch(p, init);
      assert.equal(r.status, status, `${p} ${init.body ?? ''}: ${r.text}`);
      assert.match(r.text, text);
    }
    assert.equal((await s.fetch(sched)).status, 200, 'reads need operator read only');
  } finally {
    s.acl = saved;
  }
});

test('§0.1: a consistent read that finds no leader or cannot confirm its read point answers Nomad\'s texts', async () => {
  let failure: unknown;
  const agent = {
    config: {
      name: 'n', region: 'global', datacenter: 'dc1', dataDir: '/nonexistent', acl: { enabled: false },
      limits: { httpMaxJsonBodyBytes: 1, snapshotRestoreMaxBytes: 1, snapshotRestoreMaxUncompressedBytes: 1, rpcMaxFrameBytes: 1 << 20 },
    },
    raft: { readIndex: () => (failure === undefined ? Promise.resolve(1) : Promise.reject(failure)) },
    log: { info() {}, warn() {} },
    metrics: new Metrics(),
    licenseKeys: [],
  } as unknown as Agent;
  const ctx = buildHttpContext(agent);
  await ctx.consistentRead();
  const outcome = async () => ctx.consistentRead().then(() => 'ok', (e: unknown) => statusOf(e));
  failure = new ProposalError('not-leader', 'not the leader');
  assert.deepEqual(await outcome(), { status: 500, message: 'No cluster leader' });
  failure = new Error('timed out waiting for a read index');
  assert.deepEqual(await outcome(), { status: 500, message: 'Not ready to serve consistent reads' });
});

test('Part A 11: an unknown state.bin record answers exactly `failed to restore from snapshot: Unrecognized snapshot type: [n]`', async () => {
  const r0 = await fetch(`${s.url}/v1/operator/snapshot`);
  const snap = Buffer.from(await r0.arrayBuffer());
  const { meta, stateBin } = await readArchive(Readable.from([snap]), { maxCompressedBytes: 1 << 30, maxUncompressedBytes: 1 << 30 });
  const bad = Buffer.concat([stateBin, Buffer.from([250, 0x80])]);
  const { bytes } = await archiveBuffer({ ...meta, Size: bad.length }, bad);
  const r = await s.fetch('/v1/operator/snapshot', { method: 'PUT', body: new Uint8Array(bytes) });
  assert.deepEqual([r.status, r.text], [500, 'failed to restore from snapshot: Unrecognized snapshot type: [250]']);
});

test('a variable over 64 KiB of items is refused with 400, not 500', async () => {
  const { startFakeServer } = await import('./fake-server.ts');
  const s = await startFakeServer();
  try {
    const r = await s.fetch('/v1/var/big', { method: 'PUT', body: JSON.stringify({ Items: { k: 'x'.repeat(40 * 1024), j: 'y'.repeat(30 * 1024) } }) });
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /limited to 65536 bytes of items/);
  } finally {
    await s.close();
  }
});
