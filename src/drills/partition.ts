// partition: cut the leader off from every other server (both ways), see it step down and the
// others elect a new leader that serves; heal; the old leader rejoins as a follower and every
// server ends with the same log and data. The cut uses the transport's test fault hook (servers
// run with OPRAFT_TEST_FAULTS=1; see src/http/routes/test-faults.ts).
import type { DrillNode } from './cluster.ts';
import type { Drill } from './runner.ts';
import { request, sleep, until } from './http.ts';
import { boot, waitAcks } from './steps.ts';

interface RaftStats {
  state: string;
  term: string;
  last_log_index: string;
  commit_index: string;
}

async function raftStats(n: DrillNode): Promise<RaftStats> {
  const r = await request(n, 'GET', '/v1/agent/self');
  if (r.status !== 200) throw new Error(`${n.name} /v1/agent/self: ${r.status} ${r.text}`);
  return (r.body as { stats: { raft: RaftStats } }).stats.raft;
}

async function cut(n: DrillNode, from: string[]): Promise<void> {
  const q = from.map((id) => `node=${encodeURIComponent(id)}`).join('&');
  const r = await request(n, 'PUT', `/v1/opraft/test/partition?${q}`);
  if (r.status !== 200) throw new Error(`${n.name}: partition hook answered ${r.status} ${r.text} (is OPRAFT_TEST_FAULTS=1 set?)`);
}

async function heal(n: DrillNode): Promise<void> {
  const r = await request(n, 'DELETE', '/v1/opraft/test/partition');
  if (r.status !== 200) throw new Error(`${n.name}: partition heal answered ${r.status} ${r.text}`);
}

export const partition: Drill = {
  name: 'partition',
  summary: "isolate the leader from the others (both ways); it steps down, a new leader serves; heal; it rejoins as a follower with no divergence",
  nodeCounts: [3, 5],
  autopilot: { cleanupDeadServers: false },
  sabotages: { 'no-heal': 'the partition is never healed, so the old leader cannot rejoin' },
  async run(ctx) {
    ctx.cluster.env.OPRAFT_TEST_FAULTS = '1';
    const leader = await boot(ctx);
    const all = ctx.cluster.running();
    const ids = new Map<DrillNode, string>();
    for (const n of all) ids.set(n, await n.nodeId());
    const others = all.filter((n) => n !== leader);
    const before = await raftStats(leader);
    await sleep(300);
    const t = ctx.now();
    await cut(leader, others.map((n) => ids.get(n)!));
    await Promise.all(others.map((n) => cut(n, [ids.get(leader)!])));
    ctx.failed(`network partition: ${leader.name} (the leader) cut off from ${others.map((n) => n.name).join(', ')}`);

    await ctx.expect(`${leader.name} steps down (check-quorum)`, () => until('the isolated leader to step down', async () => ((await raftStats(leader)).state !== 'Leader' ? true : undefined), 10_000, 25));
    const next = await ctx.expect('the majority elects a new leader', () => ctx.cluster.waitForLeader(others, 20_000), (l) => l.name);
    ctx.check('the new leader is on the majority side', next !== leader, next.name);
    const seen = await until('the poller to see the new leader', () => ctx.poller.leaderAfter(t, leader.name), 5000, 50).catch(() => undefined);
    if (seen) ctx.timeToLeaderMs = seen.atMs - t;
    await ctx.expect('writes are acknowledged by the majority', () => until('a write after the cut', () => ctx.writer.firstAckAfter(t), 20_000, 50));
    ctx.timeToRecoveryMs = ctx.writer.firstAckAfter(t)!.endMs - t;
    const isolated = await raftStats(leader);
    ctx.check('the isolated server commits nothing new while cut off', Number(isolated.commit_index) <= Number((await raftStats(next)).commit_index), `commit ${isolated.commit_index}`);
    await waitAcks(ctx, 5);

    if (ctx.sabotage !== 'no-heal') {
      await Promise.all(all.map((n) => heal(n)));
      ctx.note('partition healed');
    }
    const newTerm = Number((await raftStats(next)).term);
    await ctx.expect(`${leader.name} rejoins as a follower of the new term`, () =>
      until(`${leader.name} to follow the new leader`, async () => {
        const s = await raftStats(leader);
        return s.state === 'Follower' && Number(s.term) >= newTerm && Number(s.term) > Number(before.term) ? s : undefined;
      }, 15_000, 50),
    );
    await waitAcks(ctx, 5);
    // No divergence: once writes pause, every server holds the same last index and commit index.
    await ctx.writer.stop();
    await ctx.expect('every server converges on the same log', () =>
      until('the logs to converge', async () => {
        const stats = await Promise.all(all.map(raftStats));
        const idx = new Set(stats.map((s) => `${s.term}/${s.last_log_index}/${s.commit_index}`));
        return idx.size === 1 ? [...idx][0] : undefined;
      }, 15_000, 100),
    (v) => String(v));
    ctx.writer.start();
  },
};
