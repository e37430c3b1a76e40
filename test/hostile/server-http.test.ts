// Hostile HTTP clients against one real `opraft agent` process (http-inputs.test.ts covers the
// request space against the in-process app): clients that never finish their headers or their
// body are closed after the configured limits (Part A §13, set short here) while other clients
// are served and nothing is written; and the heap after 10,000 bad requests stays within twice
// its level before them (measured through the inspector after forced full collections).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { TestCluster, TestNode, freePort, sleep } from '../integration/harness.ts';
import { raw } from './helpers.ts';
import { Inspector, serverState, stallingClient, type StallingClient } from './process.ts';

const HEADER_MS = 800;
const REQUEST_MS = 3000;
const BODY_LIMIT = 8 * 1024;
/**
 * How late a timeout may fire: the server checks every min(timeouts)/4, plus a loaded CI machine.
 * HEADER_MS + SLACK_MS stays under REQUEST_MS, so the header test sees the header timeout.
 */
const SLACK_MS = 1500;
/** The second server sets only http_request_timeout, shorter than the 10 s header default. */
const ONLY_REQUEST_MS = 2000;

let c: TestCluster;
let n: TestNode;
let c2: TestCluster;
let n2: TestNode;
let inspectPort: number;

before(async () => {
  inspectPort = await freePort();
  c = await TestCluster.create(1, {
    raftTick: '50ms',
    extraHcl: `limits {
  http_header_timeout = "${HEADER_MS}ms"
  http_request_timeout = "${REQUEST_MS}ms"
  http_max_json_body_size = "${BODY_LIMIT}"
}`,
    env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:${inspectPort}`.trim() },
  });
  c2 = await TestCluster.create(1, { raftTick: '50ms', extraHcl: `limits {\n  http_request_timeout = "${ONLY_REQUEST_MS}ms"\n}` });
  await Promise.all([c.startAll(), c2.startAll()]);
  [n, n2] = await Promise.all([c.waitForLeader(60_000), c2.waitForLeader(60_000)]);
  // Something to protect.
  assert.equal((await n.req('PUT', '/v1/var/keep/me', { Items: { k: 'v' } })).status, 200);
  assert.equal((await n.req('PUT', '/v1/operator/scheduler/configuration', { SchedulerAlgorithm: 'spread' })).status, 200);
});

after(async () => {
  await Promise.all([c?.destroy(), c2?.destroy()]);
});

/** While `during` runs: GETs and writes from well-behaved clients, each answered promptly. */
async function servedMeanwhile(during: Promise<unknown>, what: string, node: TestNode = n): Promise<void> {
  let done = false;
  void during.finally(() => (done = true));
  let i = 0;
  let worst = 0;
  while (!done) {
    const t0 = Date.now();
    const leader = await node.get('/v1/status/leader');
    assert.equal(leader.status, 200, `${what}: status/leader ${leader.text}`);
    const w = await node.req('PUT', `/v1/var/served/k${i % 5}`, { Items: { i: String(i) } });
    assert.equal(w.status, 200, `${what}: a write ${w.text}`);
    worst = Math.max(worst, Date.now() - t0);
    i++;
    await sleep(50);
  }
  assert.ok(i >= 3, `${what}: only ${i} rounds of good requests ran`);
  assert.ok(worst < 1500, `${what}: a good client waited ${worst} ms`);
  await during;
}

/** The client's close, or (when the server never closes it) `ms: Infinity` after `deadlineMs`. */
function closedWithin(cl: StallingClient, deadlineMs: number): Promise<{ ms: number; data: string }> {
  let t: NodeJS.Timeout | undefined;
  const late = new Promise<{ ms: number; data: string }>((resolve) => (t = setTimeout(() => resolve({ ms: Infinity, data: '' }), deadlineMs)));
  return Promise.race([cl.closed, late]).finally(() => clearTimeout(t));
}

function assertClosedByTimeout(r: { ms: number; data: string }, limitMs: number, what: string): void {
  assert.ok(r.ms >= limitMs - 100, `${what}: closed after ${r.ms} ms, before the ${limitMs} ms limit (${JSON.stringify(r.data.slice(0, 200))})`);
  assert.ok(r.ms <= limitMs + SLACK_MS, `${what}: closed only after ${r.ms} ms (limit ${limitMs} ms)`);
  // Node answers a timed-out request 408 (or closes at once when nothing of a request arrived).
  if (r.data !== '') assert.match(r.data, /^HTTP\/1\.1 408 /, `${what}: the answer`);
}

test('clients that never finish their headers are closed after http_header_timeout; others are served; nothing is written', async () => {
  const state = await serverState(n);
  const port = n.httpPort;
  const clients: [string, StallingClient][] = [];
  for (let k = 0; k < 5; k++) {
    clients.push([`silent #${k}`, stallingClient(port, {})]);
    clients.push([`partial request line #${k}`, stallingClient(port, { first: 'PUT /v1/var/slow/h' })]);
    clients.push([`headers never ended #${k}`, stallingClient(port, { first: 'PUT /v1/var/slow/h HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n' })]);
    clients.push([`header dripped byte by byte #${k}`, stallingClient(port, { first: 'PUT /v1/var/slow/h HTTP/1.1\r\nHost: x\r\nX-Slow: ', drip: 'a', everyMs: 100 })]);
    clients.push([`header lines dripped #${k}`, stallingClient(port, { first: 'GET /v1/status/leader HTTP/1.1\r\n', drip: 'X-A: b\r\n', everyMs: 150 })]);
  }
  const all = Promise.all(clients.map(([, cl]) => closedWithin(cl, HEADER_MS + SLACK_MS + 1000)));
  try {
    await servedMeanwhile(all, 'slow headers');
    const results = await all;
    results.forEach((r, i) => assertClosedByTimeout(r, HEADER_MS, clients[i]![0]));
  } finally {
    for (const [, cl] of clients) cl.stop();
  }
  assert.equal((await n.get('/v1/var/slow/h')).status, 404, 'the stalled write');
  assert.equal(n.running, true);
  // The good writes went to served/*; apart from them nothing changed.
  for (let k = 0; k < 5; k++) await n.req('DELETE', `/v1/var/served/k${k}`);
  assert.equal(await serverState(n), state, 'the state changed');
});

test('clients that send part of a body and stall (or drip it) are closed after http_request_timeout; others are served; nothing is written', async () => {
  const state = await serverState(n);
  const port = n.httpPort;
  const head = (path: string, extra: string) => `PUT ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${extra}\r\n`;
  const body = '{"Items":{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}}';
  const clients: [string, StallingClient][] = [];
  for (let k = 0; k < 4; k++) {
    clients.push([`var, no body byte #${k}`, stallingClient(port, { first: head(`/v1/var/slow/b${k}`, `Content-Length: ${body.length}\r\n`) })]);
    clients.push([`var, partial body #${k}`, stallingClient(port, { first: head(`/v1/var/slow/b${k}`, `Content-Length: ${body.length}\r\n`) + body.slice(0, 20) })]);
    clients.push([`var, body dripped #${k}`, stallingClient(port, { first: head(`/v1/var/slow/b${k}`, `Content-Length: ${body.length}\r\n`), drip: ' ', everyMs: 100 })]);
    clients.push([`var, chunked, no last chunk #${k}`, stallingClient(port, { first: head(`/v1/var/slow/c${k}`, 'Transfer-Encoding: chunked\r\n') + `${body.length.toString(16)}\r\n${body}\r\n` })]);
    clients.push([`scheduler, partial body #${k}`, stallingClient(port, { first: head('/v1/operator/scheduler/configuration', 'Content-Length: 200\r\n') + '{"SchedulerAlgorithm":"binpack",' })]);
    clients.push([`snapshot restore, partial body #${k}`, stallingClient(port, { first: Buffer.from(`${head('/v1/operator/snapshot', 'Content-Length: 100000\r\n')}\x1f\x8b\x08`, 'latin1') })]);
  }
  const all = Promise.all(clients.map(([, cl]) => closedWithin(cl, REQUEST_MS + SLACK_MS + 1000)));
  try {
    await servedMeanwhile(all, 'slow bodies');
    const results = await all;
    results.forEach((r, i) => assertClosedByTimeout(r, REQUEST_MS, clients[i]![0]));
  } finally {
    for (const [, cl] of clients) cl.stop();
  }
  assert.equal(n.running, true);
  for (let k = 0; k < 4; k++) {
    assert.equal((await n.get(`/v1/var/slow/b${k}`)).status, 404, 'a stalled variable write');
    assert.equal((await n.get(`/v1/var/slow/c${k}`)).status, 404, 'a stalled chunked write');
  }
  for (let k = 0; k < 5; k++) await n.req('DELETE', `/v1/var/served/k${k}`);
  assert.equal(await serverState(n), state, 'the state changed');
});

test('with only http_request_timeout set (under the 10 s header default), stalled bodies and headers are still closed after it', async () => {
  const state = await serverState(n2);
  const port = n2.httpPort;
  const clients: [string, StallingClient][] = [];
  for (let k = 0; k < 3; k++) {
    clients.push([`partial body #${k}`, stallingClient(port, { first: `PUT /v1/var/slow/o${k} HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"Items":` })]);
    clients.push([`chunked, no last chunk #${k}`, stallingClient(port, { first: `PUT /v1/var/slow/o${k} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{"\r\n` })]);
    clients.push([`headers never ended #${k}`, stallingClient(port, { first: 'GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n' })]);
  }
  const all = Promise.all(clients.map(([, cl]) => closedWithin(cl, ONLY_REQUEST_MS + SLACK_MS + 1000)));
  try {
    await servedMeanwhile(all, 'slow bodies, request timeout only', n2);
    const results = await all;
    results.forEach((r, i) => assertClosedByTimeout(r, ONLY_REQUEST_MS, clients[i]![0]));
  } finally {
    for (const [, cl] of clients) cl.stop();
  }
  for (let k = 0; k < 3; k++) assert.equal((await n2.get(`/v1/var/slow/o${k}`)).status, 404, 'a stalled write');
  for (let k = 0; k < 5; k++) await n2.req('DELETE', `/v1/var/served/k${k}`);
  assert.equal(await serverState(n2), state, 'the state changed');
});

test('heap use after 10,000 bad requests stays within twice its starting level; the server still answers and nothing changed', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const base = n.url('');
  const big = `{"Items":{"k":"${'x'.repeat(BODY_LIMIT + 100)}"}}`;
  /** One bad request of kind i % 10; resolves with its status. */
  const bad = async (i: number): Promise<number> => {
    const kind = i % 10;
    const go = (): Promise<{ status: number }> => {
      switch (kind) {
        case 0: return raw(base, 'PUT', `/v1/var/heap/x${i % 97}`, { agent, body: '{"Items":{"k":' });
        case 1: return raw(base, 'PUT', '/v1/operator/scheduler/configuration', { agent, body: `[${i}]` });
        case 2: return raw(base, 'PUT', `/v1/var/heap/x?cas=abc${i}`, { agent, body: '{"Items":{"k":"v"}}' });
        case 3: return raw(base, 'GET', `/v1/no/such/path/${i}?x=${'y'.repeat(i % 200)}`, { agent });
        case 4: return raw(base, 'PATCH', `/v1/var/heap/m${i}`, { agent, body: '{}' });
        case 5: return raw(base, 'PUT', '/v1/operator/autopilot/configuration', { agent, body: `{"LastContactThreshold":"${i}parsecs"}` });
        case 6: return raw(base, 'PUT', `/v1/var/${'%zz'.repeat(1 + (i % 5))}`, { agent, body: '{"Items":{"k":"v"}}' });
        case 7: return raw(base, 'GET', `/v1/var/heap/x?index=${i}&wait=forever${i}`, { agent });
        case 8: return raw(base, 'PUT', `/v1/var/heap/${'b'.repeat(129 + (i % 50))}`, { agent, body: '{"Items":{"k":"v"}}' });
        // Over the JSON body limit: the server answers 413 and closes the connection, so not kept alive.
        default: return i % 20 === 9 ? raw(base, 'PUT', `/v1/var/heap/big${i}`, { body: big }) : raw(base, 'DELETE', `/v1/var/heap/x?cas=-${i}`, { agent });
      }
    };
    // A kept-alive socket the server closed while idle resets at once; the request never arrived.
    const r = await go().catch((e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? go() : Promise.reject(e)));
    return r.status;
  };
  const statuses = new Map<number, number>();
  const run = async (count: number, from: number, concurrency = 8): Promise<void> => {
    let next = from;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < from + count) {
        const i = next++;
        const s = await bad(i);
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
        assert.ok(s >= 400 && s < 500, `bad request #${i} (kind ${i % 10}) answered ${s}`);
      }
    }));
  };

  const insp = await Inspector.connect(inspectPort);
  try {
    await run(500, 0); // warm-up: JIT, caches, pools
    await sleep(300);
    const before = await insp.liveHeap();
    const state = await serverState(n);
    const t0 = Date.now();
    statuses.clear();
    await run(10_000, 1000);
    const sentMs = Date.now() - t0;
    await sleep(500);
    const afterHeap = await insp.liveHeap();
    const ratio = afterHeap / before;
    console.log(`heap: ${(before / 2 ** 20).toFixed(1)} MiB before, ${(afterHeap / 2 ** 20).toFixed(1)} MiB after 10,000 bad requests in ${sentMs} ms (×${ratio.toFixed(2)}); statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.equal([...statuses.values()].reduce((a, b) => a + b, 0), 10_000);
    assert.ok((statuses.get(413) ?? 0) >= 400, 'the 413s were sent');
    assert.ok(ratio <= 2, `live heap grew ×${ratio.toFixed(2)}: ${before} → ${afterHeap} bytes`);
    // Still serving, nothing changed.
    assert.equal(n.running, true);
    const leader = await n.get('/v1/status/leader');
    assert.equal(leader.status, 200);
    assert.equal(leader.body, n.rpcAddr);
    assert.equal(await serverState(n), state, 'the state changed');
  } finally {
    insp.close();
    agent.destroy();
  }
});
