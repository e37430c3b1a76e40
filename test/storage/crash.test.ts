// Durability under crashes: the test-only crash mode (a power loss drops unsynced batches),
// the deliberately broken ackBeforeSync variant that the same check must catch, and a real
// kill -9 of a writing process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRaftStorage, type TestMode } from '../../src/storage/index.ts';
import { entry, withTempDir } from './helpers/util.ts';

/** A seeded generator so a failing round can be replayed. */
function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

interface Acked {
  lastIndex: number;
  commit: number;
}

/**
 * Writes batches (two entries + hard state each) and crashes with the last one in flight.
 * Sequential mode waits for each ack before the next batch (as RaftNode does); pipelined mode
 * keeps several queued. Returns what was acknowledged and how many entries were issued.
 */
async function writeAndCrash(raftDir: string, mode: TestMode, seed: number, pipelined: boolean, waitBeforeCrash = true): Promise<Acked & { issued: number }> {
  const random = seeded(seed);
  const s = await openRaftStorage({ raftDir, testMode: mode });
  const acked: Acked = { lastIndex: 0, commit: 0 };
  const batches = 10 + Math.floor(random() * 30);
  let issued = 0;
  for (let b = 0; b < batches; b++) {
    const first = b * 2 + 1;
    issued = first + 1;
    const p = s.log.persist({ entries: [entry(first, 1), entry(first + 1, 1)], hardState: { term: 1, vote: 'n1', commit: first + 1 } }).then(() => {
      acked.lastIndex = Math.max(acked.lastIndex, first + 1);
      acked.commit = Math.max(acked.commit, first + 1);
    });
    if (b === batches - 1) break; // crash with this batch in flight
    if (!pipelined) await p;
    else if (random() < 0.3) await new Promise((r) => setTimeout(r, 1));
  }
  if (waitBeforeCrash && random() < 0.5) await new Promise((r) => setTimeout(r, Math.floor(random() * 3)));
  await s.crash!();
  return { ...acked, issued };
}

/** What a restarted node would find wrong: lost acknowledged writes, a broken log. */
async function violations(raftDir: string, acked: Acked): Promise<string[]> {
  const s = await openRaftStorage({ raftDir });
  try {
    const problems: string[] = [];
    let got;
    try {
      got = await s.log.load(); // validates contiguity, versions and term order itself
    } catch (err) {
      return [`load failed: ${(err as Error).message}`];
    }
    const last = got.entries.at(-1)?.index ?? 0;
    if (last < acked.lastIndex) problems.push(`acknowledged entries ${last + 1}..${acked.lastIndex} were lost`);
    if (got.hardState.commit < acked.commit) problems.push(`acknowledged commit ${acked.commit} went back to ${got.hardState.commit}`);
    if (got.hardState.commit > last) problems.push(`commit ${got.hardState.commit} is beyond the last entry ${last}`);
    got.entries.forEach((e, n) => {
      if (e.index !== n + 1) problems.push(`entry ${n + 1} is at position of ${e.index}`);
    });
    return problems;
  } finally {
    await s.close();
  }
}

test('crash mode: a power loss loses only unacknowledged batches (one batch at a time, as RaftNode)', async () => {
  for (let seed = 1; seed <= 6; seed++) {
    await withTempDir(async (dir) => {
      const acked = await writeAndCrash(dir, 'crashable', seed, false);
      assert.deepEqual(await violations(dir, acked), [], `seed ${seed}`);
    });
  }
});

test('crash mode: pipelined batches, crash at random moments: acknowledged ones survive', async () => {
  let lostSome = false;
  for (let seed = 11; seed <= 18; seed++) {
    await withTempDir(async (dir) => {
      const acked = await writeAndCrash(dir, 'crashable', seed, true);
      assert.deepEqual(await violations(dir, acked), [], `seed ${seed}`);
      const s = await openRaftStorage({ raftDir: dir });
      const { entries } = await s.log.load();
      await s.close();
      if (entries.length < acked.issued) lostSome = true;
    });
  }
  // The crash really dropped unsynced batches in some round (else the test proves nothing).
  assert.ok(lostSome, 'the crash mode dropped unsynced batches in at least one round');
});

test('ackBeforeSync (broken on purpose): the same check catches lost acknowledged writes', async () => {
  await withTempDir(async (dir) => {
    // Crash right after the acks: the writes they claimed are still queued.
    const acked = await writeAndCrash(dir, 'ackBeforeSync', 7, false, false);
    assert.ok(acked.lastIndex > 0);
    const found = await violations(dir, acked);
    assert.ok(found.some((p) => /acknowledged entries .* were lost/.test(p)), `expected lost acknowledged entries, got ${JSON.stringify(found)}`);
  });
});

test('crash mode: promises of dropped batches never settle; writes after the crash are refused', () =>
  withTempDir(async (dir) => {
    const s = await openRaftStorage({ raftDir: dir, testMode: 'crashable' });
    let settled = false;
    void s.log.persist({ entries: [entry(1, 1)] }).then(() => (settled = true), () => (settled = true));
    await s.crash!();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(settled, false);
    await assert.rejects(s.log.persist({ entries: [entry(1, 1)] }), /closed|crashed/);
    const again = await openRaftStorage({ raftDir: dir });
    assert.deepEqual((await again.log.load()).entries, []);
    await again.close();
  }));

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs the writer child until it has acknowledged `stopAfter` entries, then kill -9. */
function runAndKill(raftDir: string, stopAfter: number): Promise<{ acked: number; snaps: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'helpers', 'kill-child.ts'), raftDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    const snaps: number[] = [];
    let buf = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer child made no progress (acked ${acked}); stderr: ${err}`));
    }, 20_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const [kind, n] = line.split(' ');
        if (kind === 'ACK') acked = Number(n);
        if (kind === 'SNAP') snaps.push(Number(n));
        if (acked >= stopAfter && !child.killed) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ acked, snaps });
      else reject(new Error(`writer child exited with ${code}: ${err}`));
    });
  });
}

test('kill -9 of a writing process: it restarts with every acknowledged entry and a valid store', () =>
  withTempDir(async (dir) => {
    for (const stopAfter of [150, 330]) {
      const { acked } = await runAndKill(dir, stopAfter);
      assert.ok(acked >= stopAfter);
      const s = await openRaftStorage({ raftDir: dir });
      try {
        const got = await s.log.load();
        const snap = await s.snapshots.loadLatest();
        const last = got.entries.at(-1)?.index ?? got.snapshotMeta?.index ?? 0;
        assert.ok(last >= acked, `acknowledged up to ${acked}, found up to ${last}`);
        assert.ok(got.hardState.commit >= acked);
        // The compaction point always has a verified snapshot at or above it.
        if (got.snapshotMeta) assert.ok(snap && snap.meta.index >= got.snapshotMeta.index, 'a snapshot covers the compacted log');
        if (got.entries.length) assert.equal(got.entries[0]!.index, (got.snapshotMeta?.index ?? 0) + 1);
      } finally {
        await s.close();
      }
    }
  }));
