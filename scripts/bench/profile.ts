// Summaries of V8 .cpuprofile files (node --cpu-prof): self time per function and per module.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  file: string;
  /** Only the samples of the load window (false: the whole process life). */
  windowed?: boolean;
  totalMs: number;
  idleMs: number;
  busyMs: number;
  topFunctions: { fn: string; selfMs: number; pctBusy: number }[];
  topModules: { module: string; selfMs: number; pctBusy: number }[];
  /** Native functions (no script: writev, writeBuffer, …) by the JS function that called them. */
  nativeByCaller: { fn: string; selfMs: number; pctBusy: number }[];
}

function shortUrl(url: string, root: string): string {
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(root)) u = u.slice(root.length);
  return u;
}

function moduleOf(url: string, root: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native/V8)';
  const u = shortUrl(url, root);
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return `npm:${nm[1]}`;
  if (u.startsWith('node:')) return u.split('/').slice(0, 2).join('/');
  const m = /^(?:dist\/)?(src\/[^/]+)/.exec(u);
  if (m) return m[1]!;
  return u;
}

/**
 * Self time per function and module. `windowUs` limits it to samples taken between two
 * CLOCK_MONOTONIC times in microseconds (process.hrtime of the harness; V8 stamps its samples with
 * the same clock), so start-up and shutdown stay out of a profile taken under load.
 */
export async function summarizeProfile(file: string, root: string, windowUs?: [number, number], top = 25): Promise<ProfileSummary> {
  const p = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let windowed = false;
  if (p.samples && p.timeDeltas) {
    let t = p.startTime;
    const inWindow = (ts: number) => !windowUs || (ts >= windowUs[0] && ts <= windowUs[1]);
    const stamps: number[] = [];
    for (let i = 0; i < p.samples.length; i++) stamps.push((t += p.timeDeltas[i]!));
    const anyIn = windowUs ? stamps.some(inWindow) : false;
    windowed = anyIn;
    // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta.
    for (let i = 0; i < p.samples.length; i++) {
      if (anyIn && !inWindow(stamps[i]!)) continue;
      const dt = p.timeDeltas[i + 1] ?? 0;
      selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + Math.max(0, dt));
    }
  } else {
    const total = p.endTime - p.startTime;
    const hits = p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
    for (const n of p.nodes) selfUs.set(n.id, ((n.hitCount ?? 0) * total) / hits);
  }
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const frameKey = (n: CpuNode) => (n.callFrame.url ? `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url, root)}:${n.callFrame.lineNumber + 1}` : n.callFrame.functionName || '(anonymous)');
  const natives = new Map<string, number>();
  const fns = new Map<string, number>();
  const mods = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    const cf = n.callFrame;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const key = cf.url ? `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url, root)}:${cf.lineNumber + 1}` : cf.functionName || '(anonymous)';
    fns.set(key, (fns.get(key) ?? 0) + us);
    if (!cf.url && !cf.functionName.startsWith('(')) {
      // The nearest caller outside Node's own library (ws, express, opraft, …).
      let caller = byId.get(parent.get(id) ?? -1);
      while (caller && (caller.callFrame.url === '' || caller.callFrame.url.startsWith('node:')) && parent.has(caller.id)) caller = byId.get(parent.get(caller.id)!);
      const k = `${key} ← ${caller ? frameKey(caller) : '?'}`;
      natives.set(k, (natives.get(k) ?? 0) + us);
    }
    const mod = moduleOf(cf.url, root, cf.functionName);
    mods.set(mod, (mods.get(mod) ?? 0) + us);
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    windowed,
    file: path.basename(file),
    totalMs: total / 1000,
    idleMs: idle / 1000,
    busyMs: busy / 1000,
    topFunctions: rank(fns).map(([fn, us]) => ({ fn, selfMs: us / 1000, pctBusy: (100 * us) / busy })),
    topModules: rank(mods).map(([module, us]) => ({ module, selfMs: us / 1000, pctBusy: (100 * us) / busy })),
    nativeByCaller: rank(natives).slice(0, 10).map(([fn, us]) => ({ fn, selfMs: us / 1000, pctBusy: (100 * us) / busy })),
  };
}

export async function profileFiles(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
}

export function profileText(s: ProfileSummary, top = 15): string {
  const lines = [`${s.file}: ${s.busyMs.toFixed(0)} ms busy of ${s.totalMs.toFixed(0)} ms sampled${s.windowed ? ' (load window only)' : ' (whole process life)'}`, '  self time by module:'];
  for (const m of s.topModules.slice(0, 10)) lines.push(`    ${m.pctBusy.toFixed(1).padStart(5)}%  ${m.selfMs.toFixed(0).padStart(7)} ms  ${m.module}`);
  lines.push('  top self-time functions:');
  for (const f of s.topFunctions.slice(0, top)) lines.push(`    ${f.pctBusy.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.fn}`);
  lines.push('  native functions by caller:');
  for (const f of s.nativeByCaller.slice(0, 8)) lines.push(`    ${f.pctBusy.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.fn}`);
  return lines.join('\n');
}
