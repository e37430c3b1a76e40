// minority-loss: kill one of three (two of five) followers with CleanupDeadServers off: writes go
// on; autopilot health turns 429 with the right FailureTolerance; restart; back to 200. Then the
// same with cleanup on: the dead servers are removed, and on restart they rejoin and are promoted.
import type { Drill } from './runner.ts';
import { setAutopilot } from './http.ts';
import { boot, describeHealth, sleep, waitAcks, waitConfig, waitHealth } from './steps.ts';

const quorum = (voters: number) => Math.floor(voters / 2) + 1;

export const minorityLoss: Drill = {
  name: 'minority-loss',
  summary: 'kill a minority with CleanupDeadServers off (health 429, restart, 200), then with it on (removed, rejoin, promoted)',
  nodeCounts: [3, 5],
  autopilot: { cleanupDeadServers: false },
  sabotages: { 'no-restart': 'leave the dead servers down in the first phase (health never returns to 200)' },
  async run(ctx) {
    const n = ctx.servers;
    const k = n === 5 ? 2 : 1;
    let leader = await boot(ctx);
    const h0 = await ctx.expect('autopilot health 200 before the failure', () => waitHealth(ctx.cluster, (s, h) => s === 200 && h.Voters.length === n), describeHealth);
    ctx.check(`FailureTolerance ${n - quorum(n)} with ${n} healthy voters`, h0.health.FailureTolerance === n - quorum(n), String(h0.health.FailureTolerance));

    // Phase 1: CleanupDeadServers = false.
    const victims = ctx.cluster.running().filter((x) => x !== leader).slice(0, k);
    const t1 = ctx.now();
    await Promise.all(victims.map((v) => v.kill9()));
    ctx.failed(`SIGKILL of ${victims.map((v) => v.name).join(', ')} (followers) with CleanupDeadServers=false`);
    const want = Math.max(0, n - k - quorum(n));
    const h1 = await ctx.expect(`autopilot health 429 with FailureTolerance ${want}`, () => waitHealth(ctx.cluster, (s, h) => s === 429 && !h.Healthy && h.FailureTolerance === want, 10_000), describeHealth);
    ctx.figures.unhealthyAfterMs = ctx.now() - t1;
    ctx.check('health lists the dead servers as unhealthy', victims.every((v) => h1.health.Servers.some((s) => s.Name.startsWith(`${v.name}.`) && !s.Healthy)));
    await waitAcks(ctx, 10);
    await sleep(1500); // three reconcile intervals: cleanup must not act
    const cfg1 = await waitConfig(leader, () => true);
    ctx.check('with cleanup off the dead servers stay in the configuration', cfg1.length === n, `${cfg1.length} servers`);
    ctx.check('writes went on (no outage longer than 1 s)', ctx.writer.longestOutageMs(t1) < 1000, `${ctx.writer.longestOutageMs(t1)} ms`);
    ctx.check('no leader change', ctx.poller.leaderless().count === 0 && ctx.poller.leader === leader.name, ctx.poller.leader);
    if (ctx.sabotaged('no-restart')) {
      await ctx.expect('autopilot health back to 200', () => waitHealth(ctx.cluster, (s) => s === 200, 5000));
    }
    const tr = ctx.now();
    for (const v of victims) await v.start();
    await ctx.expect('the dead servers restart', () => ctx.cluster.startAll(victims));
    const h2 = await ctx.expect('autopilot health back to 200', () => waitHealth(ctx.cluster, (s, h) => s === 200 && h.Voters.length === n, 20_000), describeHealth);
    ctx.figures.healthyAgainAfterRestartMs = ctx.now() - tr;
    ctx.timeToRecoveryMs = ctx.now() - tr;
    ctx.check(`FailureTolerance back to ${n - quorum(n)}`, h2.health.FailureTolerance === n - quorum(n), String(h2.health.FailureTolerance));

    // Phase 2: CleanupDeadServers = true, set as an operator would (set-config).
    leader = await ctx.cluster.waitForLeader();
    await setAutopilot(leader, { CleanupDeadServers: true });
    ctx.note('autopilot set-config -cleanup-dead-servers=true');
    const victims2 = ctx.cluster.running().filter((x) => x !== leader).slice(0, k);
    const t2 = ctx.now();
    await Promise.all(victims2.map((v) => v.kill9()));
    ctx.failed(`SIGKILL of ${victims2.map((v) => v.name).join(', ')} with CleanupDeadServers=true`);
    const ids = await Promise.all(victims2.map((v) => v.nodeId()));
    await ctx.expect('autopilot removes the dead servers from the configuration', () => waitConfig(leader, (s) => s.length === n - k && !s.some((x) => ids.includes(x.ID)), 15_000));
    ctx.figures.removedAfterMs = ctx.now() - t2;
    const h3 = await ctx.expect(`health 200 with ${n - k} voters`, () => waitHealth(ctx.cluster, (s, h) => s === 200 && h.Voters.length === n - k, 10_000), describeHealth);
    ctx.check(`FailureTolerance ${Math.max(0, n - k - quorum(n - k))} with ${n - k} voters`, h3.health.FailureTolerance === Math.max(0, n - k - quorum(n - k)), String(h3.health.FailureTolerance));
    const tj = ctx.now();
    for (const v of victims2) await v.start();
    await ctx.expect('the removed servers restart', () => ctx.cluster.startAll(victims2));
    await ctx.expect('they rejoin and are promoted to voters', () => waitConfig(leader, (s) => s.length === n && s.every((x) => x.Voter) && ids.every((id) => s.some((x) => x.ID === id)), 30_000));
    ctx.figures.promotedAfterRestartMs = ctx.now() - tj;
    await ctx.expect('autopilot health 200 again', () => waitHealth(ctx.cluster, (s, h) => s === 200 && h.Voters.length === n, 20_000), describeHealth);
    // A removed server that restarts knows no leader until it is added back: writes sent through it
    // wait for one. The servers that stayed up must have served throughout.
    const stayed = ctx.cluster.running().filter((x) => !victims2.includes(x)).map((x) => x.name);
    const out2 = ctx.writer.longestOutageMs(t2, Infinity, stayed);
    ctx.check(`writes through ${stayed.join(', ')} went on throughout (no outage longer than 1 s)`, out2 < 1000, `${out2} ms`);
    await waitAcks(ctx, 5);
  },
};
