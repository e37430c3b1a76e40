// server-replace: a server's data directory is lost. Remove it from Raft, start a fresh server in
// its place (same name, address and configuration, empty data), and see it join as a non-voter,
// catch up and be promoted.
import type { Drill } from './runner.ts';
import { raftConfig, sleep, until } from './http.ts';
import { boot, cli, describeHealth, waitAcks, waitHealth, waitMemberDown } from './steps.ts';

export const serverReplace: Drill = {
  name: 'server-replace',
  summary: "a server's data directory is lost: remove-peer, start a fresh server in its place; it joins, catches up, is promoted",
  nodeCounts: [3, 5],
  autopilot: {},
  sabotages: {},
  async run(ctx) {
    const n = ctx.servers;
    const leader = await boot(ctx);
    await waitAcks(ctx, 20);
    const victim = ctx.cluster.running().find((x) => x !== leader)!;
    const oldId = await victim.nodeId();
    await victim.kill9();
    await victim.wipeData();
    ctx.failed(`${victim.name} lost its data directory (SIGKILL, data deleted)`);
    await waitMemberDown(ctx, leader, victim);
    const r = await cli(ctx, leader, ['operator', 'raft', 'remove-peer', `-peer-id=${oldId}`]);
    ctx.require('operator raft remove-peer -peer-id (the lost server)', r.code === 0, r.out.trim() || r.err.trim());
    const t = ctx.now();
    await victim.start();
    await ctx.expect(`a fresh ${victim.name} starts at ${victim.rpcAddr}`, () => victim.waitUp());
    const newId = await victim.nodeId();
    ctx.check('the fresh server has a new node ID', newId !== oldId, newId);
    let sawNonVoter = false;
    await ctx.expect('it joins, catches up and is promoted to voter', () =>
      until('promotion', async () => {
        const s = await raftConfig(leader);
        const me = s.find((x) => x.ID === newId);
        if (me && !me.Voter) sawNonVoter = true;
        if (me?.Voter) return true;
        await sleep(20);
        return undefined;
      }, 30_000, 30),
    );
    ctx.figures.promotedAfterMs = ctx.now() - t;
    ctx.check('it joined as a non-voter first (seen in the configuration)', sawNonVoter);
    ctx.check('the old ID is gone from the configuration', !(await raftConfig(leader)).some((x) => x.ID === oldId));
    const h = await ctx.expect('autopilot health 200', () => waitHealth(ctx.cluster, (s, x) => s === 200 && x.Voters.length === n), describeHealth);
    const me = h.health.Servers.find((x) => x.ID === newId);
    const lead = h.health.Servers.find((x) => x.ID === h.health.Leader);
    ctx.check('it caught up (LastIndex within MaxTrailingLogs of the leader)', !!me && !!lead && me.LastIndex + 250 >= lead.LastIndex, `${me?.LastIndex} vs ${lead?.LastIndex}`);
    ctx.timeToRecoveryMs = ctx.now() - t;
    await waitAcks(ctx, 5);
  },
};
