// Real 3-server clusters on loopback: election, replication, leader loss, catch-up by
// InstallSnapshot, full restarts (SIGKILL and SIGTERM), a fourth server joining as a non-voter
// and being promoted, graceful leave, and a foreign cluster's handshake refused.
//
// One cluster is shared by the tests in order (each leaves it with every node it started
// running and agreeing on a leader); the foreign-cluster test starts its own extra server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestCluster, TestNode, freePort, sleep, until, type RaftServer } from './harness.ts';

const RAFT_SERVER_KEYS = ['ID', 'Node', 'Address', 'Leader', 'Voter', 'RaftProtocol'];
// Every node: the leader promotes a caught-up non-voter after 1 s of stability instead of
// Nomad's 10 s, with autopilot's loops fast enough to act within the test. Dead-server cleanup
// is off: these tests kill and stop servers on purpose and check what Raft itself (and a
// graceful leave) does to the configuration; autopilot would otherwise remove a failed voter
// within one reconcile tick (contract §4.5).
const AUTOPILOT = `autopilot {
  server_stabilization_time = "1s"
  update_interval = "250ms"
  reconcile_interval = "500ms"
  cleanup_dead_servers = false
}`;

let c: TestCluster;

/** Every acknowledged (200) write: path → the value written and the X-Nomad-Index it answered. */
const acked = new Map<string, { value: string; index: number }>();

interface WriteResult {
  status: number;
  index: number;
  text: string;
}

async function write(node: TestNode, p: string, value: string): Promise<WriteResult> {
  const r = await fetch(node.url(`/v1/var/${p}`), { method: 'PUT', body: JSON.stringify({ Items: { v: value } }), signal: AbortSignal.timeout(15_000) });
  const text = await r.text();
  const index = Number(r.headers.get('x-nomad-index') ?? NaN);
  if (r.status === 200) {
    assert.ok(Number.isSafeInteger(index) && index > 0, `a 200 write answers X-Nomad-Index (got ${r.headers.get('x-nomad-index')})`);
    const body = JSON.parse(text) as { Path: string; Items: Record<string, string>; ModifyIndex: number };
    assert.equal(body.Path, p);
    assert.deepEqual(body.Items, { v: value });
    assert.equal(body.ModifyIndex, index);
    acked.set(p, { value, index });
  }
  return { status: r.status, index, text };
}

/** Writes until one attempt is acknowledged (for writes made while leadership settles). */
async function writeOk(node: TestNode, p: string, value: string, timeoutMs = 20_000): Promise<WriteResult> {
  return until(`write ${p} through ${node.name}`, async () => {
    const r = await write(node, p, value);
    if (r.status !== 200) throw new Error(`${r.status} ${r.text}`);
    return r;
  }, timeoutMs, 100);
}

/** A node's local (stale) view of one variable's value, or undefined. */
async function staleValue(node: TestNode, p: string): Promise<string | undefined> {
  const r = await node.get(`/v1/var/${p}?stale`);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`stale read of ${p} on ${node.name}: ${r.status} ${r.text}`);
  return (r.body as { Items: Record<string, string> }).Items['v'];
}

async function waitValue(node: TestNode, p: string, value: string, timeoutMs = 20_000): Promise<void> {
  await until(`${node.name} to see ${p}=${value}`, async () => ((await staleValue(node, p)) === value ? true : undefined), timeoutMs, 50);
}

/** A node's local (stale) variable list: path → ModifyIndex. */
async function staleList(node: TestNode, prefix = ''): Promise<Map<string, number>> {
  const r = await node.get(`/v1/vars?stale&prefix=${encodeURIComponent(prefix)}`);
  if (r.status !== 200) throw new Error(`list on ${node.name}: ${r.status} ${r.text}`);
  return new Map((r.body as { Path: string; ModifyIndex: number }[]).map((v) => [v.Path, v.ModifyIndex]));
}

/** Every acknowledged write is in the node's local state: for the newest write of each path, at its index. */
async function assertHasAllAcked(node: TestNode): Promise<void> {
  const list = await staleList(node);
  const missing = [...acked].filter(([p, w]) => list.get(p) !== w.index);
  assert.deepEqual(missing.slice(0, 5), [], `${node.name} lacks ${missing.length} of ${acked.size} acknowledged writes (path → wanted index, has ${missing.slice(0, 5).map(([p]) => list.get(p)).join(',')})`);
}

async function waitHasAllAcked(node: TestNode, timeoutMs = 20_000): Promise<void> {
  await until(`${node.name} to hold all ${acked.size} acknowledged writes`, async () => {
    await assertHasAllAcked(node);
    return true;
  }, timeoutMs, 100);
}

async function raftStats(node: TestNode): Promise<Record<string, string>> {
  const r = await node.get('/v1/agent/self');
  if (r.status !== 200) throw new Error(`agent/self on ${node.name}: ${r.status} ${r.text}`);
  return (r.body as { stats: { raft: Record<string, string> } }).stats.raft;
}

async function staleConfig(node: TestNode): Promise<RaftServer[]> {
  const r = await node.get('/v1/operator/raft/configuration?stale');
  if (r.status !== 200) throw new Error(`raft configuration on ${node.name}: ${r.status} ${r.text}`);
  return (r.body as { Servers: RaftServer[] }).Servers;
}

async function nodeId(node: TestNode): Promise<string> {
  return (await readFile(path.join(node.dataDir, 'server', 'node-id'), 'utf8')).trim();
}

/** The JSON log lines a node wrote from byte `from` on (its log file only grows). */
async function logLines(node: TestNode, from = 0): Promise<{ msg?: string; [k: string]: unknown }[]> {
  const text = (await node.log()).slice(from);
  const out: { msg?: string }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as { msg?: string });
    } catch {
      /* a partly written last line */
    }
  }
  return out;
}

async function logSize(node: TestNode): Promise<number> {
  return (await node.log()).length;
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

/** Waits until every node in `among` has `ids` (exactly) as voters in its local configuration. */
async function waitVoters(among: TestNode[], ids: string[], timeoutMs = 20_000): Promise<void> {
  await until(`voters ${ids.length} on ${among.map((n) => n.name).join(',')}`, async () => {
    for (const n of among) {
      const servers = await staleConfig(n);
      const voters = servers.filter((s) => s.Voter).map((s) => s.ID);
      if (JSON.stringify(sorted(voters)) !== JSON.stringify(sorted(ids)) || servers.length !== ids.length) return undefined;
    }
    return true;
  }, timeoutMs, 100);
}

/** Every node of the shared cluster running and agreeing on a leader (repairs after an earlier failed test). */
async function ready(): Promise<TestNode> {
  await c.startAll();
  return c.waitForLeader(30_000, c.nodes);
}

/** With a failing assertion, attach the cluster's log tails. */
async function withLogs<T>(fn: () => Promise<T>, clusters: (TestCluster | TestNode)[] = [c]): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const tails: string[] = [];
    for (const x of clusters) {
      if (x instanceof TestCluster) tails.push(await x.logs(25));
      else tails.push(`--- ${x.name}\n${(await x.log()).split('\n').slice(-25).join('\n')}`);
    }
    const err = e as Error;
    err.message += `\n${tails.join('\n')}`;
    if (err.stack) err.stack += `\nlog tails:\n${tails.join('\n')}`;
    throw e;
  }
}

before(async () => {
  c = await TestCluster.create(3, { extraHcl: AUTOPILOT });
  await c.startAll();
});

after(async () => {
  await c?.destroy();
});

test('election: three servers with bootstrap_expect=3 elect one leader they all agree on', () =>
  withLogs(async () => {
    const leader = await c.waitForLeader(40_000);
    const ids = await Promise.all(c.nodes.map(nodeId));
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, 3, 'three distinct node IDs');

    // Exactly one server says it is the leader; the others are followers naming it.
    const stats = await until('every node to report its raft state', async () => {
      const all = await Promise.all(c.nodes.map(raftStats));
      return all.filter((s) => s['state'] === 'Leader').length === 1 && all.filter((s) => s['state'] === 'Follower').length === 2 ? all : undefined;
    });
    assert.equal(stats[c.nodes.indexOf(leader)]!['state'], 'Leader');
    assert.equal(new Set(stats.map((s) => s['term'])).size, 1, `one term on all nodes: ${stats.map((s) => s['term'])}`);
    for (const s of stats) assert.equal(s['num_peers'], '2');

    const cfg = await c.raftConfig(c.nodes.find((n) => n !== leader)!); // proxied to the leader
    assert.equal(cfg.Servers.length, 3);
    assert.ok(Number.isSafeInteger(cfg.Index) && cfg.Index > 0);
    for (const s of cfg.Servers) {
      assert.deepEqual(Object.keys(s), RAFT_SERVER_KEYS, 'RaftServer keys of contract §1.1, in order');
      assert.equal(s.Voter, true);
      assert.equal(s.RaftProtocol, '3');
    }
    assert.deepEqual(sorted(cfg.Servers.map((s) => s.ID)), sorted(ids));
    assert.deepEqual(sorted(cfg.Servers.map((s) => s.Address)), sorted(c.nodes.map((n) => n.rpcAddr)));
    assert.deepEqual(sorted(cfg.Servers.map((s) => s.Node)), ['s1.global', 's2.global', 's3.global']);
    const leaders = cfg.Servers.filter((s) => s.Leader);
    assert.equal(leaders.length, 1, 'exactly one Leader:true');
    assert.equal(leaders[0]!.Address, leader.rpcAddr);
    assert.equal(leaders[0]!.ID, ids[c.nodes.indexOf(leader)]);

    for (const n of c.nodes) {
      const peers = await n.get('/v1/status/peers');
      assert.equal(peers.status, 200);
      assert.deepEqual(sorted(peers.body as string[]), sorted(c.nodes.map((x) => x.rpcAddr)), `status/peers on ${n.name}`);
      const sl = await n.get('/v1/status/leader');
      assert.equal(sl.status, 200);
      assert.equal(sl.body, leader.rpcAddr);
      const h = await n.get('/v1/agent/health');
      assert.equal(h.status, 200, `agent/health on ${n.name}: ${h.text}`);
      assert.deepEqual(h.body, { server: { ok: true, message: 'ok' } });
    }
  }));

test('replication: writes through the leader and through a follower reach every node', () =>
  withLogs(async () => {
    const leader = await ready();
    const follower = c.nodes.find((n) => n !== leader)!;
    const viaLeader = await write(leader, 'repl/via-leader', 'L1');
    assert.equal(viaLeader.status, 200, viaLeader.text);
    const viaFollower = await write(follower, 'repl/via-follower', 'F1');
    assert.equal(viaFollower.status, 200, viaFollower.text);
    assert.ok(viaFollower.index > viaLeader.index, 'indexes grow');
    // Overwrite through the other follower: every node ends with the newest value.
    const other = c.nodes.find((n) => n !== leader && n !== follower)!;
    const again = await write(other, 'repl/via-leader', 'L2');
    assert.equal(again.status, 200, again.text);
    for (const n of c.nodes) {
      await waitValue(n, 'repl/via-leader', 'L2');
      await waitValue(n, 'repl/via-follower', 'F1');
    }
    // A consistent read through a follower sees the write it just made.
    const r = await follower.get('/v1/var/repl/via-leader');
    assert.equal(r.status, 200);
    assert.equal((r.body as { Items: Record<string, string> }).Items['v'], 'L2');
    assert.equal((r.body as { ModifyIndex: number }).ModifyIndex, again.index);
  }));

test('SIGKILL of the leader: the other two elect a new leader, writes go on, the killed node catches up', () =>
  withLogs(async () => {
    const old = await ready();
    const termBefore = Number((await raftStats(old))['term']);
    await write(old, 'failover/before', 'b');
    await old.kill9();
    assert.equal(old.running, false);
    const rest = c.nodes.filter((n) => n !== old);
    const leader = await c.waitForLeader(20_000, rest);
    assert.notEqual(leader, old);
    assert.ok(Number((await raftStats(leader))['term']) > termBefore, 'a new term');
    const follower = rest.find((n) => n !== leader)!;
    await writeOk(leader, 'failover/during-1', 'd1');
    await writeOk(follower, 'failover/during-2', 'd2'); // proxied to the new leader
    for (const n of rest) await waitValue(n, 'failover/during-2', 'd2');

    await old.start();
    for (const p of ['failover/before', 'failover/during-1', 'failover/during-2']) await waitValue(old, p, acked.get(p)!.value);
    await c.waitForLeader(20_000, c.nodes);
    await waitHasAllAcked(old);
  }));

test('catch-up by InstallSnapshot: a follower down for >400 writes gets the leader snapshot', () =>
  withLogs(async () => {
    const leader = await ready();
    const victim = c.nodes.find((n) => n !== leader)!;
    const victimLastBefore = Number((await raftStats(victim))['last_log_index']);
    await victim.kill9();

    const N = 450;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < N) {
          const i = next++;
          await writeOk(leader, `snap/k${String(i).padStart(4, '0')}`, `value-${i}`);
        }
      }),
    );
    // The leader compacted its log past where the victim stopped, so only a snapshot can help it.
    const ls = await until('the leader to compact past the victim', async () => {
      const s = await raftStats(leader);
      return Number(s['last_snapshot_index']) > victimLastBefore + 1 ? s : undefined;
    });
    assert.ok(Number(ls['last_log_index']) >= victimLastBefore + N);

    const from = await logSize(victim);
    await victim.start();
    await until('the restarted follower to hold all 450 bulk writes', async () => ((await staleList(victim, 'snap/')).size === N ? true : undefined), 30_000);
    await waitHasAllAcked(victim);
    assert.equal(await staleValue(victim, 'snap/k0000'), 'value-0');
    assert.equal(await staleValue(victim, `snap/k${String(N - 1).padStart(4, '0')}`), `value-${N - 1}`);

    const lines = await logLines(victim, from);
    const installed = lines.filter((l) => l.msg === 'installed snapshot from the leader');
    assert.ok(installed.length >= 1, `the follower logs "installed snapshot from the leader" after its restart (got: ${lines.map((l) => l.msg).slice(-15).join(' | ')})`);
    assert.ok(Number(installed[0]!['index']) > victimLastBefore, 'the snapshot covers the writes it missed');
    const vs = await raftStats(victim);
    assert.ok(Number(vs['last_snapshot_index']) > victimLastBefore, `its last snapshot index (${vs['last_snapshot_index']}) moved past ${victimLastBefore}`);
    const snaps = await readdir(path.join(victim.dataDir, 'server', 'raft', 'snapshots'));
    assert.ok(snaps.length > 0, 'a snapshot is stored in server/raft/snapshots/');
  }));

test('full-cluster restart after SIGKILL of all: same node IDs, term kept, every acknowledged write present', () =>
  withLogs(async () => {
    await ready();
    await writeOk(c.nodes[0]!, 'restart/kill-all', 'k');
    for (const n of c.nodes) await waitValue(n, 'restart/kill-all', 'k');
    const idsBefore = await Promise.all(c.nodes.map(nodeId));
    const termsBefore = (await Promise.all(c.nodes.map(raftStats))).map((s) => Number(s['term']));

    await Promise.all(c.nodes.map((n) => n.kill9()));
    assert.equal(c.running().length, 0);
    await c.startAll();
    const leader = await c.waitForLeader(30_000);

    assert.deepEqual(await Promise.all(c.nodes.map(nodeId)), idsBefore, 'server/node-id unchanged');
    const cfg = await c.raftConfig(leader);
    assert.deepEqual(sorted(cfg.Servers.map((s) => s.ID)), sorted(idsBefore), 'the same three servers');
    assert.ok(cfg.Servers.every((s) => s.Voter));
    const statsAfter = await Promise.all(c.nodes.map(raftStats));
    statsAfter.forEach((s, i) => assert.ok(Number(s['term']) >= termsBefore[i]!, `${c.nodes[i]!.name}: term ${s['term']} < ${termsBefore[i]} before the restart`));
    assert.ok(Number((await raftStats(leader))['term']) > Math.max(...termsBefore), 'the new leader is in a later term');
    for (const n of c.nodes) await waitHasAllAcked(n);
    assert.equal(await staleValue(c.nodes[2]!, 'repl/via-leader'), 'L2');
    // And the cluster takes writes again.
    await writeOk(c.nodes[1]!, 'restart/after-kill-all', 'a');
  }));

test('a fourth server joins through retry_join as a non-voter and is promoted to voter', () =>
  withLogs(async () => {
    const leader = await ready();
    const s4 = await c.addNode({ expect: 0, extraHcl: `leave_on_terminate = true\n${AUTOPILOT}` });
    await s4.start();
    const s4Id = await until('s4 to write its node ID', () => nodeId(s4).catch(() => undefined));

    // Poll the leader's configuration often enough to see the non-voter phase (≥ 1 s).
    const seen: boolean[] = [];
    await until('s4 to become a voter', async () => {
      const cfg = await c.raftConfig(leader);
      const me = cfg.Servers.find((s) => s.ID === s4Id);
      if (!me) return undefined;
      seen.push(me.Voter);
      assert.equal(me.Address, s4.rpcAddr);
      return me.Voter ? true : undefined;
    }, 30_000, 50);
    assert.equal(seen[0], false, `s4 first appears as a non-voter (observed ${seen.join(',')})`);
    assert.equal(seen.at(-1), true);
    // The promotion is autopilot's (the stable promoter on the leader), not a side effect of joining.
    const promoted = await until('a leader to log the promotion', async () => {
      for (const n of c.nodes) if ((await logLines(n)).some((l) => l.msg === 'autopilot: promoting a stable non-voter to voter' && l['id'] === s4Id)) return n.name;
      return undefined;
    }, 5000);
    assert.ok(promoted);

    const ids = await Promise.all(c.nodes.map(nodeId));
    await waitVoters(c.nodes, ids);
    const cfg = await c.raftConfig(s4);
    const row = cfg.Servers.find((s) => s.ID === s4Id)!;
    assert.equal(row.Node, 's4.global');
    assert.equal(row.RaftProtocol, '3');
    const peers = await s4.get('/v1/status/peers?stale');
    assert.equal((peers.body as string[]).length, 4);
    await waitHasAllAcked(s4);
  }));

test('graceful leave: SIGTERM with leave_on_terminate removes the server; without it the server stays', () =>
  withLogs(async () => {
    const s4 = c.nodes[3];
    assert.ok(s4?.running, 's4 from the previous test is running');
    await c.waitForLeader(); // s4 may lead or follow: leave works for both
    const s4Id = await nodeId(s4);
    const exit = await s4.signal('SIGTERM', 20_000);
    assert.equal(exit.code, 0, `s4 exits cleanly after leaving (got ${JSON.stringify(exit)})`);
    const logText = (await logLines(s4)).map((l) => l.msg);
    assert.ok(logText.includes('signal received: leaving the cluster and stopping'), 'the agent chose to leave');
    const rest = c.nodes.slice(0, 3);
    const restIds = await Promise.all(rest.map(nodeId));
    await waitVoters(rest, restIds);
    const leader = await c.waitForLeader(20_000, rest);
    const cfg = await c.raftConfig(leader);
    assert.ok(!cfg.Servers.some((s) => s.ID === s4Id), 's4 is gone from the configuration');
    const peers = await leader.get('/v1/status/peers');
    assert.deepEqual(sorted(peers.body as string[]), sorted(rest.map((n) => n.rpcAddr)));
    c.nodes.pop(); // s4 is done with (its directory goes with the cluster's)

    // Without leave_on_terminate (the default): a follower stopped by SIGTERM stays a voter.
    const stayer = rest.find((n) => n !== leader)!;
    const stayerId = await nodeId(stayer);
    const exit2 = await stayer.signal('SIGTERM', 20_000);
    assert.equal(exit2.code, 0);
    assert.ok((await logLines(stayer)).some((l) => l.msg === 'signal received: stopping (staying in the cluster)'));
    const others = rest.filter((n) => n !== stayer);
    // Longer than failure_timeout (1 s) and several leader-duty passes.
    await until('the stopped member to be seen as failed', async () => {
      const m = await leader.get('/v1/agent/members');
      const row = (m.body as { Members: { Name: string; Status: string }[] }).Members.find((x) => x.Name === `${stayer.name}.global`);
      return row && row.Status === 'failed' ? true : undefined;
    }, 15_000);
    await sleep(2000);
    for (const n of others) {
      const servers = await staleConfig(n);
      const row = servers.find((s) => s.ID === stayerId);
      assert.ok(row, `${stayer.name} is still in ${n.name}'s configuration`);
      assert.equal(row.Voter, true);
      assert.equal(servers.length, 3);
    }
    await writeOk(leader, 'leave/with-two', 'w2'); // two of three voters still commit
    await stayer.start();
    await waitValue(stayer, 'leave/with-two', 'w2');
    await c.waitForLeader(20_000, c.nodes);
  }));

test('all servers stopped with SIGTERM and restarted keep their configuration, elect a leader and keep data', () =>
  withLogs(async () => {
    const leader = await ready();
    const ids = await Promise.all(c.nodes.map(nodeId));
    const before = (await c.raftConfig(leader)).Servers.map((s) => `${s.ID}@${s.Address}:${s.Voter}`);
    await writeOk(leader, 'restart/term-all', 't');
    for (const n of c.nodes) await waitValue(n, 'restart/term-all', 't');

    const exits = await Promise.all(c.nodes.map((n) => n.signal('SIGTERM', 20_000)));
    for (const e of exits) assert.equal(e.code, 0, `clean exit on SIGTERM: ${JSON.stringify(e)}`);
    await c.startAll();
    const newLeader = await c.waitForLeader(30_000);
    const after = (await c.raftConfig(newLeader)).Servers.map((s) => `${s.ID}@${s.Address}:${s.Voter}`);
    assert.deepEqual(sorted(after), sorted(before), 'the same voters at the same addresses');
    assert.deepEqual(await Promise.all(c.nodes.map(nodeId)), ids);
    await waitVoters(c.nodes, ids);
    for (const n of c.nodes) await waitHasAllAcked(n);
    await writeOk(newLeader, 'restart/after-term-all', 'a');
  }));

test('a foreign cluster told to join is refused at the handshake and never enters the first cluster', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opraft-it-foreign-'));
  const foreign = new TestNode('foreign1', path.join(dir, 'foreign1'), await freePort(), await freePort(), { expect: 1, join: [], extraHcl: AUTOPILOT });
  try {
    await withLogs(async () => {
      await foreign.start();
      await until('the foreign single-server cluster to elect itself', async () => {
        const r = await foreign.get('/v1/status/leader?stale');
        return r.status === 200 && r.body === foreign.rpcAddr ? true : undefined;
      }, 30_000);
      await writeOk(foreign, 'foreign/data', 'x');
      const clusterIdOf = async (n: TestNode) => {
        const l = (await logLines(n)).filter((x) => x.msg === 'adopting the cluster ID').at(-1);
        return l ? String(l['clusterId']) : undefined;
      };
      const foreignCluster = await until('the foreign cluster ID', () => clusterIdOf(foreign));
      const leader = await ready();
      const ourCluster = await until('our cluster ID', () => clusterIdOf(leader));
      assert.notEqual(foreignCluster, ourCluster);
      const foreignId = await nodeId(foreign);
      const memberCount = async (n: TestNode) => ((await n.get('/v1/agent/members')).body as { Members: unknown[] }).Members.length;
      const membersBefore = await Promise.all(c.nodes.map(memberCount));

      const j = await foreign.req('PUT', `/v1/agent/join?address=${encodeURIComponent(leader.rpcAddr)}`);
      assert.equal(j.status, 200, j.text);
      const jb = j.body as { num_joined: number; error: string };
      assert.equal(jb.num_joined, 0, `the join is not counted as joined: ${j.text}`);
      assert.ok(typeof jb.error === 'string' && jb.error.length > 0, `the join answer says why: ${j.text}`);
      t.diagnostic(`join answered ${j.text}`);

      const refusal = /refused (a|the) handshake|is in cluster/;
      const line = await until('a log line naming the refusal', async () => {
        for (const n of [foreign, ...c.nodes]) {
          const l = (await logLines(n)).find((x) => typeof x.msg === 'string' && refusal.test(x.msg) && (x.msg.includes(foreignCluster) || x['peerCluster'] === foreignCluster || x['localCluster'] === foreignCluster));
          if (l) return `${n.name}: ${l.msg}`;
        }
        return undefined;
      });
      assert.match(line, refusal);
      t.diagnostic(`refusal logged by ${line}`);

      // For a while (several membership and leader-duty rounds) nothing of it shows up here.
      for (let i = 0; i < 10; i++) {
        for (const n of c.nodes) {
          const members = (await n.get('/v1/agent/members')).body as { Members: { Name: string; Tags: Record<string, string> }[] };
          assert.ok(!members.Members.some((m) => m.Name.startsWith('foreign1') || m.Tags['id'] === foreignId), `${n.name}'s members never include the foreign server`);
          assert.ok(members.Members.length <= membersBefore[c.nodes.indexOf(n)]!, `${n.name} gained no member`);
          const servers = await staleConfig(n);
          assert.ok(!servers.some((s) => s.ID === foreignId || s.Address === foreign.rpcAddr), `${n.name}'s raft configuration never includes it`);
          assert.equal(servers.length, 3);
        }
        await sleep(300);
      }
      // Nor did the foreign server take anything from us: it is still alone, with its own data.
      const fcfg = await staleConfig(foreign);
      assert.deepEqual(fcfg.map((s) => s.ID), [foreignId]);
      assert.equal(await staleValue(foreign, 'foreign/data'), 'x');
      assert.equal(await staleValue(foreign, 'repl/via-leader'), undefined);
    }, [c, foreign]);
  } finally {
    await foreign.signal('SIGKILL').catch(() => undefined);
    if (!process.env.KEEP_TEST_DATA) await rm(dir, { recursive: true, force: true });
  }
});
