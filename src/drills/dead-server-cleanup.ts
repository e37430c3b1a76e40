// dead-server-cleanup: a server is killed for good; autopilot (CleanupDeadServers, MinQuorum)
// removes it without the voter count ever dropping below quorum or MinQuorum; then by hand, with
// cleanup off, `operator raft remove-peer` by ID and by address.
import type { Drill, DrillContext } from './runner.ts';
import type { DrillNode } from './cluster.ts';
import { raftConfig, setAutopilot, sleep } from './http.ts';
import { boot, cli, describeHealth, waitAcks, waitConfig, waitHealth, waitMemberDown } from './steps.ts';

/** Samples the voter count every 100 ms (through any running server); the smallest seen. */
function watchVoters(ctx: DrillContext): { stop: () => Promise<number> } {
  let min = Infinity;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const n of ctx.cluster.running()) {
        const s = await raftConfig(n, true).catch(() => undefined);
        if (s) {
          min = Math.min(min, s.filter((x) => x.Voter).length);
          break;
        }
      }
      await sleep(100);
    }
  })();
  return { stop: async () => ((stopped = true), await loop, min) };
}

async function joinAndPromote(ctx: DrillContext, leader: DrillNode, voters: number): Promise<DrillNode> {
  const j = await ctx.cluster.addJoiner();
  await ctx.expect(`${j.name} starts`, () => ctx.cluster.startAll([j]));
  const id = await j.nodeId();
  await ctx.expect(`${j.name} joins and is promoted (${voters} voters)`, () => waitConfig(leader, (s) => s.some((x) => x.ID === id && x.Voter) && s.filter((x) => x.Voter).length === voters, 30_000));
  return j;
}

export const deadServerCleanup: Drill = {
  name: 'dead-server-cleanup',
  summary: 'autopilot removes a server killed for good (never below quorum or MinQuorum); then remove-peer by ID and by address',
  nodeCounts: [3],
  autopilot: { cleanupDeadServers: true, minQuorum: 2 },
  sabotages: { 'min-quorum': 'set MinQuorum to 3 first: autopilot must then keep the dead server' },
  async run(ctx) {
    const n = ctx.servers;
    const leader = await boot(ctx);
    await ctx.expect('autopilot health 200', () => waitHealth(ctx.cluster, (s, h) => s === 200 && h.Voters.length === n), describeHealth);
    if (ctx.sabotaged('min-quorum')) await setAutopilot(leader, { MinQuorum: 3 });
    const watch = watchVoters(ctx);
    const victim = ctx.cluster.running().find((x) => x !== leader)!;
    const vid = await victim.nodeId();
    const t = ctx.now();
    await victim.kill9();
    await victim.wipeData(); // for good
    ctx.failed(`SIGKILL of ${victim.name} for good (data deleted), CleanupDeadServers=true MinQuorum=${ctx.sabotage === 'min-quorum' ? 3 : 2}`);
    await ctx.expect('autopilot removes the dead server', () => waitConfig(leader, (s) => !s.some((x) => x.ID === vid), 10_000));
    ctx.figures.removedAfterMs = ctx.now() - t;
    ctx.timeToRecoveryMs = ctx.now() - t;
    const min = await watch.stop();
    ctx.figures.fewestVotersSeen = min;
    ctx.check('the voter count never dropped below MinQuorum (2) or the quorum of the original cluster', min >= 2, `fewest ${min}`);
    ctx.check('the cluster never lost its leader', ctx.poller.leaderless().count === 0);
    ctx.check('writes never stopped for more than 1 s', ctx.writer.longestOutageMs(t) < 1000, `${ctx.writer.longestOutageMs(t)} ms`);
    await ctx.expect(`autopilot health 200 with ${n - 1} voters`, () => waitHealth(ctx.cluster, (s, h) => s === 200 && h.Voters.length === n - 1), describeHealth);

    // By hand, with cleanup off.
    await setAutopilot(leader, { CleanupDeadServers: false });
    ctx.note('autopilot set-config -cleanup-dead-servers=false');
    const y = await joinAndPromote(ctx, leader, n);
    const yid = await y.nodeId();
    await y.kill9();
    ctx.failed(`SIGKILL of ${y.name} (cleanup off)`);
    await sleep(1500); // three reconcile intervals
    ctx.check(`with cleanup off ${y.name} stays in the configuration`, (await raftConfig(leader)).some((x) => x.ID === yid));
    await waitMemberDown(ctx, leader, y);
    const r1 = await cli(ctx, leader, ['operator', 'raft', 'remove-peer', `-peer-id=${yid}`]);
    ctx.check('operator raft remove-peer -peer-id', r1.code === 0 && (await raftConfig(leader)).every((x) => x.ID !== yid), r1.out.trim() || r1.err.trim());
    const z = await joinAndPromote(ctx, leader, n);
    await z.kill9();
    ctx.failed(`SIGKILL of ${z.name} (cleanup off)`);
    await waitMemberDown(ctx, leader, z);
    const r2 = await cli(ctx, leader, ['operator', 'raft', 'remove-peer', `-peer-address=${z.rpcAddr}`]);
    ctx.check('operator raft remove-peer -peer-address', r2.code === 0 && (await raftConfig(leader)).every((x) => x.Address !== z.rpcAddr), r2.out.trim() || r2.err.trim());
    await ctx.expect(`autopilot health 200 with ${n - 1} voters`, () => waitHealth(ctx.cluster, (s, h) => s === 200 && h.Voters.length === n - 1), describeHealth);
    await waitAcks(ctx, 5);
  },
};
