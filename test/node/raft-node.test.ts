import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftNode } from '../../src/node/index.ts';
import { seededRng } from '../../src/util/random.ts';
import { Hub, KvMachine, MemLog, MemSnapshots, setCmd } from './fakes.ts';

interface Member { node: RaftNode<string | null>; log: MemLog; snaps: MemSnapshots; fsm: KvMachine }

async function cluster(ids: string[], hub: Hub, opts: { threshold?: number; trailing?: number } = {}) {
  const rng = seededRng(3);
  const members = new Map<string, Member>();
  for (const id of ids) {
    const log = new MemLog();
    const snaps = new MemSnapshots();
    members.set(id, await open(id, hub, log, snaps, rng.next.bind(rng), opts));
  }
  return members;
}

async function open(id: string, hub: Hub, log: MemLog, snaps: MemSnapshots, random: () => number, opts: { threshold?: number; trailing?: number }): Promise<Member> {
  const fsm = new KvMachine();
  const node = await RaftNode.open<string | null>({
    id, log, snapshots: snaps, link: hub.link(id), fsm, tickMs: 5, random,
    snapshotThreshold: opts.threshold ?? 1000, trailingLogs: opts.trailing ?? 0, applyTimeoutMs: 3000,
  });
  return { node, log, snaps, fsm };
}

async function waitFor<T>(fn: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const leaderOf = (ms: Map<string, Member>) => [...ms.values()].find((m) => m.node.status().role === 'leader');

test('a bootstrapped 3-node runtime elects, commits, reads and survives a restart', async (t) => {
  const hub = new Hub();
  const ids = ['a', 'b', 'c'];
  const ms = await cluster(ids, hub, { threshold: 5, trailing: 2 });
  t.after(async () => { for (const m of ms.values()) await m.node.stop(); });
  for (const m of ms.values()) {
    m.node.bootstrap({ voters: ids, nonVoters: [] });
    m.node.start();
  }
  const leader = await waitFor(() => leaderOf(ms));
  const r1 = await leader.node.propose(setCmd('k', 'v1'));
  assert.equal(r1.result, null);
  const r2 = await leader.node.propose(setCmd('k', 'v2'));
  assert.equal(r2.result, 'v1', 'the state machine result reaches the proposer');
  const readAt = await leader.node.readIndex();
  assert.ok(readAt >= r2.index);
  for (let i = 0; i < 10; i++) await leader.node.propose(setCmd(`x${i}`, `${i}`));
  await waitFor(() => [...ms.values()].every((m) => m.fsm.data.get('x9') === '9'));
  assert.ok(leader.snaps.list.length > 0, 'a snapshot was taken past the threshold');
  assert.ok((leader.log.snapshotMeta?.index ?? 0) > 0, 'and the log compacted behind it');

  // A follower forwards reads to the leader.
  const follower = [...ms.values()].find((m) => m !== leader)!;
  const fIndex = await follower.node.readIndex();
  assert.ok(fIndex >= r2.index);
  assert.equal(follower.fsm.data.get('k'), 'v2');

  // Restart a follower from its persisted state: it restores the snapshot and replays the log.
  const id = follower.node.status().id;
  await follower.node.stop();
  const again = await open(id, hub, follower.log, follower.snaps, () => 0.3, { threshold: 5, trailing: 2 });
  ms.set(id, again);
  again.node.start();
  await leader.node.propose(setCmd('after', 'restart'));
  await waitFor(() => again.fsm.data.get('after') === 'restart');
  assert.equal(again.fsm.data.get('x5'), '5');
});

test('proposals on a follower are refused; a leader cut off loses its pending write as indeterminate', async (t) => {
  const hub = new Hub();
  const ids = ['a', 'b', 'c'];
  const ms = await cluster(ids, hub);
  t.after(async () => { for (const m of ms.values()) await m.node.stop(); });
  for (const m of ms.values()) {
    m.node.bootstrap({ voters: ids, nonVoters: [] });
    m.node.start();
  }
  const leader = await waitFor(() => leaderOf(ms));
  const follower = [...ms.values()].find((m) => m !== leader)!;
  await assert.rejects(follower.node.propose(setCmd('a', 'b')), /not the leader|no known leader/);
  hub.down.add(leader.node.status().id);
  await assert.rejects(leader.node.propose(setCmd('lost', '1')), /leadership lost while committing log|timed out waiting for the write to commit/);
});

test("a committed write is answered before the leader's next batch is on disk (apply does not wait for a later fsync)", async (t) => {
  const hub = new Hub();
  const ids = ['a', 'b', 'c'];
  const ms = await cluster(ids, hub);
  t.after(async () => { for (const m of ms.values()) await m.node.stop(); });
  for (const m of ms.values()) {
    m.node.bootstrap({ voters: ids, nonVoters: [] });
    m.node.start();
  }
  const leader = await waitFor(() => leaderOf(ms));
  await leader.node.propose(setCmd('warm', 'up'));
  // From now on the leader's disk is slow, and we note when each of its entry batches is durable.
  const events: string[] = [];
  const persist = leader.log.persist.bind(leader.log);
  leader.log.persist = async (b) => {
    await new Promise((r) => setTimeout(r, 15)); // well below the 50 ms election timeout at a 5 ms tick
    await persist(b);
    if (b.entries.length > 0) events.push(`durable ${b.entries.map((e) => e.index).join(',')}`);
  };
  const a = leader.node.propose(setCmd('a', '1')).then((r) => events.push(`answered ${r.index}`));
  // B arrives while A's batch is being written, so it is in the next batch, with A's commit.
  await new Promise((r) => setTimeout(r, 5));
  const b = leader.node.propose(setCmd('b', '2')).then((r) => events.push(`answered ${r.index}`));
  await Promise.all([a, b]);
  const [ia, ib] = [events.find((e) => e.startsWith('durable'))!.split(' ')[1]!, events.filter((e) => e.startsWith('durable'))[1]!.split(' ')[1]!];
  // A is answered before the batch holding B is durable; B only after it.
  assert.ok(events.indexOf(`answered ${ia}`) < events.indexOf(`durable ${ib}`), events.join(' | '));
  assert.ok(events.indexOf(`answered ${ib}`) > events.indexOf(`durable ${ib}`), events.join(' | '));
});

test('the log is compacted when trailingLogs exceeds the snapshot threshold (Nomad defaults: 8192 and 10240)', async (t) => {
  // With one waiting slot, every snapshot replaced the one still waiting out its trailing
  // entries and the log grew forever (found by the 200,000-write history benchmark).
  const hub = new Hub();
  const ids = ['a', 'b', 'c'];
  const ms = await cluster(ids, hub, { threshold: 8, trailing: 10 });
  t.after(async () => { for (const m of ms.values()) await m.node.stop(); });
  for (const m of ms.values()) {
    m.node.bootstrap({ voters: ids, nonVoters: [] });
    m.node.start();
  }
  const leader = await waitFor(() => leaderOf(ms));
  for (let i = 0; i < 60; i++) await leader.node.propose(setCmd(`k${i % 7}`, `${i}`));
  await waitFor(() => [...ms.values()].every((m) => m.fsm.data.get(`k${59 % 7}`) === '59'));
  const s = leader.node.status();
  const compacted = leader.log.snapshotMeta?.index ?? 0;
  assert.ok(compacted > 0 && s.snapshotIndex === compacted, `compacted to a snapshot (log store at ${compacted}, core at ${s.snapshotIndex})`);
  // The log keeps at most trailing + threshold entries behind the applied index, plus the newest batch.
  assert.ok(s.appliedIndex - compacted <= 10 + 8 + 2, `log length ${s.appliedIndex - compacted} is bounded`);
  assert.ok(s.appliedIndex - compacted >= 10, 'at least trailingLogs entries stay');
});
