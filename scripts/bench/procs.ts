// Child processes of the benchmark: every one is remembered by PID and killed by PID when the
// harness ends, on success, on an exception, on SIGINT/SIGTERM, or on a plain process exit.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';

const live = new Map<number, ChildProcess>();

export interface Proc {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  readonly logFile: string;
  /** Set when the harness itself stopped the process (a kill is not a crash). */
  stoppedByUs: boolean;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/** Spawns a process whose stdout and stderr go to `logFile` (appended). */
export function spawnLogged(cmd: string, args: string[], logFile: string, opts: SpawnOptions = {}): Proc {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  const pid = child.pid;
  live.set(pid, child);
  const p: Proc = { pid, child, exited: undefined as never, running: () => child.exitCode === null && child.signalCode === null, logFile, stoppedByUs: false };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(pid);
      p.exit = { code, signal };
      resolve({ code, signal });
    });
    child.once('error', () => {
      live.delete(pid);
      resolve({ code: -1, signal: null });
    });
  });
  (p as { exited: Proc['exited'] }).exited = exited;
  return p;
}

/** The last `lines` lines of a process's log. */
export async function logTail(p: Proc, lines = 15): Promise<string> {
  try {
    return (await readFile(p.logFile, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Sends `sig` to the process by PID and waits for it to exit (SIGKILL after `graceMs`). */
export async function stop(p: Proc, sig: NodeJS.Signals = 'SIGKILL', graceMs = 10_000): Promise<void> {
  p.stoppedByUs = true;
  if (!p.running()) return;
  try {
    process.kill(p.pid, sig);
  } catch {
    return;
  }
  const t = setTimeout(() => {
    if (p.running()) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  }, graceMs);
  await p.exited;
  clearTimeout(t);
}

/** Kills every process still alive (by PID). */
export function killAll(): void {
  for (const [pid, child] of live) {
    if (child.exitCode === null && child.signalCode === null) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

let installed = false;
/** Kills the children when the harness exits or is interrupted. */
export function installCleanup(onSignal: () => Promise<void>): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      console.error(`\nbench: ${sig}, stopping every server`);
      void onSignal().finally(() => {
        killAll();
        process.exit(130);
      });
    });
  }
}

// Ports below the ephemeral range (as the drills do): port-0 ports can be taken by an outgoing
// connection's source port between the check and the server's listen.
const used = new Set<number>();
async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
export async function freePort(): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    const p = 20000 + Math.floor(Math.random() * 12000);
    if (used.has(p)) continue;
    used.add(p);
    if (await isFree(p)) return p;
  }
  throw new Error('no free port found in 20000-32000');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(stepMs);
  }
}

/** fetch with a timeout; JSON body in, parsed JSON (or text) out. */
export async function http(method: string, url: string, body?: unknown, timeoutMs = 5000): Promise<{ status: number; body: unknown; text: string }> {
  const r = await fetch(url, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await r.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: r.status, body: parsed, text };
}

/** A cluster the two helpers below work on (OpraftCluster, EtcdCluster). */
interface Restartable {
  label: string;
  nodes: { name: string; proc: Proc | undefined }[];
  restart(i: number): Promise<void>;
  waitHealthy(timeoutMs?: number): Promise<void>;
}

/** Restarts the servers that died on their own (not stopped by us); says which, with their log tails. */
export async function restartDead(c: Restartable): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < c.nodes.length; i++) {
    const p = c.nodes[i]!.proc;
    if (!p || p.running() || p.stoppedByUs) continue;
    out.push(`${c.label} ${c.nodes[i]!.name} (pid ${p.pid}) died on its own: ${JSON.stringify(p.exit)}; log tail:\n${await logTail(p)}`);
    await c.restart(i);
  }
  if (out.length) await c.waitHealthy(60_000);
  return out;
}

/** SIGKILL of one server (failover trials). */
export async function killNode(n: { proc: Proc | undefined }): Promise<void> {
  if (n.proc) await stop(n.proc, 'SIGKILL');
}
