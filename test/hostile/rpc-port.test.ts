// Hostile input on the RPC (WebSocket transport) port of a real 3-server cluster, aimed at the
// leader: random bytes over raw TCP, garbage WebSocket messages and framing, well-formed frames
// with bad fields after a valid hello, handshakes from a foreign cluster (and with a wrong
// version, our own node id, a key we do not use), frames over rpc_max_frame_size, and a flood of
// connections over rpc_max_conns_per_client. After each the cluster keeps serving (a leader, HTTP
// answers, a write commits, no process exited) and the leader's log names what it dropped.
// (test/transport/robustness.test.ts covers the same at the transport-object level.)
//
// The attacker dials from 127.0.0.2, so its connections count against their own per-client
// limit, apart from the servers' links to each other (from 127.0.0.1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../src/transport/codec.ts';
import { makeHello } from '../../src/transport/handshake.ts';
import { TestCluster, TestNode, countLog, logRecords, nodeId, sleep, until } from '../integration/harness.ts';
import { stallingClient } from './process.ts';

const ATTACKER = '127.0.0.2';
const MAX_FRAME = 1024 * 1024;
const MAX_CONNS = 10;
const HANDSHAKE_MS = 1000;

let c: TestCluster;
let L: TestNode;
let leaderId: string;
let clusterId: string;
const ids = new Map<string, string>();

before(async () => {
  c = await TestCluster.create(3, {
    raftTick: '50ms',
    extraHcl: `limits {
  rpc_max_frame_size = "1MiB"
  rpc_max_conns_per_client = ${MAX_CONNS}
  rpc_handshake_timeout = "${HANDSHAKE_MS}ms"
}`,
  });
  await c.startAll();
  L = await c.waitForLeader(60_000);
  for (const n of c.nodes) ids.set(n.name, await nodeId(n));
  leaderId = ids.get(L.name)!;
  // The transport carries the cluster ID once the first leader wrote it.
  clusterId = await until('the leader transport to adopt the cluster ID', async () => {
    const rec = (await logRecords(L)).filter((r) => typeof r.msg === 'string' && r.msg.startsWith('transport: cluster id changed')).at(-1);
    return typeof rec?.cluster === 'string' && rec.cluster !== '' ? rec.cluster : undefined;
  });
  assert.equal((await L.req('PUT', '/v1/var/rpc/keep', { Items: { k: 'v' } })).status, 200);
});

after(async () => {
  await c?.destroy();
});

// ------------------------------------------------------------------ helpers

let checks = 0;
/** The cluster keeps serving: every process runs, a leader, HTTP answers, a write commits through the attacked node. */
async function stillServing(what: string): Promise<void> {
  for (const n of c.nodes) assert.ok(n.running, `${what}: ${n.name} exited ${JSON.stringify(n.exits)}`);
  await c.waitForLeader(15_000);
  const leader = await L.get('/v1/status/leader');
  assert.equal(leader.status, 200, `${what}: status/leader ${leader.text}`);
  assert.match(String(leader.body), /^127\.0\.0\.1:\d+$/, `${what}: the leader's address`);
  const w = await L.req('PUT', '/v1/var/rpc/check', { Items: { n: String(++checks) } });
  assert.equal(w.status, 200, `${what}: a write ${w.text}`);
  const r = await c.nodes[(c.nodes.indexOf(L) + 1) % 3]!.get('/v1/var/rpc/check');
  assert.equal((r.body as { Items: { n: string } }).Items.n, String(checks), `${what}: read back through another server`);
}

/** Waits until the attacked node's log has more lines containing `msg` than `before`. */
async function logged(msg: string, before: number, what: string): Promise<void> {
  await until(`${what}: a log line "${msg}"`, async () => ((await countLog(L, msg)) > before ? true : undefined), 5000);
}

function dial(): WebSocket {
  const ws = new WebSocket(`ws://127.0.0.1:${L.rpcPort}/`, { localAddress: ATTACKER, perMessageDeflate: false });
  ws.on('error', () => {});
  return ws;
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('close', () => reject(new Error('closed before it opened')));
  });
}

function closed(ws: WebSocket, ms = 5000): Promise<number> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve(-1);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the server did not close the connection within ${ms} ms`)), ms);
    ws.once('close', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

function nextFrame(ws: WebSocket, ms = 5000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no frame within ${ms} ms`)), ms);
    ws.once('message', (data) => {
      clearTimeout(t);
      resolve(decodeFrame(data as Buffer) as Record<string, unknown>);
    });
  });
}

/** A connection that completed the handshake as a (made-up) node of no cluster. */
async function handshaken(node = randomUUID()): Promise<WebSocket> {
  const ws = dial();
  await opened(ws);
  const welcome = nextFrame(ws);
  ws.send(encodeFrame(makeHello({ node, cluster: '' })));
  const w = await welcome;
  assert.equal(w.t, 'welcome');
  assert.equal(w.node, leaderId);
  assert.equal(w.cluster, clusterId);
  return ws;
}

/** A deterministic byte stream (xorshift), so a failure replays. */
function randomBytes(seed: number, n: number): Buffer {
  let x = seed * 2654435761 || 1;
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** A raw TCP connection that completed a WebSocket upgrade, for framing the ws client will not send. */
async function upgradedSocket(): Promise<ReturnType<typeof stallingClient>> {
  const key = Buffer.from(randomUUID().slice(0, 16)).toString('base64');
  const cl = stallingClient(L.rpcPort, {
    localAddress: ATTACKER,
    first: `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  });
  await until('the 101 Switching Protocols', () => new Promise<true | undefined>((resolve) => {
    const got: Buffer[] = [];
    const onData = (d: Buffer) => {
      got.push(d);
      if (/^HTTP\/1\.1 101 /.test(Buffer.concat(got).toString('latin1'))) {
        cl.sock.off('data', onData);
        resolve(true);
      }
    };
    cl.sock.on('data', onData);
    setTimeout(() => resolve(undefined), 2000);
  }), 4000);
  return cl;
}

// ------------------------------------------------------------------ tests

test('random bytes over raw TCP are dropped and logged; a plain HTTP request gets 426; the cluster keeps serving', async () => {
  const before = await countLog(L, `dropped a connection from ${ATTACKER}: not an HTTP/WebSocket request`);
  const clients = Array.from({ length: 12 }, (_, i) => stallingClient(L.rpcPort, { localAddress: ATTACKER, first: randomBytes(i + 1, 1 + ((i * 997) % 8000)) }));
  // And garbage that starts like a request.
  clients.push(stallingClient(L.rpcPort, { localAddress: ATTACKER, first: Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n'), randomBytes(99, 3000)]) }));
  clients.push(stallingClient(L.rpcPort, { localAddress: ATTACKER, first: 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n' })); // no key
  const results = await Promise.all(clients.map((cl) => Promise.race([cl.closed, sleep(HANDSHAKE_MS + 3000).then(() => undefined)])));
  results.forEach((r, i) => assert.ok(r, `garbage connection #${i} was not closed`));
  console.log(`garbage connections closed after ${results.map((r) => r!.ms).join(', ')} ms`);
  const plain = await fetch(`http://127.0.0.1:${L.rpcPort}/v1/status/leader`);
  assert.equal(plain.status, 426);
  await logged(`dropped a connection from ${ATTACKER}: not an HTTP/WebSocket request`, before, 'raw garbage');
  await stillServing('after raw garbage');
});

test('connections that never send an upgrade or never say hello are closed after rpc_handshake_timeout and logged', async () => {
  const beforeUpgrade = await countLog(L, `dropped a connection from ${ATTACKER}: no WebSocket upgrade within ${HANDSHAKE_MS} ms`);
  const beforeHello = await countLog(L, `no handshake from ${ATTACKER} within ${HANDSHAKE_MS} ms`);
  const t0 = Date.now();
  const silent = [
    stallingClient(L.rpcPort, { localAddress: ATTACKER }),
    stallingClient(L.rpcPort, { localAddress: ATTACKER, first: 'GET / HTTP/1.1\r\nHost: x\r\n' }),
    stallingClient(L.rpcPort, { localAddress: ATTACKER, first: 'GET / HTTP/1.1\r\n', drip: 'X: y\r\n', everyMs: 100 }),
  ];
  const mute = dial();
  await opened(mute);
  const times = await Promise.all([...silent.map((cl) => Promise.race([cl.closed.then((r) => r.ms), sleep(HANDSHAKE_MS + 3000).then(() => Infinity)])), closed(mute, HANDSHAKE_MS + 3000).then(() => Date.now() - t0)]);
  times.forEach((ms, i) => assert.ok(ms >= HANDSHAKE_MS - 100 && ms <= HANDSHAKE_MS + 2500, `silent connection #${i} closed after ${ms} ms (handshake timeout ${HANDSHAKE_MS} ms)`));
  await logged(`dropped a connection from ${ATTACKER}: no WebSocket upgrade within ${HANDSHAKE_MS} ms`, beforeUpgrade, 'no upgrade');
  await logged(`no handshake from ${ATTACKER} within ${HANDSHAKE_MS} ms`, beforeHello, 'no hello');
  await stillServing('after silent connections');
});

test('garbage WebSocket messages and framing are dropped and logged: before the hello they close the connection, after it only the frame', async () => {
  const dropped = `dropped a frame from ${ATTACKER}`;
  const before = await countLog(L, dropped);
  // Before the hello: random binary, a text message, a frame of another kind.
  for (const msg of [randomBytes(7, 300), 'hello?', encodeFrame({ t: 'raft', m: { type: 'heartbeat', from: 'x', to: leaderId, term: 1, commit: 0, context: '' } })]) {
    const ws = dial();
    await opened(ws);
    ws.send(msg);
    await closed(ws);
  }
  await logged(dropped, before, 'garbage before the hello');
  // Invalid WebSocket framing (an unmasked client frame, a reserved opcode).
  const beforeFraming = await countLog(L, `connection from ${ATTACKER}: Invalid WebSocket frame`);
  for (const bytes of [Buffer.from([0x82, 0x03, 1, 2, 3]), Buffer.from([0x83, 0x80, 0, 0, 0, 0])]) {
    const cl = await upgradedSocket();
    cl.sock.write(bytes);
    assert.ok(await Promise.race([cl.closed, sleep(3000).then(() => undefined)]), 'a connection with invalid framing was not closed');
  }
  await logged(`connection from ${ATTACKER}: Invalid WebSocket frame`, beforeFraming, 'invalid framing');
  // After the hello: undecodable messages are dropped and the connection stays.
  const afterHello = await countLog(L, `${dropped}: bytes do not decode`);
  const ws = await handshaken();
  for (let i = 0; i < 5; i++) ws.send(Buffer.concat([Buffer.from([0xc1]), randomBytes(100 + i, 200)])); // 0xc1: never used in msgpack
  ws.send(Buffer.from([0x92, 0x01])); // a truncated array
  await logged(`${dropped}: bytes do not decode`, afterHello, 'garbage after the hello');
  await sleep(200);
  assert.equal(ws.readyState, ws.OPEN, 'the connection survives dropped frames');
  ws.close();
  await stillServing('after garbage frames');
});

test('well-formed frames with bad fields after a valid hello are dropped and logged; requests with bad bodies are answered with an error; the connection survives', async () => {
  const dropped = `dropped a frame from ${ATTACKER}`;
  const before = await countLog(L, dropped);
  const me = randomUUID();
  const ws = await handshaken(me);
  const otherPeer = [...ids.values()].find((id) => id !== leaderId)!;
  const hb = { type: 'heartbeat', from: me, to: leaderId, term: 1, commit: 0, context: '' };
  const bad: [string, unknown][] = [
    ['a negative term', { t: 'raft', m: { ...hb, term: -1 } }],
    ['an unknown message type', { t: 'raft', m: { ...hb, type: 'bogus' } }],
    ['a term beyond 2^53', { t: 'raft', m: { ...hb, term: 2n ** 60n } }],
    ['no message', { t: 'raft' }],
    ['an append with a wrong entry index', { t: 'raft', m: { type: 'app', from: me, to: leaderId, term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [{ index: 5, term: 1, type: 0, data: new Uint8Array(1) }] } }],
    // Spoofing a real peer over our connection: its id, a term far ahead.
    ['a real peer as the sender', { t: 'raft', m: { ...hb, from: otherPeer, term: 10_000 } }],
    ['a message for another node', { t: 'raft', m: { ...hb, to: otherPeer, term: 10_000 } }],
    ['an unknown kind', { t: 'mystery', x: 1 }],
    ['no kind', { m: hb }],
    ['a number', 42],
    ['a request with id 0', { t: 'req', id: 0, method: 'Status.Peers', body: null }],
    ['a request with no method', { t: 'req', id: 5 }],
  ];
  for (const [, f] of bad) ws.send(encodeFrame(f));
  await logged(dropped, before, 'frames with bad fields');
  // Requests with bad bodies: each answered with an error naming what is wrong.
  const answers = new Map<number, Record<string, unknown>>();
  ws.on('message', (d) => {
    const f = decodeFrame(d as Buffer) as Record<string, unknown>;
    if (f.t === 'res' && typeof f.id === 'number') answers.set(f.id, f);
  });
  const reqs: [number, string, unknown, RegExp][] = [
    [101, 'No.Such.Method', {}, /\S/],
    [102, 'Membership.PushPull', { from: { name: 'x' }, members: 'no', tombstones: [] }, /push\/pull from/],
    [103, 'Membership.PushPull', 'not an object', /push\/pull body must be an object/],
    [104, 'Membership.Ping', { from: { name: 'x', id: 'y', addr: '1.2.3.4', port: 70_000, status: 'alive', incarnation: 0, tags: {} }, target: 'z' }, /port must be 1-65535/],
    [105, 'Membership.IndirectPing', { from: null }, /indirect ping from/],
  ];
  for (const [id, method, body] of reqs) ws.send(encodeFrame({ t: 'req', id, method, body }));
  ws.send(encodeFrame({ t: 'req', id: 106, method: 'Status.Peers', body: null })); // a good one on the same connection
  await until('answers to the requests', () => (answers.size >= reqs.length + 1 ? true : undefined), 5000);
  for (const [id, method, , error] of reqs) {
    const a = answers.get(id)!;
    assert.equal(a.ok, false, `${method} #${id}: ${JSON.stringify(a)}`);
    assert.match(String(a.error), error, `${method} #${id}`);
  }
  assert.equal(answers.get(106)!.ok, true, JSON.stringify(answers.get(106)));
  assert.equal((answers.get(106)!.body as unknown[]).length, 3, 'Status.Peers lists the three servers');
  assert.equal(ws.readyState, ws.OPEN, 'the connection survives');
  ws.close();
  // The spoofed term did not reach Raft: the term is unchanged and far below it.
  const self = await L.get('/v1/agent/self');
  assert.ok(Number((self.body as { stats: { raft: { term: string } } }).stats.raft.term) < 10_000, 'a spoofed term reached Raft');
  const texts = (await logRecords(L)).map((r) => String(r.msg)).filter((m) => m.includes(dropped));
  for (const re of [/term must be a non-negative safe integer/, /unknown frame kind "mystery"/, /claims sender/, /addressed to/, /req frame: id must be a positive integer/, /entries\[0\]\.index is 5/]) {
    assert.ok(texts.some((m) => re.test(m)), `the log names ${re}: ${JSON.stringify(texts.slice(-20))}`);
  }
  await stillServing('after frames with bad fields');
});

test('handshakes from a foreign cluster, with another protocol version, our own node id or an encrypt key are refused and logged', async () => {
  const refused = `refused a handshake from ${ATTACKER}`;
  const before = await countLog(L, refused);
  const foreign = randomUUID();
  const cases: [string, Record<string, unknown>, string][] = [
    ['a foreign cluster', { cluster: foreign }, 'cluster'],
    ['protocol version 2', { v: 2 }, 'version'],
    ['a huge protocol version', { v: 2n ** 64n - 5n }, 'version'],
    ['our own node id', { node: leaderId }, 'identity'],
    ['an encrypt key we do not use', { auth: true }, 'encrypt'],
    ['a short nonce', { nonce: new Uint8Array(3) }, 'malformed'],
    ['a cluster id of 10 KiB', { cluster: 'c'.repeat(10_240) }, 'malformed'],
  ];
  for (const [what, patch, reason] of cases) {
    const ws = dial();
    await opened(ws);
    const answer = nextFrame(ws);
    const code = closed(ws);
    ws.send(encodeFrame({ ...makeHello({ node: randomUUID(), cluster: clusterId }), ...patch }));
    const a = await answer;
    assert.equal(a.t, 'refuse', `${what}: ${JSON.stringify(a)}`);
    assert.equal(a.reason, reason, what);
    assert.equal(a.cluster, clusterId, `${what}: the refusal names our cluster`);
    assert.equal(await code, 4001, what);
  }
  await logged(refused, before, 'refused handshakes');
  const rec = (await logRecords(L)).filter((r) => String(r.msg).includes(refused) && r.reason === 'cluster').at(-1);
  assert.ok(rec, 'a log line for the foreign cluster');
  assert.match(String(rec.msg), new RegExp(`the dialer is in cluster ${foreign}, this node in ${clusterId}`));
  assert.equal(rec.peerCluster, foreign);
  await stillServing('after refused handshakes');
});

test('a frame over rpc_max_frame_size closes that connection only and is logged; one just under it is taken', async () => {
  const over = `frame over the ${MAX_FRAME}-byte limit`;
  const before = await countLog(L, over);
  // After the hello.
  const ws = await handshaken();
  const code = closed(ws);
  ws.send(Buffer.alloc(MAX_FRAME + 512 * 1024, 0xc1));
  assert.equal(await code, 1009);
  // Before the hello.
  const early = dial();
  await opened(early);
  const earlyCode = closed(early);
  early.send(encodeFrame({ ...makeHello({ node: randomUUID(), cluster: '' }), pad: Buffer.alloc(2 * MAX_FRAME) }));
  assert.equal(await earlyCode, 1009);
  // A frame header declaring 2^40 bytes, with none of them sent: refused from the header alone.
  const cl = await upgradedSocket();
  cl.sock.write(Buffer.from([0x82, 0xff, 0, 0, 0x01, 0, 0, 0, 0, 0, 1, 2, 3, 4]));
  assert.ok(await Promise.race([cl.closed, sleep(3000).then(() => undefined)]), 'a declared 1 TiB frame did not close the connection');
  await until('three oversized log lines', async () => ((await countLog(L, over)) >= before + 3 ? true : undefined), 5000);
  // Just under the limit: decoded, dropped as an unknown kind, the connection stays.
  const ok = await handshaken();
  const unknown = await countLog(L, `dropped a frame from ${ATTACKER}: unknown frame kind "padding"`);
  ok.send(encodeFrame({ t: 'padding', pad: Buffer.alloc(MAX_FRAME - 1024) }));
  await logged(`dropped a frame from ${ATTACKER}: unknown frame kind "padding"`, unknown, 'a frame under the limit');
  assert.equal(ok.readyState, ok.OPEN);
  ok.close();
  await stillServing('after oversized frames');
});

test('a flood of connections over rpc_max_conns_per_client is refused and logged; the servers\' own links are not affected', async () => {
  const limit = `refused a connection from ${ATTACKER}: at the limit of ${MAX_CONNS} connections per client address`;
  const before = await countLog(L, limit);
  const flood = Array.from({ length: 3 * MAX_CONNS }, () => dial());
  const outcome = await Promise.all(flood.map((ws) => opened(ws).then(() => 'open', (e: Error) => e.message)));
  const open = outcome.filter((o) => o === 'open').length;
  const refused429 = outcome.filter((o) => o === 'HTTP 429').length;
  assert.ok(open <= MAX_CONNS, `${open} connections opened, over the limit of ${MAX_CONNS}`);
  assert.ok(open >= 1, `no connection opened: ${JSON.stringify(outcome)}`);
  assert.equal(open + refused429, flood.length, JSON.stringify(outcome));
  await logged(limit, before, 'the flood');
  // While the attacker holds its connections, the cluster (whose links come from 127.0.0.1) serves.
  await stillServing('during the flood');
  // Silent, they are closed after the handshake timeout; then the attacker's address may connect again.
  flood.forEach((ws, i) => outcome[i] !== 'open' && ws.terminate());
  await Promise.all(flood.filter((_, i) => outcome[i] === 'open').map((ws) => closed(ws, HANDSHAKE_MS + 3000)));
  const again = await handshaken();
  again.close();
  await stillServing('after the flood');
});
