// Process resources from /proc: peak RSS (VmHWM) and CPU time (utime + stime).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* 100 on Linux */
}

/** utime + stime of the process (all its threads), in seconds; NaN when it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) in parentheses.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / clkTck; // utime (14) and stime (15), 1-based
  } catch {
    return NaN;
  }
}

/** VmHWM (peak resident set) and VmRSS in MiB; NaN when the process is gone. */
export function memory(pid: number | undefined): { hwmMiB: number; rssMiB: number } {
  if (pid === undefined) return { hwmMiB: NaN, rssMiB: NaN };
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { hwmMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
  } catch {
    return { hwmMiB: NaN, rssMiB: NaN };
  }
}

/** Bytes under a directory (apparent sizes of regular files). */
export async function du(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await du(p);
    else if (e.isFile()) total += await stat(p).then((s) => s.size, () => 0);
  }
  return total;
}

export function machine(): Record<string, unknown> {
  return {
    hostname: os.hostname(),
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memTotalMiB: Math.round(os.totalmem() / 2 ** 20),
    kernel: os.release(),
    node: process.version,
  };
}

export function loadavg(): number[] {
  return os.loadavg().map((x) => Number(x.toFixed(2)));
}
