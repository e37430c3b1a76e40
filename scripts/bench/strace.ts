// Proof that a system really syncs: attach `strace -f -c -e trace=fsync,fdatasync -p <pid>` to every
// server process (with -p, -f attaches every thread of the process: the libuv pool for opraft's
// LevelDB, the goroutine threads for etcd), run a fixed number of acknowledged writes, detach, and
// count the calls per acknowledged write on each node.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Cluster } from './cluster.ts';
import { runLoad, type LoadResult } from './load.ts';
import { logTail, type Proc, sleep, spawnLogged, stop } from './procs.ts';

export interface StraceResult {
  system: string;
  workload: string;
  connections: number;
  ackedWrites: number;
  perNode: { node: string; role: 'leader' | 'follower'; fsync: number; fdatasync: number; perWrite: number }[];
  load: LoadResult;
}

const SYSCALLS = ['fsync', 'fdatasync'];

/** Calls per syscall from an `strace -c` summary. */
export function parseStraceSummary(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const name = f.at(-1)!;
    if (!SYSCALLS.includes(name)) continue;
    // % time, seconds, usecs/call, calls, [errors], syscall
    const calls = Number(f[3]);
    if (Number.isFinite(calls)) out[name] = (out[name] ?? 0) + calls;
  }
  return out;
}

export async function straceRun(c: Cluster, workDir: string, connections: number, amount: number): Promise<StraceResult> {
  await c.waitHealthy();
  const leader = await c.leader();
  const tracers: { proc: Proc; out: string; node: number }[] = [];
  for (let i = 0; i < c.nodes.length; i++) {
    const pid = c.nodes[i]!.pid();
    if (pid === undefined) throw new Error(`${c.nodes[i]!.name} is not running`);
    const out = path.join(workDir, `strace-${c.label}-${c.nodes[i]!.name}-c${connections}.txt`);
    const proc = spawnLogged('strace', ['-f', '-c', '-e', `trace=${SYSCALLS.join(',')}`, '-o', out, '-p', String(pid)], `${out}.log`);
    tracers.push({ proc, out, node: i });
  }
  await sleep(1500); // attached to every thread
  // A tracer that is gone could not attach (no ptrace permission): its empty summary would read as
  // "no syncs", so stop here instead.
  for (const t of tracers) {
    if (t.proc.running()) continue;
    for (const x of tracers) await stop(x.proc, 'SIGINT');
    throw new Error(`strace on ${c.label} ${c.nodes[t.node]!.name} exited at once: ${await logTail(t.proc, 5)}`);
  }
  const w = c.failoverWrite();
  const load = await runLoad({ baseUrl: c.url(leader, ''), workload: w, connections, amount });
  await sleep(300); // the last batches' syncs
  for (const t of tracers) await stop(t.proc, 'SIGINT', 10_000);
  const perNode: StraceResult['perNode'] = [];
  for (const t of tracers) {
    const counts = parseStraceSummary(await readFile(t.out, 'utf8').catch(() => ''));
    const fsync = counts['fsync'] ?? 0;
    const fdatasync = counts['fdatasync'] ?? 0;
    perNode.push({ node: c.nodes[t.node]!.name, role: t.node === leader ? 'leader' : 'follower', fsync, fdatasync, perWrite: load.ok ? (fsync + fdatasync) / load.ok : NaN });
  }
  return { system: c.label, workload: w.name, connections, ackedWrites: load.ok, perNode, load };
}
