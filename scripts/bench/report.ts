// The results file (JSON, everything measured) and the markdown tables printed and written next to it.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FailoverTrial } from './failover.ts';
import type { LoadResult } from './load.ts';
import type { ProfileSummary } from './profile.ts';
import { fmt, median, ratio, spread, type Spread } from './stats.ts';
import type { StraceResult } from './strace.ts';

export interface Entry {
  phase: 'writes' | 'reads';
  round: number;
  system: string;
  workload: string;
  target: 'leader' | 'follower';
  connections: number;
  result: LoadResult;
  /** CPU seconds (utime + stime) of all three servers and of the leader during the measured run. */
  cpu: { clusterS: number; leaderS: number; per10kWritesClusterS: number; per10kWritesLeaderS: number };
  loadavg1: number;
  order: number;
}

export interface Comparison {
  phase: 'writes' | 'reads';
  system: string;
  workload: string;
  baseline: string;
  target: 'leader' | 'follower';
  connections: number;
  perRound: { round: number; opraft: Pick<LoadResult, 'rps' | 'p50Ms' | 'p99Ms'>; etcd: Pick<LoadResult, 'rps' | 'p50Ms' | 'p99Ms'>; rpsRatio: number; p50Ratio: number; p99Ratio: number }[];
  rpsRatio: Spread;
  p50Ratio: Spread;
  p99Ratio: Spread;
}

export interface HistoryWindow {
  window: number;
  writesTotal: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  diskBytes: Record<string, number>;
  rssMiB: Record<string, number>;
  /** Per node: index of the newest snapshot file on disk (0: none yet). */
  snapshotIndex: Record<string, number>;
  /** The leader's last_snapshot_index: where its log was last compacted. */
  compactedThrough?: number;
}

export interface Results {
  date: string;
  startedAt: string;
  finishedAt?: string;
  command: string[];
  settings: Record<string, unknown>;
  machine: Record<string, unknown>;
  nproc: number;
  loadavgStart: number[];
  loadavgEnd?: number[];
  systems: Record<string, Record<string, unknown>>;
  entries: Entry[];
  comparisons: Comparison[];
  failover?: { settings: Record<string, unknown>; trials: Record<string, FailoverTrial[]>; summary: Record<string, { firstOkMs: { median: number; max: number }; steadyMs: { median: number; max: number }; n: number }> };
  strace?: StraceResult[];
  resources?: { peakRssMiB: Record<string, Record<string, number>>; cpuPer10kWrites: Record<string, Record<string, { clusterS: number; leaderS: number }>> };
  history?: { settings: Record<string, unknown>; windows: HistoryWindow[]; verdict: Record<string, unknown> };
  profile?: ProfileSummary[];
  targets?: { name: string; value: string; pass: boolean | null }[];
  errors: string[];
}

/** Pairs every opraft entry with etcd's entry of the same phase, round, target and concurrency. */
export function compare(entries: Entry[]): Comparison[] {
  const out: Comparison[] = [];
  const keyOf = (e: Entry) => `${e.phase}|${e.system}|${e.workload}|${e.target}|${e.connections}`;
  const groups = new Map<string, Entry[]>();
  for (const e of entries) if (e.system !== 'etcd') groups.set(keyOf(e), [...(groups.get(keyOf(e)) ?? []), e]);
  for (const es of groups.values()) {
    const f = es[0]!;
    const perRound: Comparison['perRound'] = [];
    let baseline = '';
    for (const e of es) {
      const b = entries.find((x) => x.system === 'etcd' && x.phase === e.phase && x.round === e.round && x.target === e.target && x.connections === e.connections);
      if (!b) continue;
      baseline = b.workload;
      const pick = (r: LoadResult) => ({ rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms });
      perRound.push({ round: e.round, opraft: pick(e.result), etcd: pick(b.result), rpsRatio: ratio(e.result.rps, b.result.rps), p50Ratio: ratio(e.result.p50Ms, b.result.p50Ms), p99Ratio: ratio(e.result.p99Ms, b.result.p99Ms) });
    }
    if (perRound.length === 0) continue;
    out.push({
      phase: f.phase,
      system: f.system,
      workload: f.workload,
      baseline,
      target: f.target,
      connections: f.connections,
      perRound,
      rpsRatio: spread(perRound.map((r) => r.rpsRatio)),
      p50Ratio: spread(perRound.map((r) => r.p50Ratio)),
      p99Ratio: spread(perRound.map((r) => r.p99Ratio)),
    });
  }
  const rank = (c: Comparison) => [c.phase === 'writes' ? 0 : 1, c.target === 'leader' ? 0 : 1, c.connections, c.system === 'opraft' ? 0 : 1, c.workload.startsWith('var') ? 0 : 1];
  return out.sort((a, b) => {
    const x = rank(a);
    const y = rank(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return 0;
  });
}

const sp = (s: Spread) => (s.n > 1 ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median));

export function markdown(r: Results): string {
  const L: string[] = [];
  const etcd = r.systems.etcd;
  L.push(`# ${etcd ? 'opraft vs etcd' : 'opraft'} — ${r.date}`);
  L.push('');
  L.push(`Machine: ${r.nproc} CPUs (${String(r.machine.cpuModel ?? '')}), load average at start ${r.loadavgStart.join(' ')}${r.loadavgEnd ? `, at end ${r.loadavgEnd.join(' ')}` : ''}. Node ${String(r.machine.node)}${etcd ? `, etcd ${String(etcd.version)}` : ''}.`);
  L.push(`Settings: ${Object.entries(r.settings).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(', ')}.`);
  if (r.comparisons.length) L.push('Ratios are opraft / etcd measured in the same round, side by side (throughput: higher is better for opraft; latency: lower is). Median over rounds, (min–max) spread.');
  L.push('');
  for (const phase of ['writes', 'reads'] as const) {
    const cs = r.comparisons.filter((c) => c.phase === phase);
    if (cs.length === 0) continue;
    L.push(`## ${phase === 'writes' ? 'Writes (synced)' : 'Consistent reads'}`);
    L.push('');
    L.push('| opraft | vs etcd | target | conc | throughput ratio | p50 ratio | p99 ratio | opraft req/s | etcd req/s | opraft p50/p99 ms | etcd p50/p99 ms |');
    L.push('|---|---|---|---:|---|---|---|---:|---:|---|---|');
    for (const c of cs) {
      const m = (f: (x: Comparison['perRound'][number]) => number) => median(c.perRound.map(f));
      L.push(`| ${c.system} ${c.workload} | ${c.baseline} | ${c.target} | ${c.connections} | ${sp(c.rpsRatio)} | ${sp(c.p50Ratio)} | ${sp(c.p99Ratio)} | ${fmt(m((x) => x.opraft.rps), 0)} | ${fmt(m((x) => x.etcd.rps), 0)} | ${fmt(m((x) => x.opraft.p50Ms))} / ${fmt(m((x) => x.opraft.p99Ms))} | ${fmt(m((x) => x.etcd.p50Ms))} / ${fmt(m((x) => x.etcd.p99Ms))} |`);
    }
    L.push('');
    L.push(`<details><summary>${phase}: every round</summary>`);
    L.push('');
    L.push('| opraft | target | conc | round | opraft req/s | p50 | p99 | etcd req/s | p50 | p99 | ratio req/s | ratio p50 | ratio p99 |');
    L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const c of cs)
      for (const x of c.perRound)
        L.push(`| ${c.system} ${c.workload} | ${c.target} | ${c.connections} | ${x.round} | ${fmt(x.opraft.rps, 0)} | ${fmt(x.opraft.p50Ms)} | ${fmt(x.opraft.p99Ms)} | ${fmt(x.etcd.rps, 0)} | ${fmt(x.etcd.p50Ms)} | ${fmt(x.etcd.p99Ms)} | ${fmt(x.rpsRatio)} | ${fmt(x.p50Ratio)} | ${fmt(x.p99Ratio)} |`);
    L.push('');
    L.push('</details>');
    L.push('');
    const bad = r.entries.filter((e) => e.phase === phase && (e.result.non2xx > 0 || e.result.errors > 0));
    if (bad.length) {
      L.push(`Failed requests (${phase}): ${bad.map((e) => `${e.system} ${e.workload} ${e.target} c${e.connections} r${e.round}: ${e.result.non2xx} non-2xx ${JSON.stringify(e.result.statusCodes)}, ${e.result.errors} errors`).join('; ')}`);
      L.push('');
    }
  }
  if (r.failover) {
    L.push('## Failover (SIGKILL of the leader under a steady write stream)');
    L.push('');
    L.push(`Writer: one write every ${String(r.failover.settings.intervalMs)} ms to the two surviving servers (round-robin), ${String(r.failover.settings.requestTimeoutMs)} ms timeout per write. First = kill → first success of a write issued after the kill; steady = kill → the write from which every later write succeeded.`);
    L.push('');
    L.push('| system | trials | first write median | max | steady median | max | vs etcd (median first) |');
    L.push('|---|---:|---:|---:|---:|---:|---:|');
    const e = r.failover.summary.etcd;
    for (const [sys, s] of Object.entries(r.failover.summary)) {
      L.push(`| ${sys} | ${s.n} | ${fmt(s.firstOkMs.median, 0)} ms | ${fmt(s.firstOkMs.max, 0)} ms | ${fmt(s.steadyMs.median, 0)} ms | ${fmt(s.steadyMs.max, 0)} ms | ${e && sys !== 'etcd' ? fmt(ratio(s.firstOkMs.median, e.firstOkMs.median)) : ''} |`);
    }
    L.push('');
    for (const [sys, ts] of Object.entries(r.failover.trials)) L.push(`- ${sys} first-write gaps (ms): ${ts.map((t) => fmt(t.firstOkMs, 0)).join(' ')}; steady: ${ts.map((t) => fmt(t.steadyMs, 0)).join(' ')}`);
    L.push('');
  }
  if (r.strace?.length) {
    L.push('## fsync/fdatasync per acknowledged write (strace -f -c on every server)');
    L.push('');
    L.push('| system | conc | acked writes | leader calls/write | follower calls/write | detail |');
    L.push('|---|---:|---:|---:|---:|---|');
    for (const s of r.strace) {
      const leader = s.perNode.find((n) => n.role === 'leader');
      const fol = s.perNode.filter((n) => n.role === 'follower');
      L.push(`| ${s.system} | ${s.connections} | ${s.ackedWrites} | ${fmt(leader?.perWrite ?? NaN, 3)} | ${fol.map((n) => fmt(n.perWrite, 3)).join(', ')} | ${s.perNode.map((n) => `${n.node}: fsync ${n.fsync} fdatasync ${n.fdatasync}`).join('; ')} |`);
    }
    L.push('');
  }
  if (r.resources) {
    L.push('## Resources');
    L.push('');
    L.push('| system | peak RSS per node (VmHWM, MiB) | CPU s per 10,000 writes at the leader, c=1 / 16 / 64 (whole cluster; leader alone) |');
    L.push('|---|---|---|');
    for (const [sys, rss] of Object.entries(r.resources.peakRssMiB)) {
      const cpu = r.resources.cpuPer10kWrites[sys] ?? {};
      L.push(`| ${sys} | ${Object.entries(rss).map(([n, v]) => `${n} ${fmt(v, 0)}`).join(', ')} | ${Object.entries(cpu).map(([k, v]) => `${k}: ${fmt(v.clusterS)}; ${fmt(v.leaderS)}`).join(' · ')} |`);
    }
    L.push('');
  }
  if (r.history) {
    L.push('## Cost with history (opraft)');
    L.push('');
    L.push(`${Object.entries(r.history.settings).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
    L.push('');
    L.push('| window | writes so far | req/s | p50 ms | p99 ms | disk per node (MiB) | RSS per node (MiB) | newest snapshot per node | log compacted through (leader) | errors |');
    L.push('|---:|---:|---:|---:|---:|---|---|---|---:|---:|');
    for (const w of r.history.windows)
      L.push(`| ${w.window} | ${w.writesTotal} | ${fmt(w.rps, 0)} | ${fmt(w.p50Ms)} | ${fmt(w.p99Ms)} | ${Object.values(w.diskBytes).map((b) => fmt(b / 2 ** 20, 1)).join(', ')} | ${Object.values(w.rssMiB).map((b) => fmt(b, 0)).join(', ')} | ${Object.values(w.snapshotIndex).join(', ')} | ${w.compactedThrough ?? '?'} | ${w.non2xx + w.errors} |`);
    L.push('');
    L.push(`Verdict: ${JSON.stringify(r.history.verdict)}`);
    L.push('');
  }
  if (r.targets?.length) {
    L.push('## Targets of the issue');
    L.push('');
    L.push('| target | measured | met |');
    L.push('|---|---|---|');
    for (const t of r.targets) L.push(`| ${t.name} | ${t.value} | ${t.pass === null ? 'n/a' : t.pass ? 'yes' : 'NO'} |`);
    L.push('');
  }
  if (r.profile?.length) {
    L.push('## CPU profile of opraft servers (node --cpu-prof)');
    L.push('');
    for (const p of r.profile) {
      L.push(`### ${p.file}: ${fmt(p.busyMs, 0)} ms busy of ${fmt(p.totalMs, 0)} ms${p.windowed ? ' (load window only)' : ' (whole process life)'}`);
      L.push('');
      L.push('| self % of busy | ms | module |');
      L.push('|---:|---:|---|');
      for (const m of p.topModules.slice(0, 10)) L.push(`| ${fmt(m.pctBusy, 1)} | ${fmt(m.selfMs, 0)} | ${m.module} |`);
      L.push('');
      L.push('| self % of busy | ms | function |');
      L.push('|---:|---:|---|');
      for (const f of p.topFunctions.slice(0, 20)) L.push(`| ${fmt(f.pctBusy, 1)} | ${fmt(f.selfMs, 0)} | \`${f.fn}\` |`);
      L.push('');
      L.push('| self % of busy | ms | native function ← caller |');
      L.push('|---:|---:|---|');
      for (const f of p.nativeByCaller.slice(0, 10)) L.push(`| ${fmt(f.pctBusy, 1)} | ${fmt(f.selfMs, 0)} | \`${f.fn}\` |`);
      L.push('');
    }
  }
  if (r.errors.length) {
    L.push('## Errors');
    L.push('');
    for (const e of r.errors) L.push(`- ${e}`);
    L.push('');
  }
  return L.join('\n');
}

export async function writeResults(dir: string, r: Results, suffix: string): Promise<{ json: string; md: string }> {
  await mkdir(dir, { recursive: true });
  const stamp = r.startedAt.replace(/:/g, '').replace(/\.\d+Z$/, 'Z');
  const base = path.join(dir, `${stamp}${suffix ? `-${suffix}` : ''}`);
  const json = `${base}.json`;
  const md = `${base}.md`;
  await writeFile(json, `${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : typeof v === 'number' ? Number(v.toPrecision(6)) : v), 2)}\n`);
  await writeFile(md, `${markdown(r)}\n`);
  return { json, md };
}
