import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from '../../src/transport/index.ts';
import type { Message } from '../../src/raft/types.ts';
import { raftLink } from '../../src/transport/raft-link.ts';
import type { WsTransport } from '../../src/transport/ws-transport.ts';
import { addr, append, Fleet, heartbeat, sleep, waitFor } from './helpers.ts';

function raftFrames(t: WsTransport): Message[] {
  const got: Message[] = [];
  t.onFrame((_from, f: Frame) => {
    if (f.t === 'raft') got.push(f.m as Message);
  });
  return got;
}

test('links: reconnect with back-off after the peer restarts on the same port', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a');
    const b = await fleet.make('b');
    const got = raftFrames(b);
    const unreachable: string[] = [];
    a.onUnreachable((p) => unreachable.push(p));
    a.setPeer('b', addr(b));
    a.send('b', { t: 'raft', m: heartbeat('a', 'b', 1) });
    await waitFor(() => got.length === 1, 2000, 'first delivery');
    const port = b.port;
    await b.stop();
    await waitFor(() => unreachable.includes('b'), 2000, 'unreachable report');
    assert.ok(a.stats().linkFailures >= 1);
    // While b is down, sends are dropped (noLink during back-off, or linkLost when the dial fails).
    for (let i = 0; i < 5; i++) {
      a.send('b', { t: 'raft', m: heartbeat('a', 'b', 2) });
      await sleep(20);
    }
    await b.start();
    assert.equal(b.port, port);
    const end = Date.now() + 3000;
    while (!got.some((m) => m.term === 3)) {
      assert.ok(Date.now() < end, 'no delivery after the restart');
      a.send('b', { t: 'raft', m: heartbeat('a', 'b', 3) });
      await sleep(20);
    }
    assert.equal(a.stats().peers.b.state, 'open');
    assert.equal(a.stats().peers.b.failures, 0);
  } finally {
    await fleet.stop();
  }
});

test('links: bounded queues drop when full (control by count, bulk by bytes) and report unreachable', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a', { maxQueueFrames: 5, maxQueueBytes: 100_000 });
    const b = await fleet.make('b');
    const got = raftFrames(b);
    const unreachable: string[] = [];
    a.onUnreachable((p) => unreachable.push(p));
    a.setPeer('b', addr(b));
    // All sent before the link can open, so they all wait in the queue.
    const control = Array.from({ length: 8 }, (_, i) => a.send('b', { t: 'raft', m: heartbeat('a', 'b', i + 1) }));
    assert.deepEqual(control, [true, true, true, true, true, false, false, false]);
    const bulk = Array.from({ length: 5 }, (_, i) => a.send('b', { t: 'raft', m: append('a', 'b', i, 30_000) }));
    assert.deepEqual(bulk, [true, true, true, false, false]);
    const s = a.stats();
    assert.equal(s.dropped.queueFull, 5);
    assert.ok(s.peers.b.queuedFrames === 8 || s.peers.b.state === 'open');
    assert.ok(unreachable.includes('b'));
    await waitFor(() => got.length === 8, 3000, 'the queued frames');
    assert.deepEqual(
      got.filter((m) => m.type === 'heartbeat').map((m) => m.term),
      [1, 2, 3, 4, 5],
    );
  } finally {
    await fleet.stop();
  }
});

test('links: control frames overtake queued bulk frames; bulk keeps its own order', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a', { socketHighWaterBytes: 256 * 1024 });
    const b = await fleet.make('b');
    const got = raftFrames(b);
    a.setPeer('b', addr(b));
    for (let i = 0; i < 30; i++) assert.equal(a.send('b', { t: 'raft', m: append('a', 'b', i, 200_000) }), true);
    assert.equal(a.send('b', { t: 'raft', m: heartbeat('a', 'b', 1) }), true);
    assert.equal(a.send('b', { t: 'raft', m: { type: 'vote', from: 'a', to: 'b', term: 1, lastIndex: 0, lastTerm: 0, transfer: false } }), true);
    await waitFor(() => got.length === 32, 5000, 'all frames');
    const hb = got.findIndex((m) => m.type === 'heartbeat');
    const vote = got.findIndex((m) => m.type === 'vote');
    assert.ok(hb < 2 && vote < 2, `control frames first, got positions ${hb}, ${vote}`);
    const prevs = got.filter((m) => m.type === 'app').map((m) => (m as { prevIndex: number }).prevIndex);
    assert.deepEqual(prevs, Array.from({ length: 30 }, (_, i) => i));
  } finally {
    await fleet.stop();
  }
});

test('links: a heartbeat sent while bulk frames stream is not stuck behind the whole backlog', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a', { socketHighWaterBytes: 128 * 1024 });
    const b = await fleet.make('b');
    const got = raftFrames(b);
    a.setPeer('b', addr(b));
    a.send('b', { t: 'raft', m: heartbeat('a', 'b', 1) });
    await waitFor(() => got.length === 1, 2000, 'link open');
    for (let i = 0; i < 40; i++) a.send('b', { t: 'raft', m: append('a', 'b', i, 250_000) });
    a.send('b', { t: 'raft', m: heartbeat('a', 'b', 2) });
    await waitFor(() => got.length === 42, 8000, 'all frames');
    const pos = got.findIndex((m) => m.type === 'heartbeat' && m.term === 2);
    assert.ok(pos < 10, `the heartbeat arrived at position ${pos} of 42`);
  } finally {
    await fleet.stop();
  }
});

test('links: sends to unknown peers, when stopped, and of bad frames are refused with a reason', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a');
    assert.equal(a.send('nobody', { t: 'raft', m: heartbeat('a', 'nobody') }), false);
    assert.equal(a.send('nobody', { t: 'unregistered' }), false);
    a.setPeer('b', '127.0.0.1:1');
    assert.equal(a.send('b', { t: 'raft', m: { x: 2n ** 70n } } as unknown as Frame), false);
    const s = a.stats();
    assert.equal(s.dropped.noPeer, 1);
    assert.equal(s.dropped.invalid, 2);
    await a.stop();
    assert.equal(a.send('b', { t: 'raft', m: heartbeat('a', 'b') }), false);
    assert.equal(a.stats().dropped.stopped, 1);
  } finally {
    await fleet.stop();
  }
});

test('links: a dead address reports the peer unreachable and backs off', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a', { backoff: { initialMs: 200, maxMs: 400 } });
    const dead = await fleet.make('dead');
    const port = dead.port;
    await dead.stop();
    const unreachable: string[] = [];
    a.onUnreachable((p) => unreachable.push(p));
    a.setPeer('d', `127.0.0.1:${port}`);
    assert.equal(a.send('d', { t: 'raft', m: heartbeat('a', 'd') }), true);
    await waitFor(() => unreachable.length === 1, 2000, 'unreachable');
    assert.equal(a.stats().peers.d.state, 'backoff');
    assert.equal(a.send('d', { t: 'raft', m: heartbeat('a', 'd') }), false);
    assert.equal(a.stats().dropped.noLink, 1);
    assert.equal(a.stats().dropped.linkLost, 1);
  } finally {
    await fleet.stop();
  }
});

test('links: the handshake checks that the dialled address is the expected node', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a');
    const b = await fleet.make('b');
    const unreachable: string[] = [];
    a.onUnreachable((p) => unreachable.push(p));
    a.setPeer('c', addr(b)); // b answers at c's address
    a.send('c', { t: 'raft', m: heartbeat('a', 'c') });
    await waitFor(() => unreachable.includes('c'), 2000, 'unreachable');
    assert.ok(a.stats().handshakesRejected.identity >= 1);
  } finally {
    await fleet.stop();
  }
});

test('raftLink: carries Raft messages, validated, and reports unreachable peers', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a');
    const b = await fleet.make('b');
    const la = raftLink(a);
    const lb = raftLink(b);
    const got: Message[] = [];
    lb.onMessage((m) => got.push(m));
    const unreachable: string[] = [];
    la.onUnreachable((p) => unreachable.push(p));
    a.setPeer('b', addr(b));
    const snap: Message = {
      type: 'snap',
      from: 'a',
      to: 'b',
      term: 2,
      meta: { index: 10, term: 2, config: { voters: ['a', 'b'], nonVoters: [], addresses: { a: addr(a), b: addr(b) } } },
      offset: 0,
      data: new Uint8Array([1, 2, 3]),
      totalSize: 3,
      done: true,
    };
    assert.equal(la.send('b', append('a', 'b', 0, 8)), true);
    assert.equal(la.send('b', snap), true);
    await waitFor(() => got.length === 2, 2000, 'messages');
    assert.equal(got[0].type, 'app');
    const s = got[1] as typeof snap;
    assert.deepEqual([...s.data], [1, 2, 3]);
    assert.deepEqual(s.meta.config.addresses, { a: addr(a), b: addr(b) });
    assert.equal(la.send('nobody', heartbeat('a', 'nobody')), false);
    await b.stop();
    for (let i = 0; i < 20 && !unreachable.includes('b'); i++) {
      la.send('b', heartbeat('a', 'b'));
      await sleep(20);
    }
    assert.ok(unreachable.includes('b'));
  } finally {
    await fleet.stop();
  }
});

test('links: a peer that comes back and dials us ends our back-off towards it at once', async () => {
  const fleet = new Fleet();
  try {
    // A long back-off: without the early redial, b would not hear from a for 10 s.
    const a = await fleet.make('a', { backoff: { initialMs: 10_000, maxMs: 10_000 } });
    const dead = await fleet.make('b');
    const port = dead.port;
    await dead.stop();
    const unreachable: string[] = [];
    a.onUnreachable((p) => unreachable.push(p));
    a.setPeer('b', `127.0.0.1:${port}`);
    a.send('b', { t: 'raft', m: heartbeat('a', 'b') });
    await waitFor(() => unreachable.length === 1, 2000, 'unreachable');
    assert.equal(a.stats().peers.b.state, 'backoff');
    // b restarts on the same port and dials a (as a restarted server does through its own links).
    const b = await fleet.make('b', { port });
    const got: string[] = [];
    b.onFrame((from) => got.push(from));
    b.setPeer('a', addr(a));
    b.send('a', { t: 'raft', m: heartbeat('b', 'a') });
    await waitFor(() => a.stats().peers.b.state === 'open', 3000, "a's link to b reopened before its back-off ended");
    assert.equal(a.send('b', { t: 'raft', m: heartbeat('a', 'b') }), true);
    await waitFor(() => got.includes('a'), 3000, 'b hears from a');
  } finally {
    await fleet.stop();
  }
});
