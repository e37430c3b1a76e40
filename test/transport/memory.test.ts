import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemoryNetwork, raftLink, type Frame, type MemoryTransport } from '../../src/transport/index.ts';
import type { AppendMsg, Message } from '../../src/raft/types.ts';
import { append, captureLogger, heartbeat, sleep, waitFor } from './helpers.ts';

/** A seeded PRNG (mulberry32) so drop-rate tests replay exactly. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function cluster(net: MemoryNetwork, ids: string[], opts: Partial<Parameters<MemoryNetwork['createTransport']>[0]> = {}) {
  const nodes = new Map<string, { t: MemoryTransport; got: Message[] }>();
  for (const id of ids) {
    const t = net.createTransport({ localId: id, ...opts });
    await t.start();
    const got: Message[] = [];
    t.onFrame((_from, f: Frame) => {
      if (f.t === 'raft') got.push(f.m as Message);
    });
    nodes.set(id, { t, got });
  }
  for (const a of nodes.values()) for (const b of nodes.values()) a.t.setPeer(b.t.localId, b.t.address);
  return nodes;
}

const hb = (from: string, to: string, term = 1): Frame => ({ t: 'raft', m: heartbeat(from, to, term) });

test('memory: delivers through the codec (copies) and validates like the wire', async () => {
  const net = new MemoryNetwork();
  const n = await cluster(net, ['a', 'b']);
  const a = n.get('a')!;
  const b = n.get('b')!;
  const msg = append('a', 'b', 0, 4) as AppendMsg;
  assert.equal(a.t.send('b', { t: 'raft', m: msg }), true);
  msg.entries[0].data[0] = 99; // mutating after send changes nothing
  await waitFor(() => b.got.length === 1);
  assert.equal((b.got[0] as AppendMsg).entries[0].data[0], 7);
  // A frame claiming another sender or an invalid message is refused by the receiver.
  a.t.send('b', { t: 'raft', m: heartbeat('c', 'b') });
  a.t.send('b', { t: 'raft', m: { ...heartbeat('a', 'b'), term: 1.5 } });
  await sleep(10);
  assert.equal(b.got.length, 1);
  assert.equal(b.t.stats().rejected.wrongSender, 1);
  assert.equal(b.t.stats().rejected.invalid, 1);
  assert.equal(a.t.send('nobody', hb('a', 'nobody')), false);
  assert.equal(a.t.stats().dropped.noPeer, 1);
});

test('memory: one-way cut, partition, isolate and heal', async () => {
  const net = new MemoryNetwork();
  const n = await cluster(net, ['a', 'b', 'c']);
  const [a, b, c] = ['a', 'b', 'c'].map((id) => n.get(id)!);
  net.cut('a', 'b');
  a.t.send('b', hb('a', 'b'));
  b.t.send('a', hb('b', 'a'));
  await sleep(10);
  assert.equal(b.got.length, 0, 'a → b is cut');
  assert.equal(a.got.length, 1, 'b → a still works');
  net.heal();
  net.partition(['a'], ['b', 'c']);
  a.t.send('b', hb('a', 'b'));
  c.t.send('a', hb('c', 'a'));
  b.t.send('c', hb('b', 'c'));
  await sleep(10);
  assert.equal(b.got.length, 0);
  assert.equal(a.got.length, 1);
  assert.equal(c.got.length, 1, 'inside a side, links work');
  net.heal();
  net.isolate('c');
  a.t.send('c', hb('a', 'c'));
  c.t.send('b', hb('c', 'b'));
  a.t.send('b', hb('a', 'b'));
  await sleep(10);
  assert.equal(c.got.length, 1);
  assert.equal(b.got.length, 1);
  await assert.rejects(a.t.identify(c.t.address), /cannot reach/);
  net.heal();
  a.t.send('c', hb('a', 'c'));
  await waitFor(() => c.got.length === 2);
  assert.ok(net.faultDrops >= 5);
});

test('memory: drop rate with a seeded random source is reproducible', async () => {
  const run = async (seed: number) => {
    const net = new MemoryNetwork({ random: seeded(seed) });
    const n = await cluster(net, ['a', 'b']);
    net.setDropRate(0.3, 'a', 'b');
    for (let i = 0; i < 200; i++) n.get('a')!.t.send('b', hb('a', 'b', i + 1));
    await sleep(20);
    return n.get('b')!.got.map((m) => m.term);
  };
  const first = await run(7);
  assert.deepEqual(await run(7), first);
  assert.ok(first.length > 100 && first.length < 180, `delivered ${first.length} of 200`);
  assert.throws(() => new MemoryNetwork().setDropRate(2), /drop rate must be a number in \[0, 1\]/);
});

test('memory: delay per link, and frames keep their order', async () => {
  const net = new MemoryNetwork();
  const n = await cluster(net, ['a', 'b', 'c']);
  net.setDelay(60, 'a', 'b');
  const t0 = Date.now();
  for (let i = 1; i <= 5; i++) n.get('a')!.t.send('b', hb('a', 'b', i));
  n.get('a')!.t.send('c', hb('a', 'c'));
  await waitFor(() => n.get('c')!.got.length === 1);
  assert.equal(n.get('b')!.got.length, 0);
  await waitFor(() => n.get('b')!.got.length === 5, 2000);
  assert.ok(Date.now() - t0 >= 55);
  assert.deepEqual(n.get('b')!.got.map((m) => m.term), [1, 2, 3, 4, 5]);
  assert.throws(() => net.setDelay(-1), /delay must be a non-negative number/);
});

test('memory: a stopped peer is reported unreachable; in-flight bound drops as queueFull', async () => {
  const net = new MemoryNetwork();
  const n = await cluster(net, ['a', 'b'], { maxInFlight: 3 });
  const a = n.get('a')!;
  const unreachable: string[] = [];
  a.t.onUnreachable((p) => unreachable.push(p));
  net.setDelay(30);
  const sent = Array.from({ length: 5 }, (_, i) => a.t.send('b', hb('a', 'b', i + 1)));
  assert.deepEqual(sent, [true, true, true, false, false]);
  assert.equal(a.t.stats().dropped.queueFull, 2);
  await waitFor(() => n.get('b')!.got.length === 3);
  net.heal();
  await n.get('b')!.t.stop();
  a.t.send('b', hb('a', 'b'));
  await waitFor(() => unreachable.filter((p) => p === 'b').length >= 3, 1000);
  assert.equal(a.t.stats().peers.b.state, 'idle');
  await n.get('b')!.t.start();
  a.t.send('b', hb('a', 'b', 9));
  await waitFor(() => n.get('b')!.got.some((m) => m.term === 9));
});

test('memory: cluster ids and encrypt keys are checked as in the WebSocket handshake', async () => {
  const net = new MemoryNetwork();
  const log = captureLogger();
  const a = net.createTransport({ localId: 'a', clusterId: 'c-one', logger: log });
  const b = net.createTransport({ localId: 'b', clusterId: 'c-two' });
  const c = net.createTransport({ localId: 'c', clusterId: '' });
  for (const t of [a, b, c]) await t.start();
  const got: string[] = [];
  for (const t of [a, b, c]) t.onFrame((from) => got.push(`${from}->${t.localId}`));
  a.setPeer('b', b.address);
  a.setPeer('c', c.address);
  a.send('b', hb('a', 'b'));
  a.send('c', hb('a', 'c'));
  await sleep(10);
  assert.deepEqual(got, ['a->c']);
  assert.equal(a.stats().handshakesRejected.cluster, 1);
  assert.equal(b.stats().handshakesRejected.cluster, 1);
  assert.ok(log.lines.some((l) => l.msg.includes('c-one') && l.msg.includes('c-two')));
  c.setClusterId('c-two');
  a.send('c', hb('a', 'c'));
  await sleep(10);
  assert.deepEqual(got, ['a->c']);

  const key = randomBytes(32).toString('base64');
  const k1 = net.createTransport({ localId: 'k1', encrypt: key });
  const k2 = net.createTransport({ localId: 'k2', encrypt: key });
  const k3 = net.createTransport({ localId: 'k3', encrypt: randomBytes(32).toString('base64') });
  for (const t of [k1, k2, k3]) await t.start();
  assert.deepEqual(await k1.identify(k2.address), { node: 'k2', cluster: '' });
  await assert.rejects(k1.identify(k3.address), /encrypt/);
  await assert.rejects(a.identify(k1.address), /encrypt/);
  assert.throws(() => net.createTransport({ localId: 'bad', encrypt: 'AAAA' }), /encrypt: the key must be 32 bytes/);
  assert.throws(() => net.createTransport({ localId: 'a' }), /already taken/);
});

test('memory: raftLink over the memory transport', async () => {
  const net = new MemoryNetwork();
  const n = await cluster(net, ['a', 'b']);
  const la = raftLink(n.get('a')!.t);
  const lb = raftLink(n.get('b')!.t);
  const got: Message[] = [];
  lb.onMessage((m) => got.push(m));
  la.send('b', { type: 'voteResp', from: 'a', to: 'b', term: 3, reject: false });
  await waitFor(() => got.length === 1);
  assert.deepEqual(got[0], { type: 'voteResp', from: 'a', to: 'b', term: 3, reject: false });
});
