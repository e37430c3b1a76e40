import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Role } from '../../src/raft/index.ts';
import { healthReply } from '../../src/autopilot/index.ts';
import { harness, member, settle } from './fakes.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `s${i + 1}`);
const server = (h: ReturnType<typeof harness>, id: string) => h.ap.getState()!.servers.find((s) => s.id === id);

test('loops: first state after one update interval, reconcile at its own interval', async () => {
  const h = harness({ voters: ['s1', 's2', 's3'], nonVoters: ['s4'] });
  h.ap.start();
  assert.equal(h.ap.getState(), undefined, 'no state before the first update tick');
  await h.clock.advance(1999);
  assert.equal(h.ap.getState(), undefined);
  await h.clock.advance(1);
  const s = h.ap.getState()!;
  assert.equal(s.healthy, true);
  assert.deepEqual(h.fetches.sort(), ['s2', 's3', 's4'], 'the leader answers for itself; every other server is fetched');
  assert.equal(h.gauges.get('nomad.autopilot.healthy'), 1);
  assert.equal(h.gauges.get('nomad.autopilot.failure_tolerance'), 1);
  assert.deepEqual(h.ap.gauges(), { 'nomad.autopilot.healthy': 1, 'nomad.autopilot.failure_tolerance': 1 });
  await h.clock.advance(7999);
  assert.deepEqual(h.actions, []);
  await h.clock.advance(1);
  assert.deepEqual(h.actions, ['promote s4'], 'young autopilot: W = 0');
  await h.clock.advance(2000);
  assert.equal(server(h, 's4')!.role, 'voter');
  h.ap.stop();
});

test('left members are not fetched; a failed voter makes the cluster unhealthy', async () => {
  const h = harness({ voters: ['s1', 's2', 's3'], settings: { cleanupDeadServers: false } });
  h.members[1] = member('s2', 'left');
  h.members[2] = member('s3', 'failed');
  h.ap.start();
  await h.clock.advance(2000);
  assert.deepEqual(h.fetches, ['s3']);
  assert.equal(h.ap.getState()!.healthy, false);
  assert.equal(healthReply(h.ap.getState()).Servers!.find((s) => s.ID === 's2')!.SerfStatus, 'left');
  h.ap.stop();
});

test('stop on leadership loss: timers cleared, state and first-state time reset', async () => {
  const h = harness({ voters: ['s1', 's2', 's3'] });
  h.ap.start();
  await h.clock.advance(2000);
  assert.ok(h.ap.getState());
  h.ap.setLeader(false);
  assert.equal(h.ap.isRunning, false);
  assert.equal(h.ap.getState(), undefined);
  assert.equal(h.ap.gauges(), undefined);
  assert.equal(h.clock.pending, 0);
  assert.equal(JSON.stringify(healthReply(h.ap.getState())), '{"Healthy":false,"FailureTolerance":0,"Servers":null,"Leader":"","Voters":null}');
  const before = h.clock.now;
  await h.clock.advance(60_000);
  h.ap.setLeader(true);
  await h.clock.advance(2000);
  assert.equal(h.ap.getState()!.firstStateTime, before + 62_000);
  h.ap.stop();
});

test('a round that ends after leadership was lost is dropped', async () => {
  const h = harness({ voters: ['s1', 's2', 's3'] });
  h.hang.add('s2');
  h.ap.start();
  const round = h.ap.updateState(h.clock.now);
  h.ap.stop();
  h.ap.start();
  h.answer('s2');
  await h.clock.advance(1000);
  await round;
  assert.equal(h.ap.getState(), undefined);
  h.ap.stop();
});

test('not the leader: updateState and reconcile do nothing', async () => {
  const h = harness({ voters: ['s1', 's2', 's3'], nonVoters: ['s4'] });
  h.ap.start();
  h.raft.role = Role.Follower;
  await h.clock.advance(10_000);
  assert.equal(h.ap.getState(), undefined);
  assert.deepEqual(h.fetches, []);
  assert.deepEqual(h.actions, []);
  h.ap.stop();
});

test('stats fetch: deadline of half the update interval, outstanding fetches skipped, stats carried over', async () => {
  const h = harness({ voters: ['s1', 's2', 's3'] });
  h.ap.start();
  await h.clock.advance(2000);
  assert.equal(server(h, 's2')!.stats.lastContactMs, 10);
  h.hang.add('s2');
  h.stats.get('s3')!.lastContactMs = 20;
  h.stats.get('s2')!.lastContactMs = 99; // would be seen if the hung fetch were not skipped
  const start = h.clock.now;
  await h.clock.advance(2000);
  // The round waits for the deadline (1 s) and no longer.
  assert.equal(h.ap.getState()!.servers.find((s) => s.id === 's3')!.stats.lastContactMs, 10, 'round not finished before the deadline');
  await h.clock.advance(999);
  assert.equal(server(h, 's3')!.stats.lastContactMs, 10);
  await h.clock.advance(1);
  assert.equal(h.clock.now, start + 3000);
  assert.equal(server(h, 's3')!.stats.lastContactMs, 20);
  assert.equal(server(h, 's2')!.stats.lastContactMs, 10, 'carried over from the last round');
  const fetchesBefore = h.fetches.filter((f) => f === 's2').length;
  await h.clock.advance(1000); // next round at +4000: s2 still outstanding → skipped
  assert.equal(h.fetches.filter((f) => f === 's2').length, fetchesBefore);
  h.answer('s2');
  h.hang.delete('s2');
  await h.clock.advance(2000);
  assert.equal(h.fetches.filter((f) => f === 's2').length, fetchesBefore + 1);
  assert.equal(server(h, 's2')!.stats.lastContactMs, 99);
  h.ap.stop();
});

test('one change at a time: a pending change blocks the tick; promotions go one after another', async () => {
  const h = harness({ voters: ['s1', 's2', 's3'], nonVoters: ['s4', 's5'] });
  h.ap.start();
  await h.clock.advance(2000);
  // Someone else's change is in flight: nothing this tick.
  h.raft.latestConfigIndex = h.raft.commitIndex + 1;
  await h.ap.reconcile(h.clock.now);
  assert.deepEqual(h.actions, []);
  h.raft.latestConfigIndex = h.raft.commitIndex;
  h.holdChanges = true;
  const pass = h.ap.reconcile(h.clock.now);
  await settle();
  assert.deepEqual(h.actions, ['promote s4'], 'the second waits for the first to commit');
  await h.ap.reconcile(h.clock.now); // an overlapping tick does nothing
  assert.deepEqual(h.actions, ['promote s4']);
  h.commit();
  await settle();
  assert.deepEqual(h.actions, ['promote s4', 'promote s5']);
  h.commit();
  await pass;
  assert.deepEqual(h.raft.latestConfig.voters, ['s1', 's2', 's3', 's4', 's5']);
  h.ap.stop();
});

test('leadership lost between changes ends the pass', async () => {
  const h = harness({ voters: ['s1', 's2', 's3'], nonVoters: ['s4', 's5'] });
  h.ap.start();
  await h.clock.advance(2000);
  h.holdChanges = true;
  const pass = h.ap.reconcile(h.clock.now);
  await settle();
  h.ap.stop();
  h.commit();
  await pass;
  assert.deepEqual(h.actions, ['promote s4']);
});

test('§9.7 on an old leader: a fresh server waits W after becoming healthy, then is promoted', async () => {
  const W = 60_000;
  const h = harness({ voters: ['s1', 's2', 's3'], settings: { serverStabilizationTimeMs: W } });
  h.ap.start();
  await h.clock.advance(W + 10_000); // leader (and its autopilot) older than W
  // s4 joins as a non-voter, still catching up.
  h.raft.latestConfig = { ...h.raft.latestConfig, nonVoters: ['s4'], addresses: { ...h.raft.latestConfig.addresses, s4: '10.0.0.4:4647' } };
  h.members.push(member('s4'));
  h.stats.set('s4', { lastContactMs: 10, lastIndex: 0, lastTerm: 0 });
  await h.clock.advance(2000);
  assert.equal(server(h, 's4')!.healthy, false);
  h.stats.set('s4', { lastContactMs: 10, lastIndex: 100, lastTerm: 2 });
  await h.clock.advance(2000);
  const healthyAt = server(h, 's4')!.stableSince;
  assert.equal(server(h, 's4')!.healthy, true);
  await h.clock.advance(healthyAt + W - 1 - h.clock.now);
  assert.deepEqual(h.actions, [], 'not promoted before W');
  assert.equal(server(h, 's4')!.role, 'non-voter');
  await h.clock.advance(10_000);
  assert.deepEqual(h.actions, ['promote s4'], 'promoted within one reconcile tick after W');
  h.ap.stop();
});

test('§9.7 after an election: the new leader promotes a healthy non-voter within one reconcile tick', async () => {
  const W = 60_000;
  const h = harness({ voters: ['s1', 's2', 's3'], nonVoters: ['s4'], settings: { serverStabilizationTimeMs: W } });
  h.ap.start(); // leadership just gained
  await h.clock.advance(10_000);
  assert.deepEqual(h.actions, ['promote s4']);
  h.ap.stop();
});

test('§9.5: a Raft voter with no member is left/unhealthy and removed as stale when cleanup is on', async () => {
  const h = harness({ voters: ids(5) });
  h.members = h.members.filter((m) => m.id !== 's5');
  h.ap.start();
  await h.clock.advance(2000);
  assert.equal(server(h, 's5')!.status, 'left');
  assert.equal(server(h, 's5')!.healthy, false);
  assert.equal(h.ap.getState()!.healthy, false);
  await h.clock.advance(8000);
  assert.deepEqual(h.actions, ['remove s5']);
  assert.deepEqual(h.raft.latestConfig.voters, ['s1', 's2', 's3', 's4']);
  h.ap.stop();
});

test('§9.5 with cleanup off: the stale voter stays', async () => {
  const h = harness({ voters: ids(5), settings: { cleanupDeadServers: false } });
  h.members = h.members.filter((m) => m.id !== 's5');
  h.ap.start();
  await h.clock.advance(30_000);
  assert.deepEqual(h.actions, []);
  h.ap.stop();
});

test('§9.6 through the driver: 7 voters, 4 failed → one pass force-leaves 3, by id', async () => {
  const h = harness({ voters: ids(7) });
  h.members = ids(7).map((id, i) => member(id, i >= 3 ? 'failed' : 'alive'));
  h.ap.start();
  await h.clock.advance(10_000);
  assert.deepEqual(h.actions, ['forceLeave srv-s4.global', 'forceLeave srv-s5.global', 'forceLeave srv-s6.global']);
  h.ap.stop();
});

test('cleanup runs after promotions in the same pass', async () => {
  const h = harness({ voters: ['s1', 's2', 's3'], nonVoters: ['s4', 's5'] });
  h.members = h.members.filter((m) => m.id !== 's5');
  h.ap.start();
  await h.clock.advance(10_000);
  assert.deepEqual(h.actions, ['promote s4', 'remove s5']);
  h.ap.stop();
});

test('no settings yet: nothing is computed or changed', async () => {
  const h = harness({ voters: ['s1', 's2', 's3'], nonVoters: ['s4'], overrides: () => ({ settings: () => undefined }) });
  h.ap.start();
  await h.clock.advance(20_000);
  assert.equal(h.ap.getState(), undefined);
  assert.deepEqual(h.actions, []);
  h.ap.stop();
});

test('a server the state still shows as non-voter but Raft already promoted is not promoted again', async () => {
  const h = harness({ voters: ['s1', 's2', 's3'], nonVoters: ['s4'] });
  h.ap.start();
  await h.clock.advance(2000);
  h.raft.latestConfig = { ...h.raft.latestConfig, voters: ['s1', 's2', 's3', 's4'], nonVoters: [] };
  await h.ap.reconcile(h.clock.now);
  assert.deepEqual(h.actions, []);
  h.ap.stop();
});

test('a failed force-leave does not stop the rest of the pass; a failed Raft change does', async () => {
  const h = harness({ voters: ids(5) });
  h.members = ids(5).map((id, i) => member(id, i >= 3 ? 'failed' : 'alive'));
  h.failForceLeave.add('srv-s4.global');
  h.ap.start();
  await h.clock.advance(10_000);
  assert.deepEqual(h.actions, ['forceLeave srv-s4.global', 'forceLeave srv-s5.global']);

  const g = harness({
    voters: ['s1', 's2', 's3'], nonVoters: ['s4', 's5'],
    overrides: (g) => ({
      removeServer: async (id) => {
        g.actions.push(`remove ${id}`);
        throw new Error('not the leader');
      },
    }),
  });
  g.members = g.members.filter((m) => m.id !== 's4' && m.id !== 's5');
  g.ap.start();
  await g.clock.advance(10_000);
  assert.deepEqual(g.actions, ['remove s4']);
  h.ap.stop();
  g.ap.stop();
});
