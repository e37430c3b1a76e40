import { test } from 'node:test';
import assert from 'node:assert/strict';
import type WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../src/transport/codec.ts';
import { makeHello } from '../../src/transport/handshake.ts';
import type { Frame } from '../../src/transport/index.ts';
import type { Message } from '../../src/raft/types.ts';
import type { WsTransport } from '../../src/transport/ws-transport.ts';
import { addr, captureLogger, closed, Fleet, heartbeat, nextMessage, opened, sleep, waitFor } from './helpers.ts';

/** A raw client that completes the handshake as node `node`. */
async function handshaken(fleet: Fleet, server: WsTransport, node: string): Promise<WebSocket> {
  const ws = fleet.raw(server.port);
  await opened(ws);
  const welcome = nextMessage(ws);
  ws.send(encodeFrame(makeHello({ node, cluster: '' })));
  const w = decodeFrame(await welcome) as Record<string, unknown>;
  assert.equal(w.t, 'welcome');
  assert.equal(w.node, server.localId);
  return ws;
}

function raftFrames(t: WsTransport): Message[] {
  const got: Message[] = [];
  t.onFrame((_from, f: Frame) => {
    if (f.t === 'raft') got.push(f.m as Message);
  });
  return got;
}

test('robustness: malformed frames after the handshake are dropped, counted and logged; the connection survives', async () => {
  const fleet = new Fleet();
  const log = captureLogger();
  try {
    const b = await fleet.make('b', { logger: log });
    const got = raftFrames(b);
    const ws = await handshaken(fleet, b, 'x');
    ws.send('a text message');
    ws.send(Buffer.from([0xc7, 0x01, 0x70, 0x00])); // an unknown msgpack extension
    ws.send(Buffer.from([0x92, 0x01])); // truncated array
    ws.send(encodeFrame(42));
    ws.send(encodeFrame({ no: 'kind' }));
    ws.send(encodeFrame({ t: 'mystery' }));
    ws.send(encodeFrame({ t: 'raft', m: { ...heartbeat('x', 'b'), term: -1 } }));
    ws.send(encodeFrame({ t: 'raft', m: { ...heartbeat('x', 'b'), type: 'bogus' } }));
    ws.send(encodeFrame({ t: 'raft', m: { type: 'app', from: 'x', to: 'b', term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [{ index: 5, term: 1, type: 0, data: new Uint8Array(1) }] } }));
    ws.send(encodeFrame({ t: 'raft', m: heartbeat('someone-else', 'b') }));
    ws.send(encodeFrame({ t: 'raft', m: heartbeat('x', 'not-b') }));
    ws.send(encodeFrame({ t: 'raft', m: heartbeat('x', 'b', 7) }));
    await waitFor(() => got.length === 1, 2000, 'the one valid frame');
    assert.equal(got[0].term, 7);
    const r = b.stats().rejected;
    assert.equal(r.undecodable, 3);
    assert.equal(r.malformed, 2);
    assert.equal(r.unknownKind, 1);
    assert.equal(r.invalid, 3);
    assert.equal(r.wrongSender, 1);
    assert.equal(r.misaddressed, 1);
    assert.ok(log.lines.some((l) => l.level === 'warn' && /entries\[0\]\.index is 5, expected 1/.test(l.msg)), 'the log names what is wrong');
    assert.notEqual(ws.readyState, ws.CLOSED);
  } finally {
    await fleet.stop();
  }
});

test('robustness: garbage or another frame before the handshake closes the connection, nothing crashes', async () => {
  const fleet = new Fleet();
  try {
    const b = await fleet.make('b');
    const g = fleet.raw(b.port);
    await opened(g);
    g.send(Buffer.from('this is not msgpack at all, not even close'));
    await closed(g);
    const r = fleet.raw(b.port);
    await opened(r);
    r.send(encodeFrame({ t: 'raft', m: heartbeat('x', 'b') }));
    await closed(r);
    const h = fleet.raw(b.port);
    await opened(h);
    h.send(encodeFrame({ t: 'hello', v: 1, cluster: '', node: 'x', auth: false, nonce: new Uint8Array(3) }));
    await closed(h);
    const v = fleet.raw(b.port);
    await opened(v);
    v.send(encodeFrame({ ...makeHello({ node: 'x', cluster: '' }), v: 99 }));
    await closed(v);
    const s = b.stats();
    assert.equal(s.rejected.beforeHandshake, 1);
    assert.ok(s.rejected.undecodable >= 1);
    assert.equal(s.handshakesRejected.malformed, 1);
    assert.equal(s.handshakesRejected.version, 1);
    // Still serving.
    await handshaken(fleet, b, 'y');
  } finally {
    await fleet.stop();
  }
});

test('robustness: an oversized frame closes that connection only (configured limit)', async () => {
  const fleet = new Fleet();
  const log = captureLogger();
  try {
    const b = await fleet.make('b', { maxFrameBytes: 64 * 1024, logger: log });
    const got = raftFrames(b);
    const ws = await handshaken(fleet, b, 'x');
    ws.send(Buffer.alloc(100 * 1024, 1));
    const code = await closed(ws);
    assert.equal(code, 1009);
    await waitFor(() => b.stats().rejected.oversized === 1, 1000, 'the oversized count');
    assert.ok(log.lines.some((l) => /over the 65536-byte limit/.test(l.msg)));
    // Other peers are unaffected; and our own sends over the limit are refused before they leave.
    const a = await fleet.make('a', { maxFrameBytes: 64 * 1024 });
    a.setPeer('b', addr(b));
    assert.equal(a.send('b', { t: 'raft', m: { ...heartbeat('a', 'b'), context: 'x'.repeat(4000) } }), true);
    const big = { t: 'raft', m: { type: 'app', from: 'a', to: 'b', term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [{ index: 1, term: 1, type: 0, data: new Uint8Array(70 * 1024) }] } };
    assert.equal(a.send('b', big), false);
    assert.equal(a.stats().dropped.tooLarge, 1);
    await waitFor(() => got.length === 1, 2000, 'the small frame');
  } finally {
    await fleet.stop();
  }
});

test('robustness: the default 8 MiB frame limit (Part A §13)', async () => {
  const fleet = new Fleet();
  try {
    const b = await fleet.make('b');
    const ws = await handshaken(fleet, b, 'x');
    ws.send(Buffer.alloc(8 * 1024 * 1024 + 1, 0));
    assert.equal(await closed(ws), 1009);
    await waitFor(() => b.stats().rejected.oversized === 1, 1000, 'the oversized count');
  } finally {
    await fleet.stop();
  }
});

test('robustness: at most maxConnsPerClient connections per client address', async () => {
  const fleet = new Fleet();
  const log = captureLogger();
  try {
    const b = await fleet.make('b', { maxConnsPerClient: 3, logger: log });
    const socks = [fleet.raw(b.port), fleet.raw(b.port), fleet.raw(b.port)];
    await Promise.all(socks.map(opened));
    const fourth = fleet.raw(b.port);
    await assert.rejects(opened(fourth), /429/);
    assert.equal(b.stats().connectionsRefused, 1);
    assert.ok(log.lines.some((l) => /limit of 3 connections per client address/.test(l.msg)));
    socks[0].close();
    await closed(socks[0]);
    await sleep(20);
    const again = fleet.raw(b.port);
    await opened(again);
  } finally {
    await fleet.stop();
  }
});

test('robustness: the default connection limit is 100 per client address', async () => {
  const fleet = new Fleet();
  try {
    const b = await fleet.make('b');
    const socks = Array.from({ length: 100 }, () => fleet.raw(b.port));
    await Promise.all(socks.map(opened));
    await assert.rejects(opened(fleet.raw(b.port)), /429/);
    assert.equal(b.stats().connectionsRefused, 1);
  } finally {
    await fleet.stop();
  }
});

test('robustness: a throwing frame handler is counted and does not break delivery', async () => {
  const fleet = new Fleet();
  try {
    const b = await fleet.make('b');
    let calls = 0;
    b.onFrame(() => {
      calls++;
      throw new Error('handler bug');
    });
    const got = raftFrames(b);
    const a = await fleet.make('a');
    a.setPeer('b', addr(b));
    a.send('b', { t: 'raft', m: heartbeat('a', 'b') });
    a.send('b', { t: 'raft', m: heartbeat('a', 'b') });
    await waitFor(() => got.length === 2, 2000, 'both frames');
    assert.equal(calls, 2);
    assert.equal(b.stats().rejected.handlerError, 2);
  } finally {
    await fleet.stop();
  }
});
