import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BootstrapExpect, serverTags, type BootstrapServer, type Member, type ServerInfo } from '../../src/membership/index.ts';
import { localServer } from './helpers.ts';

function member(name: string, i: number, over: { expect?: number; nonVoter?: boolean; region?: string; status?: Member['status'] } = {}): Member {
  const l = localServer(name, i, { expect: over.expect ?? 3, nonVoter: over.nonVoter, region: over.region ?? 'global' });
  return { name: `${name}.${l.region}`, id: l.nodeId, addr: l.addr, port: l.port, status: over.status ?? 'alive', incarnation: 1, tags: serverTags(l) };
}

interface Harness {
  be: BootstrapExpect;
  calls: BootstrapServer[][];
  asked: string[];
  slept: number[];
  errors: string[];
  members: Member[];
  state: { has: boolean };
}

function harness(expect: number, members: Member[], opts: { peers?: (s: ServerInfo) => Promise<string[]>; retryBaseMs?: number } = {}): Harness {
  const h: Harness = { calls: [], asked: [], slept: [], errors: [], members, state: { has: false }, be: undefined as never };
  h.be = new BootstrapExpect({
    expect, region: 'global', localName: 'a.global',
    members: () => h.members,
    hasLocalRaftState: () => h.state.has,
    askPeers: async (s) => { h.asked.push(s.name); return opts.peers ? opts.peers(s) : []; },
    bootstrap: (servers) => { h.calls.push(servers); },
    retryBaseMs: opts.retryBaseMs ?? 1000,
    sleep: async (ms) => { h.slept.push(ms); },
    logger: { debug() {}, info() {}, warn() {}, error(_o: object, msg?: string) { h.errors.push(msg ?? ''); } },
  });
  return h;
}

test('expect = 0 never bootstraps', async () => {
  const h = harness(0, [member('a', 1, { expect: 0 }), member('b', 2, { expect: 0 }), member('c', 3, { expect: 0 })]);
  assert.equal(h.be.outcome, 'disabled');
  await h.be.check();
  assert.deepEqual(h.calls, []);
  assert.deepEqual(h.asked, []);
});

test('expect = 1 bootstraps itself at once, exactly once', async () => {
  const h = harness(1, [member('a', 1, { expect: 1 })]);
  await h.be.check();
  assert.deepEqual(h.calls, [[{ id: 'id-a', address: '10.0.0.1:4647', voter: true }]]);
  assert.equal(h.be.outcome, 'bootstrapped');
  await h.be.check();
  assert.equal(h.calls.length, 1);
  assert.equal(member('a', 1, { expect: 1 }).tags.bootstrap, '1');
});

test('existing Raft state: never bootstraps (expect = 1 and expect = N)', async () => {
  const one = harness(1, [member('a', 1, { expect: 1 })]);
  one.state.has = true;
  await one.be.check();
  assert.deepEqual(one.calls, []);
  assert.equal(one.be.outcome, 'existing-state');
  const three = harness(3, [member('a', 1), member('b', 2), member('c', 3)]);
  three.state.has = true;
  await three.be.check();
  assert.deepEqual(three.calls, []);
  assert.deepEqual(three.asked, [], 'not even asking peers');
  assert.equal(three.be.outcome, 'existing-state');
});

test('expect = N waits for N servers, then bootstraps with all of them, once', async () => {
  const h = harness(3, [member('a', 1), member('b', 2)]);
  await h.be.check();
  assert.deepEqual(h.calls, []);
  assert.equal(h.be.outcome, undefined);
  h.members.push(member('c', 3));
  await Promise.all([h.be.check(), h.be.check(), h.be.check()]);
  assert.deepEqual(h.calls, [[
    { id: 'id-a', address: '10.0.0.1:4647', voter: true },
    { id: 'id-b', address: '10.0.0.2:4647', voter: true },
    { id: 'id-c', address: '10.0.0.3:4647', voter: true },
  ]]);
  assert.deepEqual(h.asked.sort(), ['a.global', 'b.global', 'c.global'], 'every candidate asked once');
  h.members.push(member('d', 4));
  await h.be.check();
  assert.equal(h.calls.length, 1, 'never twice');
});

test('a conflicting expect value is refused and logged', async () => {
  const h = harness(3, [member('a', 1), member('b', 2), member('c', 3, { expect: 5 })]);
  await h.be.check();
  assert.deepEqual(h.calls, []);
  assert.equal(h.be.outcome, undefined, 'still waiting: the operator may fix it');
  assert.match(h.errors.join('\n'), /conflicting expect value/);
  // a server in bootstrap mode (expect = 1) aborts too
  const b = harness(3, [member('a', 1), member('b', 2), member('c', 3), member('x', 9, { expect: 1 })]);
  await b.be.check();
  assert.deepEqual(b.calls, []);
});

test('a candidate that reports Raft peers means: join the existing cluster instead', async () => {
  const h = harness(3, [member('a', 1), member('b', 2), member('c', 3)], {
    peers: async (s) => (s.name === 'b.global' ? ['10.0.0.7:4647', '10.0.0.8:4647'] : []),
  });
  await h.be.check();
  assert.deepEqual(h.calls, []);
  assert.equal(h.be.outcome, 'joined-existing');
  await h.be.check();
  assert.deepEqual(h.calls, []);
});

test('askPeers is retried 6 times with doubling back-off; a server that never answers has no peers', async () => {
  const h = harness(3, [member('a', 1), member('b', 2), member('c', 3)], {
    retryBaseMs: 10,
    peers: async (s) => { if (s.name === 'c.global') throw new Error('connection refused'); return []; },
  });
  await h.be.check();
  assert.equal(h.asked.filter((n) => n === 'c.global').length, 6);
  assert.deepEqual(h.slept, [10, 20, 40, 80, 160]);
  assert.equal(h.calls.length, 1, 'bootstraps after giving up on c');
});

test('a server that answers after some failures still counts', async () => {
  let failures = 2;
  const h = harness(3, [member('a', 1), member('b', 2), member('c', 3)], {
    peers: async (s) => {
      if (s.name !== 'c.global') return [];
      if (failures-- > 0) throw new Error('busy');
      return ['10.0.0.1:4647'];
    },
  });
  await h.be.check();
  assert.deepEqual(h.slept, [1000, 2000]);
  assert.equal(h.be.outcome, 'joined-existing');
});

test('non-voters are not counted, but bootstrap as non-voters; other regions and non-servers are ignored', async () => {
  const other: Member = { ...member('q', 8), tags: { role: 'client' } };
  const h = harness(3, [member('a', 1), member('b', 2), member('n', 5, { nonVoter: true }), member('r', 6, { region: 'eu' }), other]);
  await h.be.check();
  assert.equal(h.calls.length, 0, '2 voters < 3');
  h.members.push(member('c', 3));
  await h.be.check();
  assert.equal(h.calls.length, 1);
  assert.deepEqual(h.calls[0]!.map((s) => `${s.id}:${s.voter}`), ['id-a:true', 'id-b:true', 'id-n:false', 'id-c:true']);
});

test('members of any status are counted (Nomad does not filter), and state appearing meanwhile wins', async () => {
  const h = harness(3, [member('a', 1), member('b', 2), member('c', 3, { status: 'failed' })]);
  await h.be.check();
  assert.equal(h.calls.length, 1);

  let h2: Harness | undefined;
  h2 = harness(3, [member('a', 1), member('b', 2), member('c', 3)], {
    peers: async () => { h2!.state.has = true; return []; },
  });
  await h2.be.check();
  assert.deepEqual(h2.calls, []);
  assert.equal(h2.be.outcome, 'existing-state');
});

test('a failing bootstrap is still the only one; stop() ends the driver; bad options are refused', async () => {
  let calls = 0;
  const be = new BootstrapExpect({
    expect: 1, region: 'global', localName: 'a.global', members: () => [member('a', 1, { expect: 1 })],
    hasLocalRaftState: () => false, askPeers: async () => [], bootstrap: () => { calls++; throw new Error('disk full'); },
  });
  await be.check();
  await be.check();
  assert.equal(calls, 1);
  assert.equal(be.outcome, 'bootstrapped');

  const h = harness(3, [member('a', 1), member('b', 2), member('c', 3)]);
  h.be.stop();
  await h.be.check();
  assert.deepEqual(h.calls, []);

  const base = { region: 'global', localName: 'a.global', members: () => [], hasLocalRaftState: () => false, askPeers: async () => [], bootstrap: () => {} };
  assert.throws(() => new BootstrapExpect({ ...base, expect: -1 }), /bootstrap_expect must be an integer >= 0, got -1/);
  assert.throws(() => new BootstrapExpect({ ...base, expect: 3, region: '' }), /option region must be a non-empty string/);
  assert.throws(() => new BootstrapExpect({ ...base, expect: 3, askPeers: 1 as never }), /option askPeers must be a function/);
  // expect = 1 but the local server is not listed: logged, not thrown, and tried again later
  const errs: string[] = [];
  const lost = new BootstrapExpect({ ...base, expect: 1, logger: { debug() {}, info() {}, warn() {}, error(o: object) { errs.push(JSON.stringify(o)); } } });
  await lost.check();
  assert.equal(lost.outcome, undefined);
  assert.match(errs.join(''), /not in the member list/);
});
