// Runs many seeds, optionally across worker threads, and sums their results.
// Results come back in seed order whatever the worker timing, so output is
// deterministic.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { REQUIRED_EVENTS, runSimulation, type SimOptions, type SimResult, type SimStats } from './run.ts';

export interface SeedSummary {
  seed: number;
  violations: SimResult['violations'];
  stats: SimStats;
  lin: SimResult['lin'];
  traceHash: string;
  converged: boolean;
}

export type BatchOptions = Omit<SimOptions, 'seed'>;

function summarize(r: SimResult): SeedSummary {
  return { seed: r.seed, violations: r.violations, stats: r.stats, lin: r.lin, traceHash: r.traceHash, converged: r.converged };
}

/** Runs seeds [first, first + count) in this thread. */
export function runSeeds(first: number, count: number, opts: BatchOptions, onResult?: (s: SeedSummary) => void): SeedSummary[] {
  const out: SeedSummary[] = [];
  for (let seed = first; seed < first + count; seed++) {
    const s = summarize(runSimulation({ ...opts, seed }));
    out.push(s);
    onResult?.(s);
  }
  return out;
}

/**
 * Runs seeds [first, first + count) on `jobs` worker threads (1 = in this
 * thread). `onResult` sees results in seed order.
 */
export async function runSeedsParallel(
  first: number,
  count: number,
  opts: BatchOptions,
  jobs = Math.max(1, Math.min(availableParallelism(), 8)),
  onResult?: (s: SeedSummary) => void,
): Promise<SeedSummary[]> {
  if (jobs <= 1 || count <= 1) return runSeeds(first, count, opts, onResult);
  const results = new Map<number, SeedSummary>();
  let nextSeed = first;
  let emitted = first;
  const end = first + count;
  const emit = (): void => {
    while (results.has(emitted)) {
      onResult?.(results.get(emitted)!);
      emitted++;
    }
  };
  const workerUrl = new URL('./worker.ts', import.meta.url);
  await Promise.all(
    Array.from({ length: Math.min(jobs, count) }, () => {
      return new Promise<void>((resolve, reject) => {
        // Node 20 workers do not inherit tsx's loader for their entry module:
        // register it first, then import the TypeScript worker.
        const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
        const w = new Worker(boot, { eval: true, workerData: { opts } });
        const feed = (): void => {
          if (nextSeed >= end) {
            void w.terminate().then(() => resolve());
            return;
          }
          w.postMessage(nextSeed++);
        };
        w.on('message', (s: SeedSummary) => {
          results.set(s.seed, s);
          emit();
          feed();
        });
        w.on('error', reject);
        w.on('online', feed);
      });
    }),
  );
  emit();
  return [...results.values()].sort((a, b) => a.seed - b.seed);
}

export interface BatchTotals {
  seeds: number;
  failing: SeedSummary[];
  stats: Record<string, number>;
  lin: { ok: number; violation: number; unknown: number; operations: number };
  /** REQUIRED_EVENTS that never happened. */
  missing: string[];
}

export function totals(results: SeedSummary[]): BatchTotals {
  const stats: Record<string, number> = {};
  const lin = { ok: 0, violation: 0, unknown: 0, operations: 0 };
  for (const r of results) {
    for (const [k, v] of Object.entries(r.stats)) stats[k] = (stats[k] ?? 0) + v;
    lin.ok += r.lin.ok;
    lin.violation += r.lin.violation;
    lin.unknown += r.lin.unknown;
    lin.operations += r.lin.operations;
  }
  const missing = REQUIRED_EVENTS.filter((k) => !(stats[k]! > 0));
  return { seeds: results.length, failing: results.filter((r) => r.violations.length > 0), stats, lin, missing };
}
