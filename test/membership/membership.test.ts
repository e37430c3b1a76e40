import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Membership, MembershipError, RPC } from '../../src/membership/index.ts';
import { FakeNet } from './fake-net.ts';
import { TestCluster, localServer } from './helpers.ts';

/** a, b, c fully joined. */
async function three(t: { after(fn: () => void): void }, opts: { indirectChecks?: number } = {}): Promise<TestCluster> {
  const c = new TestCluster();
  t.after(() => c.stopAll());
  c.add('a', 1, opts);
  c.add('b', 2, opts);
  c.add('c', 3, opts);
  assert.deepEqual(await c.get('b').join(['10.0.0.1']), { joined: 1, errors: [] });
  assert.deepEqual(await c.get('c').join(['10.0.0.1:4647']), { joined: 1, errors: [] });
  await c.get('b').antiEntropyRound();
  for (const n of ['a', 'b', 'c']) assert.deepEqual(c.names(n), ['a.global', 'b.global', 'c.global'], `view of ${n}`);
  return c;
}

test('join exchanges state both ways; a member carries its tags', async (t) => {
  const c = new TestCluster();
  t.after(() => c.stopAll());
  c.add('a', 1);
  c.add('b', 2);
  const r = await c.get('b').join(['10.0.0.1']); // no port: 4647
  assert.deepEqual(r, { joined: 1, errors: [] });
  assert.deepEqual(c.names('a'), ['a.global', 'b.global']);
  assert.deepEqual(c.names('b'), ['a.global', 'b.global']);
  const a = c.view('b', 'a')!;
  assert.equal(a.id, 'id-a');
  assert.equal(a.addr, '10.0.0.1');
  assert.equal(a.port, 4647);
  assert.equal(a.status, 'alive');
  assert.deepEqual(a.tags, {
    role: 'nomad', region: 'global', dc: 'dc1', build: '0.1.0', vsn: '1', raft_vsn: '3', id: 'id-a',
    rpc_addr: '10.0.0.1', port: '4647', http_addr: '10.0.0.1:4646', expect: '3',
  });
  assert.ok(c.events.some((e) => e.observer === 'a' && e.name === 'b.global' && e.previous === 'none' && e.status === 'alive'));
});

test('join reports every address that failed, and counts the ones that answered', async (t) => {
  const c = new TestCluster();
  t.after(() => c.stopAll());
  c.add('a', 1);
  c.add('b', 2);
  const r = await c.get('b').join(['10.0.0.1:4648', '10.0.0.9', 'host:99999', 'provider=aws tag_key=x']);
  assert.equal(r.joined, 1, '4648 is read as 4647');
  assert.equal(r.errors.length, 3);
  assert.match(r.errors.join('\n'), /10\.0\.0\.9: request to 10\.0\.0\.9:4647 timed out|10\.0\.0\.9: connection refused/);
  assert.match(r.errors.join('\n'), /"host:99999" has port 99999, outside 1-65535/);
  assert.match(r.errors.join('\n'), /cloud auto-join/);
  await assert.rejects(c.get('b').join([]), /missing address to join/);
});

test('anti-entropy spreads news to everyone without all-to-all joins', async (t) => {
  const c = new TestCluster();
  t.after(() => c.stopAll());
  const names = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
  names.forEach((n, i) => c.add(n, i + 1));
  for (let i = 1; i < names.length; i++) await c.get(names[i]!).join([`10.0.0.${i}`]); // each joins only its predecessor
  const converged = () => names.every((n) => c.names(n).length === names.length);
  let rounds = 0;
  while (!converged() && rounds < 20) {
    rounds++;
    for (const n of names) await c.get(n).antiEntropyRound();
  }
  assert.ok(converged(), `converged after ${rounds} rounds`);
  assert.ok(rounds <= 5, `took ${rounds} rounds`);
});

test('failure detector: silent member becomes failed after failure_timeout, alive again when it answers', async (t) => {
  const c = await three(t);
  const A = c.get('a');
  c.net.setDown('10.0.0.3:4647');
  c.time = 1000;
  await A.probeRound();
  assert.equal(c.status('a', 'c'), 'alive', 'not yet: 1 s < failure_timeout');
  c.time = 5000;
  await A.probeRound();
  assert.equal(c.status('a', 'c'), 'failed');
  assert.ok(c.events.some((e) => e.observer === 'a' && e.name === 'c.global' && e.status === 'failed' && e.previous === 'alive'));
  const incBefore = c.get('c').local().incarnation;

  // the news reaches b through anti-entropy (a's only alive peer is b)
  await A.antiEntropyRound();
  assert.equal(c.status('b', 'c'), 'failed');

  // c answers again: it refutes the failure with a newer incarnation, and both see it alive
  c.net.setDown('10.0.0.3:4647', false);
  c.time = 6000;
  await A.probeRound();
  assert.equal(c.status('a', 'c'), 'alive');
  assert.ok(c.get('c').local().incarnation > incBefore, 'c raised its incarnation');
  assert.ok(c.events.some((e) => e.observer === 'a' && e.name === 'c.global' && e.status === 'alive' && e.previous === 'failed'));
  await c.get('b').probeRound(); // b probes failed members too
  assert.equal(c.status('b', 'c'), 'alive');
  // a later probe round within the timeout keeps it alive
  c.time = 10_000;
  await A.probeRound();
  assert.equal(c.status('a', 'c'), 'alive');
});

test('a broken link is not a dead server: indirect probes vouch for it', async (t) => {
  const c = await three(t);
  c.net.cutLink('10.0.0.1:4647', '10.0.0.3:4647');
  c.time = 6000;
  await c.get('a').probeRound();
  assert.equal(c.status('a', 'c'), 'alive', 'b reached c for a');

  const d = await three(t, { indirectChecks: 0 });
  d.net.cutLink('10.0.0.1:4647', '10.0.0.3:4647');
  d.time = 6000;
  await d.get('a').probeRound();
  assert.equal(d.status('a', 'c'), 'failed', 'without indirect probes the cut link looks like a failure');
});

test('leave: others see left at once; left is sticky against older news', async (t) => {
  const c = await three(t);
  c.add('d', 4);
  await c.get('d').join(['10.0.0.1']);
  assert.equal(c.status('d', 'c'), 'alive');
  c.net.setDown('10.0.0.4:4647'); // d misses the leave and keeps an older record of c

  const C = c.get('c');
  await C.leave();
  assert.equal(C.local().status, 'left');
  assert.equal(c.status('a', 'c'), 'left');
  assert.equal(c.status('b', 'c'), 'left');
  assert.equal(c.status('d', 'c'), 'alive');
  const cEvents = c.events.filter((e) => e.observer === 'c' && e.name === 'c.global').map((e) => e.status);
  assert.deepEqual(cEvents.slice(-2), ['leaving', 'left']);
  assert.ok(c.events.some((e) => e.observer === 'a' && e.name === 'c.global' && e.status === 'left' && e.previous === 'alive'));

  // d comes back and pushes its stale "alive" for c: a keeps "left", and d learns it
  c.net.setDown('10.0.0.4:4647', false);
  await c.get('d').join(['10.0.0.1']);
  assert.equal(c.status('a', 'c'), 'left');
  assert.equal(c.status('d', 'c'), 'left');
  // left members are not probed, so they never turn failed
  c.time = 20_000;
  await c.get('a').probeRound();
  assert.equal(c.status('a', 'c'), 'left');
  // a second leave is a no-op
  await C.leave();
});

test('failed members are reaped after reap_timeout and reported as left; older news cannot bring them back', async (t) => {
  const c = await three(t);
  c.net.setDown('10.0.0.3:4647');
  c.time = 5000;
  await c.get('a').probeRound();
  await c.get('b').probeRound();
  assert.equal(c.status('a', 'c'), 'failed');
  assert.equal(c.status('b', 'c'), 'failed');
  c.time = 5000 + 59_000;
  await c.get('a').probeRound();
  assert.equal(c.status('a', 'c'), 'failed', 'not before reap_timeout');
  c.time = 5000 + 60_000;
  await c.get('a').probeRound();
  assert.equal(c.view('a', 'c'), undefined, 'reaped');
  const reap = c.events.find((e) => e.observer === 'a' && e.name === 'c.global' && e.removed);
  assert.deepEqual(reap && { status: reap.status, previous: reap.previous }, { status: 'left', previous: 'failed' });

  // b still lists c as failed; its push does not resurrect c at a, and b learns the reap
  await c.get('b').join(['10.0.0.1']);
  assert.equal(c.view('a', 'c'), undefined);
  assert.equal(c.view('b', 'c'), undefined);
});

test('force-leave marks a failed member left everywhere; prune drops it from every list', async (t) => {
  const c = await three(t);
  const A = c.get('a');
  await assert.rejects(A.forceLeave('nope.global'), (e: unknown) => e instanceof MembershipError && e.code === 'unknown-member' && /no member named "nope.global"/.test(e.message));
  await assert.rejects(A.forceLeave('a.global'), (e: unknown) => e instanceof MembershipError && e.code === 'self');
  await assert.rejects(A.forceLeave(''), /missing node to force leave/);
  assert.equal(await A.forceLeave('c.global'), false, 'an alive member is left alone');
  assert.equal(c.status('a', 'c'), 'alive');

  c.net.setDown('10.0.0.3:4647');
  c.time = 5000;
  await A.probeRound();
  assert.equal(c.status('a', 'c'), 'failed');
  assert.equal(await A.forceLeave('c.global'), true);
  assert.equal(c.status('a', 'c'), 'left');
  assert.equal(c.status('b', 'c'), 'left', 'b was told');
  assert.ok(c.events.some((e) => e.observer === 'b' && e.name === 'c.global' && e.status === 'left'));

  assert.equal(await A.forceLeave('c.global', true), true);
  assert.equal(c.view('a', 'c'), undefined);
  assert.equal(c.view('b', 'c'), undefined, 'the prune spread to b');
  assert.equal(await A.forceLeave('c.global', true), false, 'pruning again is a no-op');
});

test('a restarted member comes back alive with a higher incarnation, even after leaving', async (t) => {
  const c = await three(t);
  const oldInc = c.get('c').local().incarnation;
  await c.get('c').leave();
  c.get('c').stop();
  assert.equal(c.status('a', 'c'), 'left');

  // same name, same address, started with a LOWER incarnation: it refutes the stale "left"
  const c2 = c.add('c', 3, { incarnation: 1 });
  const r = await c2.join(['10.0.0.1']);
  assert.deepEqual(r, { joined: 1, errors: [] });
  assert.ok(c2.local().incarnation > oldInc + 1, 'incarnation above the left record');
  assert.equal(c.status('a', 'c'), 'alive');
  await c.get('a').antiEntropyRound();
  assert.equal(c.status('b', 'c'), 'alive');
  assert.equal(c2.local().status, 'alive');
});

test('a reaped member that restarts is listed again', async (t) => {
  const c = await three(t);
  c.net.setDown('10.0.0.3:4647');
  c.time = 5000;
  await c.get('a').probeRound();
  c.time = 70_000;
  await c.get('a').probeRound();
  assert.equal(c.view('a', 'c'), undefined);
  c.get('c').stop();
  c.net.setDown('10.0.0.3:4647', false);
  const c2 = c.add('c', 3, { incarnation: 1 });
  await c2.join(['10.0.0.1']);
  assert.equal(c.status('a', 'c'), 'alive');
});

test('restart with a newer incarnation is accepted directly', async (t) => {
  const c = await three(t);
  c.get('c').stop();
  const c2 = c.add('c', 3, { incarnation: 50, local: { build: '0.2.0' } });
  await c2.join(['10.0.0.2']);
  assert.equal(c.view('b', 'c')?.incarnation, 50);
  assert.equal(c.view('b', 'c')?.tags.build, '0.2.0');
  assert.ok(c.events.some((e) => e.observer === 'b' && e.name === 'c.global' && e.status === 'alive' && e.previous === 'alive'), 'an identity change is reported');
});

test('handlers refuse malformed bodies with errors naming the problem', async (t) => {
  const net = new FakeNet();
  const m = new Membership({ local: localServer('a', 1), rpc: net.endpoint('10.0.0.1:4647'), incarnation: 1 });
  m.start();
  t.after(() => m.stop());
  const client = net.endpoint('10.0.0.9:4647');
  await assert.rejects(client.request('10.0.0.1:4647', RPC.pushPull, {}, 100), /push\/pull from must be an object/);
  await assert.rejects(client.request('10.0.0.1:4647', RPC.pushPull, 'x', 100), /push\/pull body must be an object/);
  const from = { name: 'z.global', id: 'z', addr: '10.0.0.9', port: 4647, status: 'alive', incarnation: 1, tags: {} };
  await assert.rejects(client.request('10.0.0.1:4647', RPC.pushPull, { from, members: 'no', tombstones: [] }, 100), /push\/pull members must be an array/);
  await assert.rejects(client.request('10.0.0.1:4647', RPC.ping, { from: { ...from, status: 'zombie' }, target: 'a.global' }, 100), /status must be one of alive, leaving, failed, left/);
  await assert.rejects(client.request('10.0.0.1:4647', RPC.ping, { from: { ...from, port: 0 }, target: 'a.global' }, 100), /port must be 1-65535/);
  await assert.rejects(client.request('10.0.0.1:4647', RPC.ping, { from: { ...from, incarnation: -1 }, target: 'a.global' }, 100), /incarnation must be a non-negative integer/);
  const ok = await client.request('10.0.0.1:4647', RPC.ping, { from, target: 'a.global' }, 100) as { member: { name: string } };
  assert.equal(ok.member.name, 'a.global');
  assert.deepEqual(m.members().map((x) => x.name), ['a.global', 'z.global'], 'a valid ping teaches the sender');
  m.stop();
  await assert.rejects(client.request('10.0.0.1:4647', RPC.ping, { from, target: 'a.global' }, 100), /membership of a.global is stopped/);
});

test('bad options and wrong lifecycle calls are refused clearly', async () => {
  const net = new FakeNet();
  const rpc = net.endpoint('10.0.0.1:4647');
  assert.throws(() => new Membership({ local: localServer('a', 1, { port: 0 }), rpc }), /local server port 0 is not a port number/);
  assert.throws(() => new Membership({ local: localServer('a', 1, { nodeId: '' }), rpc }), /local server nodeId must be a non-empty string/);
  assert.throws(() => new Membership({ local: localServer('a', 1, { expect: -1 }), rpc }), /expect -1 must be an integer >= 0/);
  assert.throws(() => new Membership({ local: localServer('a', 1), rpc, probeIntervalMs: 0 }), /probeIntervalMs must be a positive number/);
  assert.throws(() => new Membership({ local: localServer('a', 1), rpc: {} as never }), /rpc must provide request\(\) and handle\(\)/);
  const m = new Membership({ local: localServer('a', 1), rpc });
  await assert.rejects(m.join(['10.0.0.2']), /cannot join: membership is not started/);
  await assert.rejects(m.leave(), /not started/);
  m.start();
  assert.throws(() => m.start(), /cannot start: it is running/);
  m.stop();
  assert.throws(() => m.start(), /create a new one to restart/);
  await assert.rejects(m.forceLeave('x'), /stopped/);
});

test('a listener that throws does not break the membership', async (t) => {
  const c = new TestCluster();
  t.after(() => c.stopAll());
  const a = c.add('a', 1);
  a.onChange(() => { throw new Error('boom'); });
  c.add('b', 2);
  assert.deepEqual(await c.get('b').join(['10.0.0.1']), { joined: 1, errors: [] });
  assert.equal(c.status('a', 'b'), 'alive');
});

test('with real timers: members converge, a stopped member fails, a restarted one is alive again', async (t) => {
  const net = new FakeNet();
  const nodes: Membership[] = [];
  const make = (name: string, i: number, incarnation = 1) => {
    const m = new Membership({
      local: localServer(name, i), rpc: net.endpoint(`10.0.0.${i}:4647`), incarnation,
      probeIntervalMs: 10, probeTimeoutMs: 20, failureTimeoutMs: 120, antiEntropyIntervalMs: 15,
    });
    m.start();
    nodes.push(m);
    return m;
  };
  t.after(() => { for (const n of nodes) n.stop(); });
  const a = make('a', 1);
  const b = make('b', 2);
  const c = make('c', 3);
  await b.join(['10.0.0.1']);
  await c.join(['10.0.0.2']);
  const until = async (what: string, fn: () => boolean) => {
    const end = Date.now() + 3000;
    while (!fn()) {
      if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const st = (m: Membership, n: string) => m.members().find((x) => x.name === `${n}.global`)?.status;
  await until('a knows c', () => st(a, 'c') === 'alive');
  c.stop();
  await until('a and b see c failed', () => st(a, 'c') === 'failed' && st(b, 'c') === 'failed');
  make('c', 3, 1); // restarted, rejoins nobody: the others' probes find it
  await until('c alive again', () => st(a, 'c') === 'alive' && st(b, 'c') === 'alive');
});
