// Cost must not grow with history: a long run of writes (default 200,000) against opraft's leader
// with Nomad's snapshot and compaction defaults, measured per window (default 20,000 writes):
// throughput, p50/p99, disk use of each data dir, RSS. A bounded key space (bench/0..999) keeps
// the state itself the same size, so any growth is the log's or the snapshots'.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { HistoryWindow } from './report.ts';
import { runLoad } from './load.ts';
import type { OpraftCluster } from './opraft.ts';
import { http } from './procs.ts';
import { du, memory } from './resources.ts';

export interface HistoryOptions {
  writes: number;
  window: number;
  connections: number;
}

/** Index of the newest snapshot file (<term>-<index>-<ms>.snap) in a node's data dir; 0 for none. */
async function newestSnapshot(dataDir: string): Promise<number> {
  const names = await readdir(path.join(dataDir, 'server/raft/snapshots')).catch(() => [] as string[]);
  return Math.max(0, ...names.map((n) => Number(/^\d+-(\d+)-\d+\.snap$/.exec(n)?.[1] ?? 0)));
}

export async function historyRun(c: OpraftCluster, o: HistoryOptions, log: (s: string) => void): Promise<{ windows: HistoryWindow[]; verdict: Record<string, unknown> }> {
  const windows: HistoryWindow[] = [];
  const w = c.failoverWrite();
  let total = 0;
  let n = 0;
  for (let i = 1; total < o.writes; i++) {
    await c.waitHealthy(60_000);
    const leader = await c.leader();
    const amount = Math.min(o.window, o.writes - total);
    const r = await runLoad({ baseUrl: c.url(leader, ''), workload: w, connections: o.connections, amount, start: n });
    n += amount;
    total += r.ok;
    const diskBytes: Record<string, number> = {};
    const rssMiB: Record<string, number> = {};
    const snapshotIndex: Record<string, number> = {};
    for (const node of c.nodes) {
      diskBytes[node.name] = await du(node.dataDir);
      rssMiB[node.name] = memory(node.pid()).rssMiB;
      snapshotIndex[node.name] = await newestSnapshot(node.dataDir);
    }
    // The stat moves only when the log is compacted up to a snapshot (trailing logs after it).
    let compactedThrough: number | undefined;
    try {
      const s = await http('GET', c.url(leader, '/v1/agent/self'), undefined, 2000);
      compactedThrough = Number((s.body as { stats: { raft: Record<string, string> } }).stats.raft['last_snapshot_index']);
    } catch {
      /* leave it out */
    }
    windows.push({ window: i, writesTotal: total, rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, non2xx: r.non2xx, errors: r.errors, diskBytes, rssMiB, snapshotIndex, compactedThrough });
    log(`  window ${String(i).padStart(2)}: ${String(total).padStart(7)} writes, ${r.rps.toFixed(0).padStart(5)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, disk ${Object.values(diskBytes).map((b) => (b / 2 ** 20).toFixed(1)).join('/')} MiB, RSS ${Object.values(rssMiB).map((x) => x.toFixed(0)).join('/')} MiB, snapshot@${Object.values(snapshotIndex).join('/')}, log compacted through ${compactedThrough ?? '?'}${r.non2xx + r.errors ? `, ${r.non2xx} non-2xx ${r.errors} errors` : ''}`);
    if (r.ok === 0) throw new Error('history: a window with no successful write');
  }
  // Flat: the last windows' p50 and disk are no more than 1.5x those of windows 2-3 (window 1 is
  // warm-up and has no snapshot yet); the last three windows, or fewer so as not to overlap.
  const early = windows.slice(1, 3);
  const late = windows.slice(Math.max(3, windows.length - 3));
  const avg = (ws: HistoryWindow[], f: (w: HistoryWindow) => number) => ws.reduce((a, x) => a + f(x), 0) / Math.max(1, ws.length);
  const maxDisk = (x: HistoryWindow) => Math.max(...Object.values(x.diskBytes));
  const maxRss = (x: HistoryWindow) => Math.max(...Object.values(x.rssMiB));
  const verdict = {
    p50Growth: avg(late, (x) => x.p50Ms) / avg(early, (x) => x.p50Ms),
    p99Growth: avg(late, (x) => x.p99Ms) / avg(early, (x) => x.p99Ms),
    rpsChange: avg(late, (x) => x.rps) / avg(early, (x) => x.rps),
    diskGrowth: avg(late, maxDisk) / avg(early, maxDisk),
    rssGrowth: avg(late, maxRss) / avg(early, maxRss),
    maxDiskMiB: Math.max(...windows.map(maxDisk)) / 2 ** 20,
    snapshots: new Set(windows.flatMap((x) => Object.values(x.snapshotIndex)).filter((x) => x > 0)).size,
    compacted: windows.some((x) => (x.compactedThrough ?? 0) > 0),
  };
  return { windows, verdict: { ...verdict, flat: verdict.p50Growth <= 1.5 && verdict.diskGrowth <= 1.5 } };
}
