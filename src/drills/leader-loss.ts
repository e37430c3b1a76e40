// leader-loss: SIGKILL the leader; measure the time to a new leader and to the first successful
// write; restart the old leader and see it rejoin as a follower.
import type { Drill } from './runner.ts';
import { boot, sleep, waitAcks, waitConfig } from './steps.ts';
import { until } from './http.ts';

export const leaderLoss: Drill = {
  name: 'leader-loss',
  summary: 'kill -9 the leader; time to a new leader and to the first acknowledged write; the old leader rejoins as a follower',
  nodeCounts: [3, 5],
  autopilot: {},
  sabotages: {},
  async run(ctx) {
    const leader = await boot(ctx);
    await sleep(500);
    const t = ctx.now();
    await leader.kill9();
    ctx.failed(`SIGKILL of the leader ${leader.name} (${leader.rpcAddr})`);
    const others = ctx.cluster.running();
    const next = await ctx.expect('the others elect a new leader', () => ctx.cluster.waitForLeader(others, 20_000), (l) => l.name);
    ctx.check('the new leader is another server', next !== leader, next.name);
    const seen = await until('the poller to see the new leader', () => ctx.poller.leaderAfter(t, leader.name), 5000, 50).catch(() => undefined);
    if (seen) ctx.timeToLeaderMs = seen.atMs - t;
    await ctx.expect('a write is acknowledged after the kill', () => until('a write after the kill', () => ctx.writer.firstAckAfter(t), 20_000, 50));
    const first = ctx.writer.firstAckAfter(t)!;
    ctx.timeToRecoveryMs = first.endMs - t;
    ctx.figures.timeToFirstWriteMs = first.endMs - t;
    ctx.check('new leader within 5 s', ctx.timeToLeaderMs !== undefined && ctx.timeToLeaderMs < 5000, `${ctx.timeToLeaderMs} ms`);

    await leader.start();
    await ctx.expect(`${leader.name} restarts`, () => leader.waitUp());
    const cfg = await ctx.expect(`${leader.name} rejoins as a voter`, () => waitConfig(() => ctx.cluster.running()[0]!, (s) => s.some((x) => x.Address === leader.rpcAddr && x.Voter) && s.filter((x) => x.Voter).length === ctx.servers));
    const now = cfg.find((x) => x.Leader);
    ctx.check(`${leader.name} is a follower now`, now?.Address !== leader.rpcAddr, `leader ${now?.Node}`);
    await waitAcks(ctx, 5);
  },
};
