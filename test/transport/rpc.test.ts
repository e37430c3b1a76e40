import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryNetwork, RequestError, type PeerIdentity, type Transport } from '../../src/transport/index.ts';
import { addr, Fleet, heartbeat, sleep, waitFor } from './helpers.ts';

/** The same request/response checks against any transport pair; `b` answers at `bAddr`. */
async function exercise(a: Transport, b: Transport, bAddr: string): Promise<void> {
  const seen: PeerIdentity[] = [];
  b.handle('echo', (body, from) => {
    seen.push(from);
    return { echoed: body };
  });
  b.handle('async', async (body) => {
    await sleep(5);
    return (body as { n: number }).n * 2;
  });
  b.handle('fails', () => {
    throw new Error('no such job: x');
  });
  b.handle('slow', () => new Promise((r) => setTimeout(() => r('late'), 500)));

  assert.deepEqual(await a.request(bAddr, 'echo', { x: [1, 2], bytes: new Uint8Array([5]) }, 1000), { echoed: { x: [1, 2], bytes: Buffer.from([5]) } });
  assert.deepEqual(seen[0], { node: a.localId, cluster: a.clusterId });
  assert.equal(await a.request(bAddr, 'async', { n: 21 }, 1000), 42);
  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => a.request(bAddr, 'async', { n: i }, 2000)));
  assert.deepEqual(many, Array.from({ length: 20 }, (_, i) => i * 2));

  await assert.rejects(a.request(bAddr, 'fails', null, 1000), (e: unknown) => {
    assert.ok(e instanceof RequestError);
    assert.equal(e.code, 'remote');
    assert.equal(e.message, 'no such job: x');
    return true;
  });
  await assert.rejects(a.request(bAddr, 'unknown-method', null, 1000), /no handler for method "unknown-method"/);
  await assert.rejects(a.request(bAddr, 'slow', null, 50), (e: unknown) => {
    assert.ok(e instanceof RequestError);
    assert.equal(e.code, 'timeout');
    assert.match(e.message, new RegExp(`request "slow" to ${bAddr.replace(/[.]/g, '\\.')} timed out after 50 ms`));
    return true;
  });
  await assert.rejects(a.request(bAddr, '', null, 100), /method must be a non-empty string/);
  await assert.rejects(a.request(bAddr, 'echo', null, -1), /timeoutMs must be a positive number/);
  assert.throws(() => b.handle('echo', () => 1), /already has a handler/);
  assert.deepEqual(await a.identify(bAddr), { node: b.localId, cluster: b.clusterId });
}

test('rpc over WebSockets: request/response to an address that is not a known peer', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a');
    const b = await fleet.make('b', { clusterId: 'c1' });
    await exercise(a, b, addr(b));
    // The caller learns nothing is there fast, without waiting for the timeout.
    const dead = await fleet.make('dead');
    const deadAddr = addr(dead);
    await dead.stop();
    const t0 = Date.now();
    await assert.rejects(a.request(deadAddr, 'echo', null, 5000), (e: unknown) => e instanceof RequestError && e.code === 'unreachable' && e.message.includes(deadAddr));
    assert.ok(Date.now() - t0 < 2000);
    await assert.rejects(a.request('no-port', 'echo', null, 100), /has no port/);
    // A response over the frame limit comes back as an error, not a hang.
    const small = await fleet.make('small', { maxFrameBytes: 1024 });
    small.handle('big', () => 'x'.repeat(5000));
    await assert.rejects(a.request(addr(small), 'big', null, 1000), /over the 1024-byte frame limit/);
  } finally {
    await fleet.stop();
  }
});

test('rpc over WebSockets: requests reuse an open peer link, and fail when the transport stops', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a');
    const b = await fleet.make('b');
    b.handle('ping', () => 'pong');
    b.handle('never', () => new Promise(() => {}));
    a.setPeer('b', addr(b));
    a.send('b', { t: 'raft', m: heartbeat('a', 'b') });
    await waitFor(() => a.stats().peers.b.state === 'open', 2000, 'peer link open');
    assert.equal(await a.request(addr(b), 'ping', null, 1000), 'pong');
    const pending = a.request(addr(b), 'never', null, 5000);
    await sleep(20);
    await a.stop();
    await assert.rejects(pending, (e: unknown) => e instanceof RequestError && (e.code === 'stopped' || e.code === 'unreachable'));
    await assert.rejects(a.request(addr(b), 'ping', null, 100), (e: unknown) => e instanceof RequestError && e.code === 'stopped');
  } finally {
    await fleet.stop();
  }
});

test('rpc over WebSockets: a request to a peer that restarts fails fast, the next one succeeds', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a');
    const b = await fleet.make('b');
    b.handle('ping', () => 'pong');
    const at = addr(b);
    assert.equal(await a.request(at, 'ping', null, 1000), 'pong');
    await b.stop();
    await assert.rejects(a.request(at, 'ping', null, 2000), (e: unknown) => e instanceof RequestError && e.code === 'unreachable');
    await b.start();
    assert.equal(await a.request(at, 'ping', null, 1000), 'pong');
  } finally {
    await fleet.stop();
  }
});

test('rpc over the memory transport: the same behaviour', async () => {
  const net = new MemoryNetwork();
  const a = net.createTransport({ localId: 'a' });
  const b = net.createTransport({ localId: 'b', clusterId: 'c1' });
  await a.start();
  await b.start();
  try {
    await exercise(a, b, b.address);
    await assert.rejects(a.request('nowhere:1', 'echo', null, 1000), (e: unknown) => e instanceof RequestError && e.code === 'unreachable');
    net.cut('a', 'b');
    await assert.rejects(a.request(b.address, 'echo', null, 50), (e: unknown) => e instanceof RequestError && e.code === 'timeout');
    net.heal();
    net.cut('b', 'a'); // the response is lost
    await assert.rejects(a.request(b.address, 'echo', null, 50), /timed out/);
    net.heal();
    assert.deepEqual(await a.request(b.address, 'echo', 1, 1000), { echoed: 1 });
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('rpc over WebSockets: a request that never left is marked notDelivered; one that may have arrived is not', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a');
    const b = await fleet.make('b');
    let calls = 0;
    b.handle('slow', async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 300));
      return 'late';
    });
    const at = addr(b);
    // Delivered, then the peer goes away mid-request: maybe applied, so not marked.
    const inFlight = a.request(at, 'slow', null, 5000);
    while (calls === 0) await new Promise((r) => setTimeout(r, 5));
    await b.stop();
    await assert.rejects(inFlight, (e: unknown) => e instanceof RequestError && e.code === 'unreachable' && !e.notDelivered);
    // Nothing listens: the link never opens, the request never left.
    await assert.rejects(a.request(at, 'slow', null, 2000), (e: unknown) => e instanceof RequestError && e.code === 'unreachable' && e.notDelivered);
  } finally {
    await fleet.stop();
  }
});
