// The FSM behind a real RaftNode (in-memory ports): results reach the proposer, and a
// restarted node rebuilds the same state from its snapshot plus the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftNode } from '../../src/node/index.ts';
import { Fsm, encodeCommand, type ApplyResult } from '../../src/fsm/index.ts';
import { Hub, MemLog, MemSnapshots } from '../node/fakes.ts';
import { sameBytes, seed } from './helpers.ts';

async function open(hub: Hub, log: MemLog, snaps: MemSnapshots, fsm: Fsm): Promise<RaftNode<ApplyResult>> {
  return RaftNode.open<ApplyResult>({ id: 'n1', log, snapshots: snaps, link: hub.link('n1'), fsm, tickMs: 5,
    snapshotThreshold: 3, trailingLogs: 1, applyTimeoutMs: 3000, random: () => 0.5 });
}

async function waitFor(fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a single-node cluster applies FSM commands, snapshots, and restores on restart', async (t) => {
  const hub = new Hub();
  const log = new MemLog();
  const snaps = new MemSnapshots();
  const fsm = new Fsm();
  let node = await open(hub, log, snaps, fsm);
  t.after(() => node.stop());
  node.start();
  node.bootstrap({ voters: ['n1'], nonVoters: [] });
  await waitFor(() => node.status().role === 'leader');

  const seeded = await node.propose(encodeCommand(seed()));
  assert.deepEqual(seeded.result, { ok: true, type: 'seedDefaults', seededScheduler: true, seededAutopilot: true });
  const idx = fsm.schedulerConfig()!.ModifyIndex;
  assert.equal(idx, seeded.index);
  const cas = await node.propose(encodeCommand({ type: 'setSchedulerConfig', config: { ...fsm.schedulerConfig()!, SchedulerAlgorithm: 'spread' }, cas: idx }));
  assert.deepEqual(cas.result, { ok: true, type: 'setSchedulerConfig', updated: true });
  for (let i = 0; i < 6; i++) {
    const r = await node.propose(encodeCommand({ type: 'upsertVariable', path: `k${i}`, items: { v: String(i) }, time: BigInt(i) }));
    assert.equal(r.result?.ok, true);
  }
  await waitFor(() => snaps.list.length > 0);
  const before = fsm.snapshot();
  await node.stop();

  const again = new Fsm();
  node = await open(hub, log, snaps, again);
  assert.ok(again.listVariables().length > 0, 'open() restored the FSM from the snapshot');
  node.start();
  await waitFor(() => node.status().role === 'leader' && again.listVariables().length === 6);
  sameBytes(again.snapshot(), before);
  assert.equal(again.schedulerConfig()!.SchedulerAlgorithm, 'spread');
});
