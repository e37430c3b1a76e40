// quorum-loss: kill two of three servers (three of five); writes fail with `No cluster leader`
// while stale reads still work; recover the survivor with a peers.json naming only itself (from
// its node-id and address, as Nomad's Outage Recovery guide does); it serves again with its data;
// fresh servers join and are promoted.
import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { getJson, request, until } from './http.ts';
import type { DrillNode } from './cluster.ts';
import type { Drill } from './runner.ts';
import { boot, sleep, waitAcks, waitConfig, writePeersJson } from './steps.ts';

export const quorumLoss: Drill = {
  name: 'quorum-loss',
  summary: 'kill a majority; writes fail, stale reads work; recover the survivor with peers.json; fresh servers join',
  nodeCounts: [3, 5],
  autopilot: {},
  sabotages: { 'wrong-node-id': "peers.json names a random node ID instead of the survivor's" },
  async run(ctx) {
    const leader = await boot(ctx);
    await sleep(500);
    // The survivor is the leader: it holds every acknowledged write (Nomad's guide: keep the
    // server with the highest index; the leader's is never lower than a committed one).
    const survivor = leader;
    const lost = ctx.cluster.running().filter((n) => n !== survivor);
    const t = ctx.now();
    await Promise.all(lost.map((n) => n.kill9()));
    ctx.failed(`SIGKILL of ${lost.map((n) => n.name).join(' and ')}: ${survivor.name} is the only server left of ${ctx.servers}`);

    await ctx.expect(`${survivor.name} steps down (no quorum)`, () => until('the survivor to step down', async () => ((await getJson(survivor, '/v1/status/leader?stale', 1000)).body === '' ? true : undefined), 10_000, 50));
    const w = await request(survivor, 'PUT', '/v1/var/drill/quorum-loss/probe', { Items: { k: 'x' } }, 15_000).catch((e: Error) => ({ status: 0, text: e.message, body: undefined }));
    ctx.check('a write without quorum fails with 500 "No cluster leader"', w.status === 500 && /No cluster leader/.test(w.text), `${w.status} ${w.text.trim()}`);
    const firstAcked = ctx.writer.acked()[0]!;
    const sr = await getJson(survivor, `/v1/var/${firstAcked.path}?stale`, 5000);
    ctx.check('a stale read on the survivor still answers', sr.status === 200 && (sr.body as { Items: { seq: string } }).Items.seq === firstAcked.value, `${sr.status} ${firstAcked.path}`);
    const nr = await getJson(survivor, `/v1/var/${firstAcked.path}`, 15_000).catch((e: Error) => ({ status: 0, text: e.message }));
    ctx.check('a consistent read fails without a leader', nr.status !== 200, `${nr.status} ${nr.text.trim()}`);
    await ctx.writer.stop();
    ctx.figures.writesRefusedDuringOutage = ctx.writer.records.filter((r) => r.startMs >= t && r.outcome === 'refused').length;
    ctx.check('the background writer saw writes refused while quorum was lost', (ctx.figures.writesRefusedDuringOutage as number) > 0, String(ctx.figures.writesRefusedDuringOutage));

    // Recovery, as the guide: stop the survivor, write peers.json, start it.
    await survivor.term();
    const id = ctx.sabotaged('wrong-node-id') ? randomUUID() : await survivor.nodeId();
    await writePeersJson(ctx, survivor, [{ id, address: survivor.rpcAddr, non_voter: false }]);
    const tr = ctx.now();
    await survivor.start();
    await ctx.expect(`${survivor.name} restarts`, () => survivor.waitUp());
    await ctx.expect(`${survivor.name} elects itself leader with the recovered configuration`, () => ctx.cluster.waitForLeader([survivor], 15_000));
    ctx.timeToLeaderMs = ctx.now() - tr;
    const gone = await access(path.join(survivor.raftDir, 'peers.json')).then(() => false, () => true);
    ctx.check('peers.json was ingested and deleted', gone);
    const cfg = await waitConfig(survivor, () => true);
    ctx.check('the configuration is exactly the survivor', cfg.length === 1 && cfg[0]!.ID === id && cfg[0]!.Voter, cfg.map((s) => `${s.Node} ${s.ID} ${s.Address}`).join(', '));
    ctx.writer.start();
    await ctx.expect('writes are acknowledged again', () => waitAcks(ctx, 5));
    ctx.timeToRecoveryMs = ctx.writer.firstAckAfter(tr)!.endMs - t;
    ctx.figures.recoveryFromRestartMs = ctx.writer.firstAckAfter(tr)!.endMs - tr;

    // Fresh servers with empty data join the survivor and are promoted.
    const fresh: DrillNode[] = [];
    for (let i = 1; i < ctx.servers; i++) fresh.push(await ctx.cluster.addJoiner({ retryJoin: [survivor.rpcAddr] }));
    await ctx.expect(`${fresh.length} fresh servers start`, () => ctx.cluster.startAll(fresh));
    await ctx.expect(`the fresh servers join and are promoted: ${ctx.servers} voters`, () => waitConfig(survivor, (s) => s.length === ctx.servers && s.every((x) => x.Voter), 30_000));
    await waitAcks(ctx, 5);
  },
};
