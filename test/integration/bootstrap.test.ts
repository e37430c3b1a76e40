// bootstrap_expect with real server processes (contract §5.2, §5.3): expect = 1 forms a
// one-server cluster, expect = 0 never self-bootstraps and waits to be added, expect = N waits
// for N servers, a conflicting expect value stops bootstrap, a cluster never bootstraps twice
// (restarts keep the configuration), and a server started later joins the existing cluster.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { configShape as shape, countLog, logRecords, nodeId, raftStats, sleep, staleConfig, TestCluster, until, waitLeader, waitUp, type TestNode } from './harness.ts';

/** Lets a joined server be promoted to voter quickly (the default waits 10 s). */
const FAST_PROMOTION = 'autopilot {\n  server_stabilization_time = "1s"\n}';

/** How many times this node's Raft was bootstrapped (the Raft node logs each call once). */
async function bootstraps(n: TestNode): Promise<number> {
  return (await logRecords(n)).filter((r) => r.msg === 'bootstrapping the cluster').length;
}

/**
 * Watches `nodes` for `ms`: none may know a leader, be leader, or hold a Raft log entry
 * (never bootstrapped). Several election timeouts at raft_tick 25 ms (250–500 ms each).
 */
async function assertNoBootstrap(nodes: TestNode[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    for (const n of nodes) {
      const leader = await n.get('/v1/status/leader?stale');
      assert.equal(leader.status, 200, leader.text);
      assert.equal(leader.body, '', `${n.name} knows a leader: ${leader.text}`);
      const st = await raftStats(n);
      assert.notEqual(st.state, 'Leader', `${n.name} became leader`);
      assert.equal(st.last_log_index, '0', `${n.name} has log entries (bootstrapped?): ${JSON.stringify(st)}`);
      assert.equal(st.latest_configuration, '[]', `${n.name} has a configuration: ${st.latest_configuration}`);
    }
    await sleep(200);
  }
}

/** Every node reports the same configuration (stale, its own view) and the same leader. */
async function assertOneCluster(nodes: TestNode[], leader: TestNode): Promise<string[]> {
  return until('every node to report one configuration and one leader', async () => {
    const shapes = await Promise.all(nodes.map(async (n) => JSON.stringify(shape(await staleConfig(n)))));
    const leaders = await Promise.all(nodes.map(async (n) => (await n.get('/v1/status/leader?stale')).body));
    const selfConfigs = await Promise.all(nodes.map(async (n) => (await raftStats(n)).latest_configuration));
    if (new Set(shapes).size !== 1 || new Set(selfConfigs).size !== 1) return undefined;
    if (leaders.some((l) => l !== leader.rpcAddr)) return undefined;
    return JSON.parse(shapes[0]!) as string[];
  }, 20_000);
}

/** The cluster IDs named by the `adopting the cluster ID` lines of these nodes' logs. */
async function clusterIds(nodes: TestNode[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const n of nodes) for (const r of await logRecords(n)) if (r.msg === 'adopting the cluster ID') ids.add(String(r.clusterId));
  return ids;
}

describe('bootstrap_expect with real servers', { concurrency: false }, () => {
  const clusters: TestCluster[] = [];
  after(async () => {
    await Promise.all(clusters.map((c) => c.destroy()));
  });

  test('expect=1 bootstraps alone; expect=0 never self-bootstraps, joins through retry_join, and a restart keeps the configuration', async () => {
    const c = await TestCluster.create(2, { extraHcl: FAST_PROMOTION });
    clusters.push(c);
    const [s1, s2] = c.nodes as [TestNode, TestNode];
    s1.opts = { ...s1.opts, expect: 1, join: [] };
    s2.opts = { ...s2.opts, expect: 0, join: [] }; // lone: knows nobody
    try {
      await Promise.all([s1.start(), s2.start()]);

      // expect = 1: a one-server cluster, itself the only voter and the leader.
      const leader = await waitLeader(c, [s1]);
      assert.equal(leader, s1);
      const id1 = await nodeId(s1);
      const cfg1 = await c.raftConfig(s1);
      assert.deepEqual(cfg1.Servers.map((s) => [s.ID, s.Address, s.Voter, s.Leader]), [[id1, s1.rpcAddr, true, true]]);
      const self1 = (await s1.get('/v1/agent/self')).body as { stats: { nomad: Record<string, string> }; member: { Tags: Record<string, string> } };
      assert.equal(self1.stats.nomad.bootstrap, 'true');
      assert.equal(self1.stats.nomad.leader, 'true');
      assert.equal(self1.member.Tags.bootstrap, '1');
      const put = await s1.req('PUT', '/v1/var/boot/one', { Items: { k: 'v1' } });
      assert.equal(put.status, 200, put.text);

      // expect = 0 alone: no leader, no term, no entries, after many election timeouts; a
      // consistent read waits the hold time and answers 500 No cluster leader.
      await waitUp(s2);
      const consistent = s2.get('/v1/status/leader');
      await assertNoBootstrap([s2], 2500);
      const st2 = await raftStats(s2);
      assert.equal(st2.term, '0', 'a server with expect 0 and no configuration never campaigns');
      const r = await consistent;
      assert.equal(r.status, 500, r.text);
      assert.match(r.text, /No cluster leader/);
      const health = await s2.get('/v1/agent/health');
      assert.equal(health.status, 500);
      assert.deepEqual(health.body, { server: { ok: false, message: 'no leader' } });
      assert.equal(await bootstraps(s2), 0);

      // Point it at the cluster with retry_join: the leader adds it (non-voter, then promoted).
      await s2.signal('SIGTERM');
      s2.opts = { ...s2.opts, join: [s1.rpcAddr] };
      await s2.start();
      const id2 = await nodeId(s2);
      await until('s1 to have s2 as a voter', async () => {
        const cfg = await c.raftConfig(s1);
        return cfg.Servers.length === 2 && cfg.Servers.every((s) => s.Voter) || undefined;
      }, 30_000);
      const added = (await logRecords(s1)).filter((l) => l.msg === 'changing the raft configuration').map((l) => JSON.stringify(l.change));
      assert.ok(added.some((a) => a.includes('addNonVoter') && a.includes(id2)), `s1's leader did not add s2: ${added.join(', ')}`);
      const before = await c.raftConfig(s1);
      assert.deepEqual(shape(before), [`${id1} ${s1.rpcAddr} voter`, `${id2} ${s2.rpcAddr} voter`].sort());
      assert.ok(before.Index > 1, `configuration index ${before.Index} after adding a server`);
      assert.deepEqual(await assertOneCluster([s1, s2], s1), shape(before));
      const got = await s2.get('/v1/var/boot/one');
      assert.equal(got.status, 200, got.text);
      assert.equal(await bootstraps(s2), 0, 's2 (expect 0) bootstrapped');

      // Restart both: no second bootstrap, same configuration and configuration index.
      await Promise.all([s1.signal('SIGTERM'), s2.signal('SIGTERM')]);
      await Promise.all([s1.start(), s2.start()]);
      const leader2 = await waitLeader(c, c.nodes);
      const later = await c.raftConfig(leader2);
      assert.deepEqual(shape(later), shape(before));
      assert.equal(later.Index, before.Index, 'the configuration index changed across a restart (bootstrapped again?)');
      assert.equal(await bootstraps(s1), 1, 's1 bootstrapped more than once');
      assert.equal(await bootstraps(s2), 0);
      const again = await leader2.get('/v1/var/boot/one');
      assert.equal(again.status, 200, again.text);
      assert.deepEqual((again.body as { Items: unknown }).Items, { k: 'v1' });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await c.logs(20)}`, { cause: e });
    } finally {
      await c.destroy();
    }
  });

  test('expect=3 waits with 2 servers, bootstraps with the third; a later server joins instead of bootstrapping; restart keeps the configuration', async () => {
    const c = await TestCluster.create(3, { extraHcl: FAST_PROMOTION });
    clusters.push(c);
    const [s1, s2, s3] = c.nodes as [TestNode, TestNode, TestNode];
    try {
      await Promise.all([s1.start(), s2.start()]);
      await Promise.all([waitUp(s1), waitUp(s2)]);
      // They see each other but wait for a third.
      await until('s1 and s2 to see each other', async () => {
        const m = (await s1.get('/v1/agent/members')).body as { Members: unknown[] };
        return m.Members.length === 2 || undefined;
      });
      await assertNoBootstrap([s1, s2], 2500);
      assert.ok((await countLog(s1, 'waiting for more servers')) > 0, 's1 does not say it waits');

      await s3.start();
      const leader = await waitLeader(c, c.nodes);
      const ids = await Promise.all([s1, s2, s3].map(nodeId));
      const expected = [s1, s2, s3].map((n, i) => `${ids[i]} ${n.rpcAddr} voter`).sort();
      const first = await c.raftConfig(leader);
      assert.deepEqual(shape(first), expected);
      assert.equal(first.Servers.filter((s) => s.Leader).length, 1);
      // Each server bootstraps at most once, with the same three; one that asks Status.Peers after
      // another bootstrapped joins that cluster instead (as Nomad's servers race too).
      const counts = await Promise.all([s1, s2, s3].map(bootstraps));
      assert.ok(counts.every((n) => n <= 1) && counts.some((n) => n === 1), `bootstrap calls per server: ${counts.join(', ')}`);
      for (const n of [s1, s2, s3]) {
        for (const r of (await logRecords(n)).filter((l) => l.msg === 'bootstrap_expect: bootstrapping the cluster')) {
          const set = (r.servers as { id: string; address: string; voter: boolean }[]).map((x) => `${x.id} ${x.address} ${x.voter ? 'voter' : 'nonvoter'}`).sort();
          assert.deepEqual(set, expected, `${n.name} bootstrapped with another set`);
        }
      }
      const put = await leader.req('PUT', '/v1/var/boot/three', { Items: { k: 'v3' } });
      assert.equal(put.status, 200, put.text);

      // A fourth server with the same expect: Status.Peers tells it a cluster exists; it joins.
      const s4 = await c.addNode({ expect: 3, extraHcl: FAST_PROMOTION });
      await s4.start();
      const id4 = await nodeId(s4);
      await until('s4 to be a voter of the first cluster', async () => {
        const cfg = await c.raftConfig(leader);
        return cfg.Servers.length === 4 && cfg.Servers.every((s) => s.Voter) || undefined;
      }, 30_000);
      assert.ok((await countLog(s4, 'joining that cluster instead of bootstrapping')) > 0, 's4 does not say it joins the existing cluster');
      assert.equal(await bootstraps(s4), 0, 's4 bootstrapped a second cluster');
      const before = await c.raftConfig(leader);
      assert.deepEqual(shape(before), [...expected, `${id4} ${s4.rpcAddr} voter`].sort());
      assert.deepEqual(await assertOneCluster(c.nodes, leader), shape(before));
      const got = await s4.get('/v1/var/boot/three?stale');
      assert.equal(got.status, 200, got.text);
      const cids = await until('every node to adopt the cluster ID', async () => {
        const s = await clusterIds(c.nodes);
        const all = await Promise.all(c.nodes.map((n) => countLog(n, 'adopting the cluster ID')));
        return all.every((x) => x > 0) ? s : undefined;
      });
      assert.equal(cids.size, 1, `more than one cluster ID: ${[...cids].join(', ')}`);

      // Restart everything: no bootstrap over existing state, same configuration and index.
      await Promise.all(c.nodes.map((n) => n.signal('SIGTERM')));
      await Promise.all(c.nodes.map((n) => n.start()));
      const leader2 = await waitLeader(c, c.nodes);
      const later = await c.raftConfig(leader2);
      assert.deepEqual(shape(later), shape(before));
      assert.equal(later.Index, before.Index, 'the configuration index changed across a restart (bootstrapped again?)');
      assert.deepEqual(await Promise.all([s1, s2, s3].map(bootstraps)), counts, 'a server bootstrapped again after the restart');
      assert.equal(await bootstraps(s4), 0);
      const again = await leader2.get('/v1/var/boot/three');
      assert.equal(again.status, 200, again.text);
      assert.equal((await clusterIds(c.nodes)).size, 1);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await c.logs(20)}`, { cause: e });
    } finally {
      await c.destroy();
    }
  });

  test('a conflicting expect value stops bootstrap until it is fixed', async () => {
    const c = await TestCluster.create(3);
    clusters.push(c);
    const [s1, s2, s3] = c.nodes as [TestNode, TestNode, TestNode];
    s3.opts = { ...s3.opts, expect: 5 };
    try {
      await c.startAll();
      await Promise.all(c.nodes.map((n) => waitUp(n)));
      await until('every server to log the conflict', async () => {
        const n = await Promise.all(c.nodes.map((x) => countLog(x, 'conflicting expect value')));
        return n.every((x) => x > 0) || undefined;
      });
      // Three servers are up, enough for expect = 3, yet nobody bootstraps.
      await assertNoBootstrap(c.nodes, 2500);
      for (const n of c.nodes) assert.equal(await bootstraps(n), 0, `${n.name} bootstrapped despite the conflict`);
      const conflict = (await logRecords(s1)).find((r) => typeof r.msg === 'string' && r.msg.includes('conflicting expect value'))!;
      assert.equal(conflict.theirs, 5);
      assert.equal(conflict.ours, 3);

      // The operator fixes s3's value: now they bootstrap.
      await s3.signal('SIGTERM');
      s3.opts = { ...s3.opts, expect: 3 };
      await s3.start();
      const leader = await waitLeader(c, c.nodes);
      const ids = await Promise.all(c.nodes.map(nodeId));
      assert.deepEqual(shape(await c.raftConfig(leader)), c.nodes.map((n, i) => `${ids[i]} ${n.rpcAddr} voter`).sort());
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await c.logs(20)}`, { cause: e });
    } finally {
      await c.destroy();
    }
  });
});
