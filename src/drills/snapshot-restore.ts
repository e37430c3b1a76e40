// snapshot-restore: save a snapshot, change the state, restore it and verify the state is the
// saved one on every server; then restore the same file into a brand-new cluster and verify there.
import path from 'node:path';
import { getJson, request, until } from './http.ts';
import type { DrillNode } from './cluster.ts';
import type { Drill, DrillContext } from './runner.ts';
import { verifyWrites } from './observe.ts';
import { boot, cli, waitAcks, waitConfig } from './steps.ts';

const MARKERS = ['snap/a1', 'snap/a2', 'snap/a3'];

async function putVar(ctx: DrillContext, node: DrillNode, p: string, v: string): Promise<void> {
  const r = await request(node, 'PUT', `/v1/var/${p}`, { Items: { seq: v } });
  if (r.status !== 200) throw new Error(`PUT ${p}: ${r.status} ${r.text}`);
  ctx.note(`PUT /v1/var/${p} = ${v}`);
}

async function staleValue(node: DrillNode, p: string): Promise<string | undefined> {
  const r = await getJson(node, `/v1/var/${p}?stale`, 5000);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET ${p}: ${r.status}`);
  return (r.body as { Items: { seq: string } }).Items.seq;
}

async function algorithm(node: DrillNode): Promise<string> {
  const r = await getJson(node, '/v1/operator/scheduler/configuration?stale', 5000);
  return (r.body as { SchedulerConfig: { SchedulerAlgorithm: string } }).SchedulerConfig.SchedulerAlgorithm;
}

/** Waits until every node serves (stale) exactly the saved state: markers at their saved values, snap/after absent, binpack. */
async function waitSavedState(ctx: DrillContext, nodes: DrillNode[], label: string): Promise<void> {
  await ctx.expect(`${label}: every server serves the saved state (markers, no snap/after, binpack)`, () =>
    until('the saved state everywhere', async () => {
      for (const n of nodes) {
        for (const m of MARKERS) if ((await staleValue(n, m)) !== `${m}@saved`) return undefined;
        if ((await staleValue(n, 'snap/after')) !== undefined) return undefined;
        if ((await algorithm(n)) !== 'binpack') return undefined;
      }
      return true;
    }, 15_000, 200),
  );
}

export const snapshotRestore: Drill = {
  name: 'snapshot-restore',
  summary: 'save a snapshot, change state, restore, verify on every server; restore into a brand-new cluster',
  nodeCounts: [3],
  autopilot: {},
  sabotages: { 'other-snapshot': 'restore a snapshot taken earlier than the one saved' },
  async run(ctx) {
    const leader = await boot(ctx);
    const early = path.join(ctx.root, 'early.snap');
    const saved = path.join(ctx.root, 'saved.snap');
    const sabotage = ctx.sabotage === 'other-snapshot';
    if (sabotage) ctx.require('an earlier snapshot is saved', (await cli(ctx, leader, ['operator', 'snapshot', 'save', early])).code === 0);
    for (const m of MARKERS) await putVar(ctx, leader, m, `${m}@saved`);
    await waitAcks(ctx, 10);
    await ctx.writer.stop();
    const beforeSave = ctx.writer.records.slice();
    const s = await cli(ctx, leader, ['operator', 'snapshot', 'save', saved]);
    ctx.require('operator snapshot save', s.code === 0, s.out.trim() || s.err.trim());
    const ins = await cli(ctx, leader, ['operator', 'snapshot', 'inspect', saved]);
    ctx.figures.snapshotIndex = Number(/^Index\s+=\s+(\d+)/m.exec(ins.out)?.[1] ?? 0);

    // Change the state behind the snapshot.
    await request(leader, 'DELETE', '/v1/var/snap/a1');
    await putVar(ctx, leader, 'snap/a2', 'changed');
    await putVar(ctx, leader, 'snap/after', 'new');
    await cli(ctx, leader, ['operator', 'scheduler', 'set-config', '-scheduler-algorithm=spread']);
    ctx.failed('state changed after the save: snap/a1 deleted, snap/a2 changed, snap/after added, scheduler algorithm spread');

    const file = ctx.sabotaged('other-snapshot') ? early : saved;
    const tr = ctx.now();
    const r = await cli(ctx, ctx.cluster.running()[1]!, ['operator', 'snapshot', 'restore', file]);
    ctx.require('operator snapshot restore (through a follower)', r.code === 0, r.out.trim() || r.err.trim());
    await waitSavedState(ctx, ctx.cluster.running(), 'same cluster');
    ctx.timeToRecoveryMs = ctx.now() - tr;
    const l2 = await ctx.cluster.waitForLeader();
    ctx.check('the cluster keeps its leader through the restore', ctx.poller.leaderless().count === 0, `leader ${l2.name}`);
    ctx.writer.start();
    await ctx.expect('writes are acknowledged after the restore', () => waitAcks(ctx, 5));

    // A brand-new cluster, restored from the same file.
    const fresh = ctx.newCluster('fresh');
    const nodes = await fresh.create(ctx.servers);
    await ctx.expect('a brand-new cluster starts', () => fresh.startAll(nodes));
    const fl = await ctx.expect('the new cluster elects a leader', () => fresh.waitForLeader(nodes, 30_000), (l) => l.name);
    await waitConfig(fl, (x) => x.filter((s) => s.Voter).length === ctx.servers);
    const rf = await cli(ctx, nodes[0]!, ['operator', 'snapshot', 'restore', file]);
    ctx.require('restore into the new cluster', rf.code === 0, rf.out.trim() || rf.err.trim());
    await waitSavedState(ctx, nodes, 'new cluster');
    const v = await verifyWrites(beforeSave, nodes, []);
    ctx.check('the new cluster holds every write acknowledged before the save', v.acknowledged > 0 && v.survived === v.acknowledged, `${v.survived}/${v.acknowledged} on ${v.nodes.join(', ')}`);
    ctx.figures.newClusterWritesSurvived = `${v.survived}/${v.acknowledged}`;
  },
};
