// peers.json outage recovery with real server processes (contract §3, scenarios §9.1 and §9.2):
// the peers.info sentinel, ingestion of a v3 file, refusal on an empty Raft store, the v2 format,
// validation failures, the missing-local-ID warning, and the single-survivor drill.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configShape as shape, countLog, logRecords, nodeId, raftStats, staleConfig, TestCluster, until, waitLeader, waitUp, type TestNode } from './harness.ts';

const raftDir = (n: TestNode) => path.join(n.dataDir, 'server', 'raft');
const peersJson = (n: TestNode) => path.join(raftDir(n), 'peers.json');
const peersInfo = (n: TestNode) => path.join(raftDir(n), 'peers.info');

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

async function putVar(n: TestNode, p: string, v: string): Promise<void> {
  const r = await n.req('PUT', `/v1/var/${p}`, { Items: { k: v } });
  assert.equal(r.status, 200, `PUT /v1/var/${p}: ${r.status} ${r.text}`);
}

async function getVar(n: TestNode, p: string, query = ''): Promise<string | undefined> {
  const r = await n.get(`/v1/var/${p}${query}`);
  if (r.status === 404) return undefined;
  assert.equal(r.status, 200, `GET /v1/var/${p}: ${r.status} ${r.text}`);
  return (r.body as { Items: { k: string } }).Items.k;
}

/** Starts a node that must fail start-up: non-zero exit, and the log holds `text`. Returns the log of this attempt. */
async function startFails(n: TestNode, text: string | RegExp): Promise<string> {
  const before = (await n.log()).length;
  await n.start();
  const exit = await n.waitExit(30_000);
  const log = (await n.log()).slice(before);
  assert.ok(exit.code !== 0 && exit.code !== null, `${n.name} should have failed to start, exit ${JSON.stringify(exit)}\n${log}`);
  if (typeof text === 'string') assert.ok(log.includes(text), `${n.name}'s log lacks ${JSON.stringify(text)}:\n${log}`);
  else assert.match(log, text);
  assert.match(log, /server failed to start/);
  return log;
}

/** Every file name and size under the Raft snapshots folder: a cheap picture of "untouched". */
async function snapshotFiles(n: TestNode): Promise<string> {
  const dir = path.join(raftDir(n), 'snapshots');
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(`${path.relative(dir, p)}:${(await stat(p)).size}`);
    }
  };
  await walk(dir);
  return out.sort().join(',');
}

function entry(id: string, address: string, nonVoter?: boolean): Record<string, unknown> {
  return nonVoter === undefined ? { id, address } : { id, address, non_voter: nonVoter };
}

describe('peers.json recovery with real servers', { concurrency: false }, () => {
  const clusters: TestCluster[] = [];
  after(async () => {
    await Promise.all(clusters.map((c) => c.destroy()));
  });

  async function single(): Promise<{ c: TestCluster; n: TestNode }> {
    const c = await TestCluster.create(1, { expect: 1, join: [] });
    clusters.push(c);
    return { c, n: c.nodes[0]! };
  }

  test('§9.2(a): without peers.info a peers.json is deleted unread (first start and later), the configuration unchanged', async () => {
    const { c, n } = await single();
    try {
      // A brand-new data dir that already holds a peers.json: discarded, the server bootstraps normally.
      await mkdir(raftDir(n), { recursive: true });
      const stranger = entry(randomUUID(), '127.0.0.1:1');
      await writeFile(peersJson(n), JSON.stringify([stranger]));
      await n.start();
      const leader = await waitLeader(c, [n]);
      assert.equal(leader, n);
      const id = await nodeId(n);
      assert.equal(await exists(peersJson(n)), false, 'peers.json was not deleted');
      assert.equal(await exists(peersInfo(n)), true, 'peers.info was not written');
      const before = await c.raftConfig(n);
      assert.deepEqual(shape(before), [`${id} ${n.rpcAddr} voter`]);
      await putVar(n, 'a/one', '1');

      // A server with state whose peers.info was deleted: the file is discarded again, unread.
      await n.signal('SIGTERM');
      await rm(peersInfo(n));
      await writeFile(peersJson(n), JSON.stringify([entry(id, n.rpcAddr, true), stranger])); // would leave it without quorum
      await n.start();
      await waitLeader(c, [n]);
      assert.equal(await exists(peersJson(n)), false, 'peers.json was not deleted');
      assert.equal(await exists(peersInfo(n)), true, 'peers.info was not written again');
      const later = await c.raftConfig(n);
      assert.deepEqual(shape(later), shape(before));
      assert.equal(later.Index, before.Index);
      assert.equal(await getVar(n, 'a/one'), '1');
      assert.equal(await countLog(n, 'deleted peers.json file'), 2);
      assert.equal(await countLog(n, 'found peers.json file'), 0, 'peers.json was read');
      assert.equal(await countLog(n, 'recovered the raft configuration'), 0);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await c.logs(25)}`, { cause: e });
    } finally {
      await c.destroy();
    }
  });

  test('§9.2(c): recovery on a server with an empty Raft store is refused', async () => {
    const c = await TestCluster.create(1, { expect: 0, join: [] });
    clusters.push(c);
    const n = c.nodes[0]!;
    try {
      // A server that started once (peers.info written) but never joined anything.
      await n.start();
      await waitUp(n);
      const id = await nodeId(n);
      await n.signal('SIGTERM');
      assert.equal(await exists(peersInfo(n)), true);
      const text = JSON.stringify([entry(id, n.rpcAddr)]);
      await writeFile(peersJson(n), text);
      await startFails(n, 'refused to recover cluster with no initial state');
      assert.equal(await readFile(peersJson(n), 'utf8'), text, 'peers.json should be left for the operator');
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await c.logs(25)}`, { cause: e });
    } finally {
      await c.destroy();
    }
  });

  test('§9.1 and validation: a v2 file or an invalid file aborts start and is left in place; the object format then recovers; a missing local ID is warned about', async () => {
    const { c, n } = await single();
    try {
      await n.start();
      await waitLeader(c, [n]);
      const id = await nodeId(n);
      for (let i = 0; i < 5; i++) await putVar(n, `d/k${i}`, `v${i}`);
      const before = await c.raftConfig(n);
      await n.signal('SIGTERM');
      const snaps = await snapshotFiles(n);

      // §9.1: the Raft protocol 2 format (a list of "ip:port" strings).
      const v2 = JSON.stringify([n.rpcAddr]);
      await writeFile(peersJson(n), v2);
      const log = await startFails(n, 'recovery failed to parse peers.json: ');
      assert.match(log, /entry 0/, 'the detail should name the wrong entry');
      assert.equal(await readFile(peersJson(n), 'utf8'), v2, 'the v2 file should be left in place');
      assert.equal(await snapshotFiles(n), snaps, 'the snapshot folder changed');

      // Raft state untouched: without the file the server starts as before.
      await rm(peersJson(n));
      await n.start();
      await waitLeader(c, [n]);
      const same = await c.raftConfig(n);
      assert.deepEqual(shape(same), shape(before));
      assert.equal(same.Index, before.Index, 'the configuration index changed after a failed recovery');
      assert.equal(await getVar(n, 'd/k4'), 'v4');
      await n.signal('SIGTERM');

      // Validation failures (checkConfiguration) abort start, naming the problem; the file stays.
      const other = randomUUID();
      const bad: [string, string, string][] = [
        ['empty id', JSON.stringify([entry('', n.rpcAddr)]), 'empty ID in configuration'],
        ['empty address', JSON.stringify([entry(id, '')]), 'empty address in configuration'],
        ['duplicate id', JSON.stringify([entry(id, n.rpcAddr), entry(id, '127.0.0.1:1')]), `found duplicate ID in configuration: ${id}`],
        ['duplicate address', JSON.stringify([entry(id, n.rpcAddr), entry(other, n.rpcAddr)]), `found duplicate address in configuration: ${n.rpcAddr}`],
        ['no voter', JSON.stringify([entry(id, n.rpcAddr, true)]), 'need at least one voter in configuration'],
        ['an object, not an array', JSON.stringify(entry(id, n.rpcAddr)), 'not an array'],
        ['not JSON', '[{"id": ', 'invalid JSON'],
      ];
      for (const [what, body, text] of bad) {
        await writeFile(peersJson(n), body);
        const l = await startFails(n, text);
        assert.match(l, /recovery failed to parse peers\.json: /, `${what}: not reported as a peers.json problem`);
        assert.equal(await readFile(peersJson(n), 'utf8'), body, `${what}: the file should be left in place`);
      }
      assert.equal(await snapshotFiles(n), snaps, 'a failed validation changed the snapshot folder');

      // The object format with the real node ID: recovered, file deleted, exactly that voter.
      await writeFile(peersJson(n), JSON.stringify([{ ID: id, Address: n.rpcAddr, NON_VOTER: false, comment: 'keys any case, unknown keys ignored' }]));
      await n.start();
      await waitLeader(c, [n]);
      assert.equal(await exists(peersJson(n)), false, 'peers.json was not deleted');
      assert.equal(await exists(peersInfo(n)), true);
      const rec = await c.raftConfig(n);
      assert.deepEqual(rec.Servers.map((s) => [s.ID, s.Address, s.Voter, s.Leader]), [[id, n.rpcAddr, true, true]]);
      for (let i = 0; i < 5; i++) assert.equal(await getVar(n, `d/k${i}`), `v${i}`);
      await putVar(n, 'd/after', 'yes');
      assert.equal(await countLog(n, 'deleted peers.json file after successful recovery'), 1);
      assert.equal(await countLog(n, 'does not list this server'), 0);

      // §3.3: the ID is not checked against the local node ID, but a warning says so.
      await n.signal('SIGTERM');
      const stranger = randomUUID();
      await writeFile(peersJson(n), JSON.stringify([entry(stranger, n.rpcAddr)]));
      await n.start();
      await waitUp(n);
      assert.ok(n.running, 'a file without the local ID still starts');
      const warn = (await logRecords(n)).find((r) => typeof r.msg === 'string' && r.msg.includes('does not list this server'));
      assert.ok(warn, 'no warning about the missing local node ID');
      assert.equal(warn.level, 40, 'the missing local ID should be a warning');
      assert.equal(warn.localId, id);
      assert.equal(await exists(peersJson(n)), false);
      assert.deepEqual(shape(await staleConfig(n)), [`${stranger} ${n.rpcAddr} voter`]);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await c.logs(25)}`, { cause: e });
    } finally {
      await c.destroy();
    }
  });

  test('§9.2(b): two survivors recover with one file (a voter and a non-voter); data kept, file deleted', async () => {
    // A long stabilization time keeps the recovered non-voter a non-voter while we look.
    const c = await TestCluster.create(3, { extraHcl: 'autopilot {\n  server_stabilization_time = "60s"\n}' });
    clusters.push(c);
    try {
      await c.startAll();
      const leader = await waitLeader(c, c.nodes);
      for (let i = 0; i < 5; i++) await putVar(leader, `b/k${i}`, `v${i}`);
      // Both survivors hold every write before the third server is lost.
      const [keep, demoted] = c.nodes.filter((n) => n !== c.nodes[2]) as [TestNode, TestNode];
      const lost = c.nodes[2]!;
      for (const n of [keep, demoted]) await until(`${n.name} to have the writes`, async () => (await getVar(n, 'b/k4', '?stale')) === 'v4' || undefined);
      await lost.kill9();
      await Promise.all([keep.signal('SIGTERM'), demoted.signal('SIGTERM')]);

      const [idKeep, idDemoted] = await Promise.all([nodeId(keep), nodeId(demoted)]);
      const text = JSON.stringify([entry(idKeep, keep.rpcAddr, false), entry(idDemoted, demoted.rpcAddr, true)], null, 2);
      for (const n of [keep, demoted]) await writeFile(peersJson(n), text);
      await Promise.all([keep.start(), demoted.start()]);
      const newLeader = await waitLeader(c, [keep, demoted]);
      assert.equal(newLeader, keep, 'the only voter should lead');
      for (const n of [keep, demoted]) {
        assert.equal(await exists(peersJson(n)), false, `${n.name}: peers.json was not deleted`);
        assert.equal(await exists(peersInfo(n)), true);
        assert.equal(await countLog(n, 'deleted peers.json file after successful recovery'), 1, `${n.name} did not recover`);
      }
      const cfg = await c.raftConfig(keep);
      assert.deepEqual(shape(cfg), [`${idKeep} ${keep.rpcAddr} voter`, `${idDemoted} ${demoted.rpcAddr} nonvoter`].sort());
      assert.equal(cfg.Servers.length, 2, 'the lost server is still in the configuration');
      for (let i = 0; i < 5; i++) assert.equal(await getVar(keep, `b/k${i}`), `v${i}`);
      await putVar(keep, 'b/after', 'new');
      await until('the non-voter to replicate the new write', async () => (await getVar(demoted, 'b/after', '?stale')) === 'new' || undefined);
      assert.deepEqual(shape(await staleConfig(demoted)), shape(cfg));
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await c.logs(25)}`, { cause: e });
    } finally {
      await c.destroy();
    }
  });

  test('drill: a 3-server cluster loses 2 servers for good; the survivor recovers alone with every acknowledged write', async () => {
    const c = await TestCluster.create(3);
    clusters.push(c);
    try {
      await c.startAll();
      const leader = await waitLeader(c, c.nodes);
      const acked: string[] = [];
      for (let i = 0; i < 10; i++) {
        await putVar(leader, `drill/k${i}`, `v${i}`);
        acked.push(`drill/k${i}`);
      }
      // The leader holds every write it acknowledged: it survives, the other two are gone for good.
      const survivor = leader;
      const lost = c.nodes.filter((n) => n !== survivor);
      await Promise.all(lost.map((n) => n.kill9()));

      // No quorum: the survivor steps down and writes fail.
      await until('the survivor to step down', async () => (await survivor.get('/v1/status/leader?stale')).body === '' || undefined, 20_000);
      const w = await survivor.req('PUT', '/v1/var/drill/lost', { Items: { k: 'x' } }).catch((e: Error) => ({ status: 0, text: e.message, body: undefined }));
      assert.notEqual(w.status, 200, `a write without quorum succeeded: ${w.text}`);
      assert.equal(w.status, 500, w.text);
      assert.match(w.text, /No cluster leader/);

      // Stop it, give it a peers.json naming only itself, restart.
      const lastIndex = Number((await raftStats(survivor)).last_log_index);
      await survivor.signal('SIGTERM');
      const id = await nodeId(survivor);
      await writeFile(peersJson(survivor), JSON.stringify([entry(id, survivor.rpcAddr)]));
      await survivor.start();
      const newLeader = await waitLeader(c, [survivor]);
      assert.equal(newLeader, survivor);
      const cfg = await c.raftConfig(survivor);
      assert.deepEqual(cfg.Servers.map((s) => [s.ID, s.Address, s.Voter, s.Leader]), [[id, survivor.rpcAddr, true, true]]);
      assert.equal(await exists(peersJson(survivor)), false);
      for (const [i, p] of acked.entries()) assert.equal(await getVar(survivor, p), `v${i}`, `${p} was lost`);
      // The write refused before it was proposed never took effect (Part A §7).
      assert.equal(await getVar(survivor, 'drill/lost'), undefined);
      await putVar(survivor, 'drill/after', 'ok');
      assert.equal(await getVar(survivor, 'drill/after'), 'ok');
      // §3.2 c: the recovery snapshot covers every entry the survivor held.
      const st = await raftStats(survivor);
      assert.ok(Number(st.last_snapshot_index) >= lastIndex, `recovery snapshot at ${st.last_snapshot_index}, the log had ${lastIndex}`);
      assert.equal(st.num_peers, '0');
      assert.equal(st.state, 'Leader');
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await c.logs(25)}`, { cause: e });
    } finally {
      await c.destroy();
    }
  });
});
