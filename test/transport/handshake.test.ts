import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseEncryptKey, type Frame, type NodeId } from '../../src/transport/index.ts';
import type { Message } from '../../src/raft/types.ts';
import { WsTransport } from '../../src/transport/ws-transport.ts';
import { addr, captureLogger, Fleet, heartbeat, sleep, waitFor } from './helpers.ts';

function collect(t: WsTransport): Message[] {
  const got: Message[] = [];
  t.onFrame((_from: NodeId, f: Frame) => {
    if (f.t === 'raft') got.push(f.m as Message);
  });
  return got;
}

/** Sends heartbeats a → b until one arrives (true) or `ms` passes (false). */
async function delivers(a: WsTransport, b: WsTransport, got: Message[], ms = 1500): Promise<boolean> {
  const end = Date.now() + ms;
  const before = got.length;
  while (Date.now() < end) {
    a.send(b.localId, { t: 'raft', m: heartbeat(a.localId, b.localId) });
    await sleep(20);
    if (got.length > before) return true;
  }
  return false;
}

test('handshake: same cluster id delivers frames; the handshake names the sender', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a', { clusterId: 'c1' });
    const b = await fleet.make('b', { clusterId: 'c1' });
    const got = collect(b);
    a.setPeer('b', addr(b));
    assert.equal(await delivers(a, b, got), true);
    assert.equal(got[0].from, 'a');
    assert.deepEqual(await a.identify(addr(b)), { node: 'b', cluster: 'c1' });
    assert.equal(b.stats().inboundConnections >= 1, true);
  } finally {
    await fleet.stop();
  }
});

test('handshake: an empty cluster id is compatible with any; setClusterId adopts and re-makes links', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a', { clusterId: '' });
    const b = await fleet.make('b', { clusterId: 'c1' });
    const gotB = collect(b);
    a.setPeer('b', addr(b));
    assert.equal(await delivers(a, b, gotB), true, 'a (never joined) reaches b');
    a.setClusterId('c1');
    assert.equal(a.clusterId, 'c1');
    assert.equal(await delivers(a, b, gotB), true, 'after adopting the same id');
    // Adopting another id: the re-made link is refused.
    a.setClusterId('c2');
    assert.equal(await delivers(a, b, gotB, 400), false, 'a in c2 is refused by b in c1');
    assert.ok(a.stats().handshakesRejected.cluster >= 1);
    assert.throws(() => a.setClusterId(42 as unknown as string), /cluster id must be a string/);
  } finally {
    await fleet.stop();
  }
});

test('handshake: a foreign cluster is refused on both sides with a log line naming both ids', async () => {
  const fleet = new Fleet();
  const logA = captureLogger();
  const logB = captureLogger();
  try {
    const a = await fleet.make('a', { clusterId: 'cluster-aaa', logger: logA });
    const b = await fleet.make('b', { clusterId: 'cluster-bbb', logger: logB });
    const got = collect(b);
    a.setPeer('b', addr(b));
    assert.equal(await delivers(a, b, got, 400), false);
    assert.equal(got.length, 0);
    for (const [name, log, t] of [['a', logA, a], ['b', logB, b]] as const) {
      assert.ok(t.stats().handshakesRejected.cluster >= 1, `${name} counts the refusal`);
      const line = log.lines.find((l) => l.level === 'warn' && /handshake/.test(l.msg) && (l.msg + JSON.stringify(l.obj)).includes('cluster-aaa') && (l.msg + JSON.stringify(l.obj)).includes('cluster-bbb'));
      assert.ok(line, `${name} logs a line naming both cluster ids: ${JSON.stringify(log.lines)}`);
    }
    await assert.rejects(a.identify(addr(b)), /cluster/);
  } finally {
    await fleet.stop();
  }
});

test('handshake: an inbound connection from another cluster is closed when we adopt ours', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a', { clusterId: 'c-other' });
    const b = await fleet.make('b', { clusterId: '' });
    const got = collect(b);
    a.setPeer('b', addr(b));
    assert.equal(await delivers(a, b, got), true);
    b.setClusterId('c-mine');
    await waitFor(() => b.stats().inboundConnections === 0, 2000, 'the foreign connection to close');
    assert.equal(await delivers(a, b, got, 400), false);
  } finally {
    await fleet.stop();
  }
});

test('handshake: encrypt key right, wrong and missing', async () => {
  const key = randomBytes(32).toString('base64');
  const other = randomBytes(32).toString('base64');
  const fleet = new Fleet();
  try {
    const b = await fleet.make('b', { encrypt: key });
    const got = collect(b);
    const right = await fleet.make('right', { encrypt: key });
    right.setPeer('b', addr(b));
    assert.equal(await delivers(right, b, got), true, 'the same key');

    const wrong = await fleet.make('wrong', { encrypt: other });
    wrong.setPeer('b', addr(b));
    assert.equal(await delivers(wrong, b, got, 400), false, 'a different key');
    assert.ok(wrong.stats().handshakesRejected.encrypt >= 1);
    assert.ok(b.stats().handshakesRejected.encrypt >= 1);

    const none = await fleet.make('none');
    none.setPeer('b', addr(b));
    assert.equal(await delivers(none, b, got, 400), false, 'no key against a key');

    // And a keyed dialer against an acceptor without a key.
    const plain = await fleet.make('plain');
    const gotPlain = collect(plain);
    right.setPeer('plain', addr(plain));
    assert.equal(await delivers(right, plain, gotPlain, 400), false, 'a key against no key');
    assert.ok(plain.stats().handshakesRejected.encrypt >= 1);
    assert.ok(got.every((m) => m.from === 'right'));
  } finally {
    await fleet.stop();
  }
});

test('handshake: the encrypt key and other options are validated with clear errors', () => {
  assert.throws(() => parseEncryptKey('not base64!'), /encrypt: the key is not valid base64/);
  assert.throws(() => parseEncryptKey(randomBytes(16).toString('base64')), /32 bytes.*got 16/);
  assert.throws(() => parseEncryptKey(''), /non-empty/);
  assert.equal(parseEncryptKey(randomBytes(32).toString('base64')).length, 32);
  assert.throws(() => new WsTransport({ localId: 'a', encrypt: 'short' }), /encrypt/);
  assert.throws(() => new WsTransport({ localId: '' }), /localId must not be empty/);
  assert.throws(() => new WsTransport({ localId: 'a', port: 70000 }), /port must be an integer in 0-65535/);
  assert.throws(() => new WsTransport({ localId: 'a', maxFrameBytes: -1 }), /maxFrameBytes/);
  const t = new WsTransport({ localId: 'a', port: 0 });
  assert.throws(() => t.setPeer('b', 'nohost'), /has no port/);
  assert.throws(() => t.setPeer('', '127.0.0.1:1'), /peer id must not be empty/);
  assert.throws(() => t.registerKind('hello', { validate: () => undefined }), /reserved/);
  assert.throws(() => t.registerKind('req', { validate: () => undefined }), /reserved/);
});
