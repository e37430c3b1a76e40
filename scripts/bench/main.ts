// opraft vs etcd, side by side on one machine: `npm run bench [-- <parts…>] [flags]`.
//
// Parts (default: writes reads strace failover; `history` and `profile` only when named):
//   writes    synced writes: opraft PUT /v1/var/bench/<n> (100-byte item) and PUT
//             /v1/operator/scheduler/configuration vs etcd POST /v3/kv/put (100-byte value),
//             at each concurrency, against the leader and a follower, in alternating rounds
//   reads     consistent reads: opraft GET /v1/var/bench/<n> (no stale) vs etcd linearizable range
//   strace    fsync/fdatasync calls per acknowledged write on every server
//   failover  SIGKILL of the leader under a steady write stream, --trials per system
//   history   200,000 writes against opraft: disk use and latency per 20,000-write window
//   profile   opraft's servers under node --cpu-prof, var writes at the highest concurrency on the
//             leader; summary of the leader's self time in the load window. Run it alone: --cpu-prof
//             (which it turns on) slows opraft in every other part of the same run.
//   (--cpu-prof <dir> with other parts profiles those parts; the summaries cover whole process lives)
// Flags: --rounds 3 --duration 4 --warmup 1 --concurrency 1,16,64 --targets leader,follower
//        --trials 10 --local-tick <profile's tick> --no-local --cpu-prof <dir> --out bench/results
//        --history-writes 200000 --history-window 20000 --history-connections 16 --quick
//        --strace-writes 2000 --no-write-results
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LOCAL_RAFT_TICK_MS } from '../../src/config/defaults.ts';
import { type Cluster, KEYSPACE, VALUE_BYTES, type Workload } from './cluster.ts';
import { ensureEtcd, EtcdCluster } from './etcd.ts';
import { FAILOVER_DEFAULTS, failoverTrial, type FailoverTrial } from './failover.ts';
import { historyRun } from './history.ts';
import { runLoad } from './load.ts';
import { OpraftCluster, ROOT } from './opraft.ts';
import { installCleanup, killAll, sleep } from './procs.ts';
import { profileFiles, profileText, summarizeProfile } from './profile.ts';
import { compare, type Entry, markdown, type Results, writeResults } from './report.ts';
import { cpuSeconds, loadavg, machine, memory } from './resources.ts';
import { fmt, median } from './stats.ts';
import { straceRun } from './strace.ts';

// ------------------------------------------------------------------ arguments
const argv = process.argv.slice(2);
const PARTS = ['writes', 'reads', 'strace', 'failover', 'history', 'profile'] as const;
type Part = (typeof PARTS)[number];
const flagsWithValue = new Set(['rounds', 'duration', 'warmup', 'concurrency', 'targets', 'trials', 'local-tick', 'cpu-prof', 'out', 'history-writes', 'history-window', 'history-connections', 'strace-writes']);
const flags = new Map<string, string>();
const parts: Part[] = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a.startsWith('--')) {
    const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (flagsWithValue.has(k)) {
      const val = v ?? argv[++i];
      if (val === undefined) usage(`--${k} needs a value`);
      flags.set(k, val!);
    } else if (['quick', 'no-local', 'no-write-results', 'help'].includes(k)) flags.set(k, 'true');
    else usage(`unknown flag --${k}`);
  } else if ((PARTS as readonly string[]).includes(a)) parts.push(a as Part);
  else if (a === 'all') parts.push('writes', 'reads', 'strace', 'failover');
  else usage(`unknown part ${a}`);
}
function usage(msg?: string): never {
  if (msg) console.error(`bench: ${msg}`);
  console.error(`usage: npm run bench -- [${PARTS.join('|')}|all …] [--rounds N] [--duration S] [--warmup S] [--concurrency 1,16,64] [--targets leader,follower] [--trials N] [--local-tick 50ms] [--no-local] [--cpu-prof DIR] [--out DIR] [--history-writes N] [--history-window N] [--history-connections N] [--strace-writes N] [--quick] [--no-write-results]`);
  process.exit(msg ? 2 : 0);
}
if (flags.has('help')) usage();
if (parts.length === 0) parts.push('writes', 'reads', 'strace', 'failover');
const quick = flags.has('quick');
const num = (k: string, d: number) => {
  const v = flags.get(k);
  if (v === undefined) return d;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) usage(`--${k} must be a positive number`);
  return x;
};
const S = {
  rounds: num('rounds', quick ? 1 : 3),
  durationS: num('duration', quick ? 2 : 4),
  warmupS: num('warmup', quick ? 0.5 : 1),
  concurrency: (flags.get('concurrency') ?? '1,16,64').split(',').map(Number),
  targets: (flags.get('targets') ?? 'leader,follower').split(',') as ('leader' | 'follower')[],
  trials: num('trials', quick ? 2 : 10),
  localTick: flags.get('local-tick') ?? `${LOCAL_RAFT_TICK_MS}ms`,
  local: !flags.has('no-local'),
  cpuProf: flags.get('cpu-prof') ? path.resolve(flags.get('cpu-prof')!) : undefined,
  out: path.resolve(ROOT, flags.get('out') ?? 'bench/results'),
  historyWrites: num('history-writes', quick ? 20_000 : 200_000),
  historyWindow: num('history-window', quick ? 4_000 : 20_000),
  historyConnections: num('history-connections', 16),
  straceWrites: num('strace-writes', quick ? 500 : 2000),
};
if (S.concurrency.some((c) => !Number.isInteger(c) || c < 1)) usage('--concurrency takes positive integers, e.g. 1,16,64');
if (S.targets.some((t) => t !== 'leader' && t !== 'follower')) usage('--targets takes leader and/or follower');
if (parts.includes('profile') && parts.length > 1) console.warn('bench: profile runs opraft under --cpu-prof, which slows it in the other parts too; run it alone for comparisons');
if (parts.includes('profile') && !S.cpuProf) S.cpuProf = path.join(os.tmpdir(), `bench-cpuprof-${Date.now()}`);

// ------------------------------------------------------------------ state
const log = (s: string) => console.log(s);
const started = new Date();
const results: Results = {
  date: started.toISOString().slice(0, 10),
  startedAt: started.toISOString(),
  command: ['npm', 'run', 'bench', '--', ...argv],
  settings: { parts, ...S, keyspace: KEYSPACE, valueBytes: VALUE_BYTES, loadGenerator: 'autocannon 9 (in-process, keep-alive, pipelining 1, one connection per unit of concurrency)' },
  machine: machine(),
  nproc: os.availableParallelism?.() ?? os.cpus().length,
  loadavgStart: loadavg(),
  systems: {},
  entries: [],
  comparisons: [],
  errors: [],
};
const clusters: Cluster[] = [];
let workDir = '';
let profileWindow: [number, number] | undefined;
installCleanup(async () => {
  await Promise.all(clusters.map((c) => c.stop().catch(() => undefined)));
  await Promise.all(clusters.map((c) => c.cleanup().catch(() => undefined)));
});

// ------------------------------------------------------------------ helpers
async function node(c: Cluster, target: 'leader' | 'follower'): Promise<{ idx: number; leader: number }> {
  const leader = await c.leader();
  return { idx: target === 'leader' ? leader : c.nodes.findIndex((_, i) => i !== leader), leader };
}

let order = 0;
/** Restarts servers that died on their own (and records why); true when one had. */
async function healAll(): Promise<boolean> {
  let any = false;
  for (const c of clusters) {
    const dead = await c.heal().catch((e: Error) => [`${c.label}: healing failed: ${e.message}`]);
    for (const d of dead) {
      results.errors.push(d);
      console.error(`bench: ${d}`);
      any = true;
    }
  }
  return any;
}

async function measure(phase: 'writes' | 'reads', round: number, c: Cluster, w: Workload, target: 'leader' | 'follower', connections: number): Promise<Entry> {
  await healAll();
  for (let attempt = 1; ; attempt++) {
    const e = await measureOnce(phase, round, c, w, target, connections);
    if (!(await healAll())) return e;
    results.entries.splice(results.entries.indexOf(e), 1);
    if (attempt >= 2) throw new Error(`${c.label}: a server died during two attempts of ${w.name} ${target} c=${connections}`);
    log('  (a server died during that measurement: restarted, measuring again)');
  }
}

async function measureOnce(phase: 'writes' | 'reads', round: number, c: Cluster, w: Workload, target: 'leader' | 'follower', connections: number): Promise<Entry> {
  const { idx, leader } = await node(c, target);
  const baseUrl = c.url(idx, '');
  if (S.warmupS > 0) await runLoad({ baseUrl, workload: w, connections, durationS: S.warmupS });
  const pids = c.nodes.map((n) => n.pid());
  const cpu0 = pids.map(cpuSeconds);
  const result = await runLoad({ baseUrl, workload: w, connections, durationS: S.durationS });
  const cpu1 = pids.map(cpuSeconds);
  const d = cpu1.map((x, i) => x - cpu0[i]!);
  const clusterS = d.reduce((a, b) => a + b, 0);
  const leaderS = d[leader]!;
  const per = (s: number) => (result.ok ? (s / result.ok) * 10_000 : NaN);
  const e: Entry = { phase, round, system: c.label, workload: w.name, target, connections, result, cpu: { clusterS, leaderS, per10kWritesClusterS: per(clusterS), per10kWritesLeaderS: per(leaderS) }, loadavg1: loadavg()[0]!, order: order++ };
  results.entries.push(e);
  const bad = result.non2xx + result.errors;
  log(`  r${round} ${c.label.padEnd(12)} ${w.name.padEnd(9)} ${target.padEnd(8)} c=${String(connections).padEnd(3)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms.toFixed(2).padStart(7)} ms  p99 ${result.p99Ms.toFixed(2).padStart(7)} ms  cpu ${clusterS.toFixed(2)} s${bad ? `  FAILED ${result.non2xx} non-2xx ${JSON.stringify(result.statusCodes)} ${result.errors} errors` : ''}`);
  await sleep(200);
  return e;
}

async function prepopulate(c: Cluster): Promise<void> {
  const { idx } = await node(c, 'leader');
  const r = await runLoad({ baseUrl: c.url(idx, ''), workload: c.failoverWrite(), connections: 8, amount: 1000, start: 0 });
  if (r.ok < 1000) throw new Error(`${c.label}: prepopulating 1000 keys: only ${r.ok} acknowledged (${JSON.stringify(r.statusCodes)})`);
}

async function rounds(phase: 'writes' | 'reads', systems: Cluster[]): Promise<void> {
  log(`\n== ${phase}: ${S.rounds} round(s), ${S.durationS} s per measurement after ${S.warmupS} s warm-up`);
  if (phase === 'reads') for (const c of systems) await prepopulate(c);
  for (let round = 1; round <= S.rounds; round++) {
    let cell = 0;
    for (const target of S.targets)
      for (const conc of S.concurrency) {
        const runs: [Cluster, Workload][] = [];
        for (const c of systems) {
          // The local profile only where its tick can matter: writes to the leader.
          if (c.label === 'opraft-local' && (target !== 'leader' || phase === 'reads')) continue;
          const ws = phase === 'writes' ? c.writeWorkloads() : c.readWorkloads();
          for (const w of ws) {
            if (c.label === 'opraft-local' && w.name !== 'var-put' && w.name !== 'var-get') continue;
            runs.push([c, w]);
          }
        }
        // Alternate who goes first, by round and by cell.
        if ((round + cell) % 2 === 0) runs.reverse();
        for (const [c, w] of runs) await measure(phase, round, c, w, target, conc);
        cell++;
      }
  }
}

function peakRss(systems: Cluster[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const c of systems) {
    out[c.label] = {};
    for (const n of c.nodes) out[c.label]![n.name] = memory(n.pid()).hwmMiB;
  }
  return out;
}

function cpuTable(): Record<string, Record<string, { clusterS: number; leaderS: number }>> {
  const out: Record<string, Record<string, { clusterS: number; leaderS: number }>> = {};
  for (const e of results.entries) {
    if (e.phase !== 'writes' || e.target !== 'leader' || (e.workload !== 'var-put' && e.workload !== 'kv-put')) continue;
    const key = `c${e.connections}`;
    const all = results.entries.filter((x) => x.phase === 'writes' && x.target === 'leader' && x.system === e.system && x.workload === e.workload && x.connections === e.connections);
    (out[e.system] ??= {})[key] = { clusterS: median(all.map((x) => x.cpu.per10kWritesClusterS)), leaderS: median(all.map((x) => x.cpu.per10kWritesLeaderS)) };
  }
  return out;
}

function targets(): Results['targets'] {
  const t: NonNullable<Results['targets']> = [];
  const maxC = Math.max(...S.concurrency);
  for (const c of results.comparisons.filter((x) => x.phase === 'writes' && x.system === 'opraft' && x.workload === 'var-put')) {
    if (c.connections === 64) t.push({ name: `writes c=64 ${c.target}: throughput ratio ≥ 1.0`, value: fmt(c.rpsRatio.median), pass: c.rpsRatio.median >= 1.0 });
    if (c.connections === 1) t.push({ name: `writes c=1 ${c.target}: p50 ≤ 1.5× etcd's`, value: `${fmt(c.p50Ratio.median)}×`, pass: c.p50Ratio.median <= 1.5 });
  }
  if (maxC !== 64) t.push({ name: 'writes c=64', value: 'not measured', pass: null });
  const f = results.failover?.summary;
  if (f?.opraft && f.etcd) t.push({ name: 'failover median (first write) ≤ etcd’s', value: `${fmt(f.opraft.firstOkMs.median, 0)} ms vs ${fmt(f.etcd.firstOkMs.median, 0)} ms`, pass: f.opraft.firstOkMs.median <= f.etcd.firstOkMs.median });
  const rss = results.resources?.peakRssMiB;
  for (const sys of ['opraft', 'opraft-local']) {
    if (!rss?.[sys]) continue;
    const m = Math.max(...Object.values(rss[sys]!).filter(Number.isFinite));
    t.push({ name: `${sys} peak RSS per node ≤ 150 MB`, value: `${fmt(m, 0)} MiB (${fmt((m * 2 ** 20) / 1e6, 0)} MB)`, pass: (m * 2 ** 20) / 1e6 <= 150 });
  }
  const h = results.history;
  if (h) {
    const v = h.verdict as { p50Growth: number; diskGrowth: number; snapshots: number; compacted: boolean; flat: boolean };
    const writes = h.windows.at(-1)?.writesTotal ?? 0;
    t.push({ name: `${writes} writes: disk bounded and latency flat (snapshots and compaction happening)`, value: `p50 ×${fmt(v.p50Growth)}, disk ×${fmt(v.diskGrowth)}, ${v.snapshots} snapshot(s), ${v.compacted ? 'compacted' : 'never compacted'}`, pass: v.flat && v.snapshots > 0 && v.compacted });
  }
  return t;
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'bench-work-'));
  log(`bench: parts ${parts.join(' ')}; nproc ${results.nproc}; load average ${results.loadavgStart.join(' ')}`);
  const needEtcd = parts.some((p) => p !== 'history' && p !== 'profile');
  if (S.cpuProf) await mkdir(S.cpuProf, { recursive: true });
  const systems: Cluster[] = [];
  if (needEtcd) {
    const bin = ensureEtcd();
    const e = await EtcdCluster.create(bin);
    clusters.push(e);
    systems.push(e);
  }
  if (parts.some((p) => p !== 'history')) {
    const o = await OpraftCluster.create({ label: 'opraft', raftTick: '100ms', cpuProfDir: S.cpuProf });
    clusters.push(o);
    systems.push(o);
    if (S.local && needEtcd) {
      const l = await OpraftCluster.create({ label: 'opraft-local', raftTick: S.localTick, cpuProfDir: S.cpuProf });
      clusters.push(l);
      systems.push(l);
    }
  }
  for (const c of systems) {
    const t0 = performance.now();
    await c.start();
    results.systems[c.label] = { ...c.info, startMs: Math.round(performance.now() - t0) };
    log(`  ${c.label} up in ${(performance.now() - t0).toFixed(0)} ms (${JSON.stringify(c.info)})`);
  }

  if (parts.includes('writes')) await rounds('writes', systems);
  if (parts.includes('reads')) await rounds('reads', systems);
  results.comparisons = compare(results.entries);
  if (systems.length) results.resources = { peakRssMiB: peakRss(systems), cpuPer10kWrites: cpuTable() };

  if (parts.includes('profile')) {
    const o = systems.find((c) => c.label === 'opraft')!;
    const conc = Math.max(...S.concurrency);
    const dur = Math.max(S.durationS, quick ? 5 : 20);
    log(`\n== profile: opraft var-put c=${conc} on the leader for ${dur} s under node --cpu-prof`);
    const { idx } = await node(o, 'leader');
    await runLoad({ baseUrl: o.url(idx, ''), workload: o.writeWorkloads()[0]!, connections: conc, durationS: 1 });
    const w0 = Number(process.hrtime.bigint() / 1000n);
    const r = await runLoad({ baseUrl: o.url(idx, ''), workload: o.writeWorkloads()[0]!, connections: conc, durationS: dur });
    profileWindow = [w0, Number(process.hrtime.bigint() / 1000n)];
    log(`  ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms; leader ${o.nodes[idx]!.name} pid ${o.nodes[idx]!.pid()}`);
    results.settings.profileLeader = `${o.label}-${o.nodes[idx]!.name}`;
  }

  if (parts.includes('strace')) {
    log(`\n== strace: ${S.straceWrites} writes per run at c=1 and c=${Math.max(...S.concurrency)}, every server traced`);
    results.strace = [];
    for (const conc of [1, Math.max(...S.concurrency)])
      for (const c of systems.filter((x) => x.label !== 'opraft-local')) {
        try {
          await healAll();
          const s = await straceRun(c, workDir, conc, conc === 1 ? Math.min(S.straceWrites, 1000) : S.straceWrites);
          results.strace.push(s);
          log(`  ${c.label.padEnd(7)} c=${String(conc).padEnd(3)} ${s.ackedWrites} acked writes: ${s.perNode.map((n) => `${n.node}(${n.role}) ${n.fsync} fsync + ${n.fdatasync} fdatasync = ${n.perWrite.toFixed(3)}/write`).join('; ')}`);
        } catch (e) {
          results.errors.push(`strace ${c.label} c=${conc}: ${(e as Error).message}`);
          log(`  strace ${c.label} c=${conc}: ERROR ${(e as Error).message}`);
        }
      }
  }

  if (parts.includes('failover')) {
    log(`\n== failover: ${S.trials} trial(s) per system, SIGKILL of the leader under a write every ${FAILOVER_DEFAULTS.intervalMs} ms`);
    const trials: Record<string, FailoverTrial[]> = {};
    const seq = { n: 1_000_000 };
    for (let t = 0; t < S.trials; t++) {
      const order2 = t % 2 === 0 ? systems : [...systems].reverse();
      for (const c of order2) {
        try {
          await healAll();
          const r = await failoverTrial(c, seq);
          (trials[c.label] ??= []).push(r);
          log(`  trial ${String(t + 1).padStart(2)} ${c.label.padEnd(12)} killed ${r.killed}: first write ${r.firstOkMs.toFixed(0).padStart(5)} ms, steady ${r.steadyMs.toFixed(0).padStart(5)} ms, new leader ${r.newLeader}, ${r.failedAfterKill}/${r.issuedAfterKill} failed ${JSON.stringify(r.errors)}`);
        } catch (e) {
          results.errors.push(`failover trial ${t + 1} ${c.label}: ${(e as Error).message}`);
          log(`  trial ${t + 1} ${c.label}: ERROR ${(e as Error).message}`);
        }
      }
    }
    const sum = (xs: number[]) => ({ median: median(xs), max: Math.max(...xs.filter(Number.isFinite)) });
    results.failover = {
      settings: { ...FAILOVER_DEFAULTS },
      trials,
      summary: Object.fromEntries(Object.entries(trials).map(([k, ts]) => [k, { firstOkMs: sum(ts.map((x) => x.firstOkMs)), steadyMs: sum(ts.map((x) => x.steadyMs)), n: ts.length }])),
    };
  }

  if (parts.includes('history')) {
    log(`\n== history: ${S.historyWrites} writes at c=${S.historyConnections} against opraft's leader, windows of ${S.historyWindow}`);
    const h = await OpraftCluster.create({ label: 'opraft-history', raftTick: '100ms' });
    clusters.push(h);
    await h.start();
    const r = await historyRun(h, { writes: S.historyWrites, window: S.historyWindow, connections: S.historyConnections }, log);
    results.history = { settings: { writes: S.historyWrites, window: S.historyWindow, connections: S.historyConnections, snapshotThreshold: 8192, trailingLogs: 10240, raftTick: '100ms', keyspace: KEYSPACE }, ...r };
    results.resources ??= { peakRssMiB: {}, cpuPer10kWrites: {} };
    results.resources.peakRssMiB['opraft-history'] = Object.fromEntries(h.nodes.map((n) => [n.name, memory(n.pid()).hwmMiB]));
    log(`  verdict: ${JSON.stringify(results.history.verdict)}`);
  }
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  results.errors.push(`aborted: ${(e as Error).stack ?? String(e)}`);
  console.error(`bench: ${(e as Error).stack ?? String(e)}`);
} finally {
  // Graceful stop for opraft when profiling (the profile is written at exit), SIGKILL otherwise.
  await Promise.all(clusters.map((c) => c.stop(Boolean(S.cpuProf) && c.label.startsWith('opraft')).catch(() => undefined)));
  killAll();
  if (S.cpuProf) {
    const files = await profileFiles(S.cpuProf);
    const leaderTag = results.settings.profileLeader as string | undefined;
    const chosen = leaderTag ? files.filter((f) => path.basename(f).startsWith(`${leaderTag}-`)) : files;
    results.profile = [];
    for (const f of chosen.length ? chosen : files) {
      try {
        results.profile.push(await summarizeProfile(f, ROOT, profileWindow));
      } catch (e) {
        results.errors.push(`profile ${f}: ${(e as Error).message}`);
      }
    }
    log(`\n== cpu profiles in ${S.cpuProf}`);
    for (const p of results.profile) log(profileText(p));
  }
  await Promise.all(clusters.map((c) => c.cleanup().catch(() => undefined)));
  if (workDir && !process.env.KEEP_BENCH_DATA) await rm(workDir, { recursive: true, force: true });
  results.finishedAt = new Date().toISOString();
  results.loadavgEnd = loadavg();
  results.targets = targets();
  const md = markdown(results);
  log(`\n${md}`);
  if (!flags.has('no-write-results')) {
    const suffix = parts.join('-');
    const { json, md: mdFile } = await writeResults(S.out, results, suffix);
    log(`bench: results in ${path.relative(ROOT, json)} and ${path.relative(ROOT, mdFile)}`);
  }
  process.exitCode = failed ? 1 : 0;
}
