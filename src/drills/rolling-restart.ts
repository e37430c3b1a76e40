// rolling-restart: restart every server one by one (followers first, the leader last), waiting for
// autopilot health 200 before the next, with no write failing for longer than one election. Before
// the leader is stopped, leadership is moved to a restarted follower (`operator raft
// transfer-leadership`), as an operator would, so its restart costs no election timeout.
import type { Drill } from './runner.ts';
import { boot, cli, describeHealth, waitAcks, waitHealth } from './steps.ts';

/** One election at the drills' timing: election timeout ≤ 20 ticks of 50 ms, plus the vote rounds and the HTTP layer's leader wait. */
export const ONE_ELECTION_MS = 1500;

export const rollingRestart: Drill = {
  name: 'rolling-restart',
  summary: 'restart every server one by one (SIGTERM), waiting for autopilot health 200 before the next',
  nodeCounts: [3, 5],
  autopilot: {},
  sabotages: {},
  async run(ctx) {
    const n = ctx.servers;
    const leader = await boot(ctx);
    await ctx.expect('autopilot health 200', () => waitHealth(ctx.cluster, (s, h) => s === 200 && h.Voters.length === n), describeHealth);
    const order = [...ctx.cluster.running().filter((x) => x !== leader), leader];
    const t = ctx.now();
    for (const node of order) {
      const t1 = ctx.now();
      if (node === leader) {
        const target = order[0]!;
        const r = await cli(ctx, node, ['operator', 'raft', 'transfer-leadership', `-peer-id=${await target.nodeId()}`]);
        ctx.check(`leadership moved from ${node.name} to ${target.name} before its restart`, r.code === 0, (r.out || r.err).trim());
        await ctx.expect(`${target.name} leads`, () => ctx.cluster.waitForLeader(ctx.cluster.running(), 10_000).then((l) => (l === target ? l : Promise.reject(new Error(`leader is ${l.name}`)))), (l) => l.name);
      }
      await node.term();
      ctx.failed(`SIGTERM of ${node.name}${node === leader ? ' (the leader)' : ''}, restarted`);
      await node.start();
      await ctx.expect(`${node.name} is back`, () => node.waitUp());
      await ctx.expect(`autopilot health 200 after restarting ${node.name}`, () => waitHealth(ctx.cluster, (s, h) => s === 200 && h.Voters.length === n && h.Servers.every((x) => x.Healthy), 30_000), describeHealth);
      ctx.figures[`restart-${node.name}Ms`] = ctx.now() - t1;
      await waitAcks(ctx, 3);
    }
    ctx.timeToRecoveryMs = ctx.now() - t;
    const out = ctx.writer.longestOutageMs(t);
    ctx.figures.longestWriteOutageMs = out;
    const gap = ctx.writer.longestOutageWrites(t).map((r) => `${r.path.split('/').pop()} via ${r.node}: ${r.outcome} in ${Math.round(r.endMs - r.startMs)} ms`);
    ctx.note(`longest write outage: ${gap.join('; ')}`);
    ctx.check(`no write outage longer than one election (${ONE_ELECTION_MS} ms)`, out <= ONE_ELECTION_MS, `${out} ms`);
    ctx.figures.leaderChanges = ctx.poller.changes.filter(([, l]) => l !== undefined).length - 1;
  },
};
