// The storage under the real node runtime: a single-server RaftNode writes through LevelDB
// and snapshot files, restarts from them, and restarts again after a peers.json recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { RaftNode } from '../../src/node/index.ts';
import { openRaftStorage, paths, recoverFromPeersJson, ensurePeersInfo, type RaftStorage } from '../../src/storage/index.ts';
import { Hub, KvMachine, setCmd } from '../node/fakes.ts';
import { withTempDir } from './helpers/util.ts';

async function waitFor<T>(fn: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function start(storage: RaftStorage, id = 'n1') {
  const fsm = new KvMachine();
  const node = await RaftNode.open<string | null>({
    id, log: storage.log, snapshots: storage.snapshots, link: new Hub().link(id), fsm, tickMs: 5,
    snapshotThreshold: 10, trailingLogs: 3, applyTimeoutMs: 3000,
  });
  return { node, fsm };
}

test('RaftNode on real storage: writes, snapshots, compacts, restarts with its state; peers.json recovery then restart', () =>
  withTempDir(async (dir) => {
    const { raftDir, peersJson } = paths(dir);
    let storage = await openRaftStorage({ raftDir });
    let { node, fsm } = await start(storage);
    try {
      node.bootstrap({ voters: ['n1'], nonVoters: [] });
      node.start();
      await waitFor(() => node.status().role === 'leader');
      for (let i = 0; i < 30; i++) await node.propose(setCmd(`k${i}`, `v${i}`));
      assert.ok(node.status().snapshotIndex > 0, 'the log was compacted behind a snapshot');
    } finally {
      await node.stop();
    }
    const before = node.status();
    assert.ok((await storage.snapshots.list()).length <= 2);

    storage = await openRaftStorage({ raftDir });
    ({ node, fsm } = await start(storage));
    try {
      assert.equal(node.status().lastIndex, before.lastIndex);
      node.start();
      await waitFor(() => node.status().role === 'leader');
      await waitFor(() => fsm.data.get('k29') === 'v29');
      assert.equal(fsm.data.size, 30);
      await node.propose(setCmd('after', 'restart'));
    } finally {
      await node.stop();
    }

    // Outage recovery: the single server gets a new address through peers.json.
    await ensurePeersInfo(raftDir);
    await fs.writeFile(peersJson, JSON.stringify([{ id: 'n1', address: '127.0.0.1:5647' }]));
    storage = await openRaftStorage({ raftDir });
    const r = await recoverFromPeersJson({ raftDir, storage, newStateMachine: () => new KvMachine(), localId: 'n1' });
    assert.equal(r.recovered, true);
    ({ node, fsm } = await start(storage));
    try {
      assert.deepEqual(node.status().config, { voters: ['n1'], nonVoters: [], addresses: { n1: '127.0.0.1:5647' } });
      node.start();
      await waitFor(() => node.status().role === 'leader');
      assert.equal(fsm.data.get('after'), 'restart');
      assert.equal(fsm.data.size, 31);
      await node.propose(setCmd('after', 'recovery'));
      assert.equal(fsm.data.get('after'), 'recovery');
    } finally {
      await node.stop();
    }
  }));
