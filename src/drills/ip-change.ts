// ip-change: every server restarts on a new address (on loopback: new ports). Recover with a
// peers.json on every server holding the new addresses and the unchanged node IDs.
import type { Drill } from './runner.ts';
import { raftConfig } from './http.ts';
import { boot, waitAcks, waitConfig, writePeersJson } from './steps.ts';

export const ipChange: Drill = {
  name: 'ip-change',
  summary: 'every server restarts on a new address; peers.json with the new addresses and the same node IDs',
  nodeCounts: [3, 5],
  autopilot: {},
  sabotages: { 'old-addresses': 'peers.json keeps the old addresses' },
  async run(ctx) {
    await boot(ctx);
    await waitAcks(ctx, 10);
    await ctx.writer.stop();
    const nodes = ctx.cluster.running();
    const ids = await Promise.all(nodes.map((x) => x.nodeId()));
    const old = nodes.map((x) => x.rpcAddr);
    await Promise.all(nodes.map((x) => x.term()));
    for (const x of nodes) {
      const p = await ctx.cluster.ports.take(); // free ports, or the next --base-port slots
      x.spec.httpPort = p.http;
      x.spec.rpcPort = p.rpc;
    }
    for (const x of nodes) x.spec.retryJoin = nodes.filter((o) => o !== x).map((o) => o.rpcAddr);
    ctx.failed(`every server moved: ${old.map((a, i) => `${a} → ${nodes[i]!.rpcAddr}`).join(', ')}`);
    const sabotage = ctx.sabotaged('old-addresses');
    const entries = nodes.map((x, i) => ({ id: ids[i]!, address: sabotage ? old[i]! : x.rpcAddr, non_voter: false }));
    for (const x of nodes) await writePeersJson(ctx, x, entries);
    const t = ctx.now();
    await ctx.expect('every server starts on its new address', () => ctx.cluster.startAll(nodes));
    const leader = await ctx.expect('the servers elect a leader', () => ctx.cluster.waitForLeader(nodes, 15_000), (l) => l.name);
    ctx.timeToLeaderMs = ctx.now() - t;
    const cfg = await waitConfig(leader, (s) => s.length === nodes.length);
    const want = nodes.map((x, i) => `${ids[i]} ${x.rpcAddr}`).sort();
    ctx.check('the configuration holds the same node IDs at the new addresses', JSON.stringify(cfg.map((s) => `${s.ID} ${s.Address}`).sort()) === JSON.stringify(want), cfg.map((s) => `${s.Node}@${s.Address}`).join(', '));
    ctx.check('all voters', cfg.every((s) => s.Voter));
    ctx.writer.start();
    await ctx.expect('writes are acknowledged again', () => waitAcks(ctx, 5));
    ctx.timeToRecoveryMs = ctx.writer.firstAckAfter(t)!.endMs - t;
    for (const x of nodes) ctx.check(`${x.name} sees the same configuration (stale)`, (await raftConfig(x, true)).length === nodes.length);
  },
};
