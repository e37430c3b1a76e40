// The test-only fault hooks the chaos suite drives: one-way transport cuts (WsTransport.setCut)
// and the storage batch writer's disk faults (testDiskFaults: slow writes, a failing write).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from '../../src/transport/index.ts';
import type { Message } from '../../src/raft/types.ts';
import type { WsTransport } from '../../src/transport/ws-transport.ts';
import { openRaftStorage, testDiskFaults } from '../../src/storage/index.ts';
import { entry, withTempDir } from '../storage/helpers/util.ts';
import { addr, Fleet, heartbeat, sleep, waitFor } from './helpers.ts';

function raftFrames(t: WsTransport): Message[] {
  const got: Message[] = [];
  t.onFrame((_from, f: Frame) => {
    if (f.t === 'raft') got.push(f.m as Message);
  });
  return got;
}

test('test faults: a one-way cut drops one direction only; both = a partition; an empty cut heals', async () => {
  const fleet = new Fleet();
  try {
    const a = await fleet.make('a');
    const b = await fleet.make('b');
    const atA = raftFrames(a);
    const atB = raftFrames(b);
    a.setPeer('b', addr(b));
    b.setPeer('a', addr(a));
    /** Sends a heartbeat each way (term n) and gives them time to arrive. */
    const exchange = async (n: number) => {
      a.send('b', { t: 'raft', m: heartbeat('a', 'b', n) });
      b.send('a', { t: 'raft', m: heartbeat('b', 'a', n) });
      await sleep(150);
    };
    await exchange(1);
    await waitFor(() => atA.length > 0 && atB.length > 0, 2000, 'first deliveries');

    a.setCut({ in: [], out: ['b'] }); // a is heard by nobody
    assert.deepEqual(a.cut, { in: [], out: ['b'] });
    assert.equal(a.send('b', { t: 'raft', m: heartbeat('a', 'b', 2) }), false);
    await exchange(2);
    assert.ok(!atB.some((m) => m.term === 2), 'a -> b must be cut');
    assert.ok(atA.some((m) => m.term === 2), 'b -> a must still arrive');

    a.setCut({ in: ['b'], out: [] }); // a hears nobody
    await exchange(3);
    assert.ok(atB.some((m) => m.term === 3), 'a -> b must arrive');
    assert.ok(!atA.some((m) => m.term === 3), 'b -> a must be cut');

    a.setPartitioned(['b']);
    assert.deepEqual(a.partitionedFrom, ['b']);
    await exchange(4);
    assert.ok(!atB.some((m) => m.term === 4) && !atA.some((m) => m.term === 4), 'both ways cut');

    a.setPartitioned([]);
    assert.deepEqual(a.cut, { in: [], out: [] });
    await exchange(5);
    await waitFor(() => atA.some((m) => m.term === 5) && atB.some((m) => m.term === 5), 2000, 'deliveries after healing');
  } finally {
    await fleet.stop();
  }
});

test('test faults: a slow disk delays every synced batch; a failing write rejects it and every write after it', () =>
  withTempDir(async (dir) => {
    const s = await openRaftStorage({ raftDir: dir });
    try {
      testDiskFaults.delayMs = 120;
      const before = testDiskFaults.delayedBatches;
      const t0 = Date.now();
      await s.log.persist({ entries: [entry(1, 1)], hardState: { term: 1, vote: 'a', commit: 0 } });
      assert.ok(Date.now() - t0 >= 100, `the batch waited ${Date.now() - t0} ms`);
      assert.equal(testDiskFaults.delayedBatches, before + 1);
      testDiskFaults.delayMs = 0;

      testDiskFaults.fail = true;
      await assert.rejects(s.log.persist({ entries: [entry(2, 1)] }), /injected disk write failure/);
      assert.equal(testDiskFaults.fail, false, 'one failure per arming');
      // After a failed synced write the state on disk is unknown: nothing more is written.
      await assert.rejects(s.log.persist({ entries: [entry(3, 1)] }), /restart the server/);
    } finally {
      testDiskFaults.delayMs = 0;
      testDiskFaults.fail = false;
      await s.close().catch(() => undefined);
    }
  }));
