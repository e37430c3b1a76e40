// The chaos checks, run on the recorded history and the healed cluster:
//  1. linearizability per key (WGL, test/lib/linearizability.ts with the kv register model);
//  2. no acknowledged write lost: every CAS that answered "done" is on the chain of writes that
//     leads to each key's final value (values are unique, so the chain is exact);
//  3. every server's state identical after healing (SHA-256 of the state.bin of a `?stale`
//     snapshot taken by each server, as test/integration/api.test.ts fingerprints a node);
//  4. at most one leader per term (from every server's JSON log: `became leader` with its term).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { checkOperations, historyToOperations, type Verdict } from '../lib/linearizability.ts';
import { isRead, kvModel, kvPartitionKeys } from '../lib/models.ts';
import { readArchive } from '../../src/snapshot/index.ts';
import { logRecords, sleep, type TestCluster, type TestNode } from '../integration/harness.ts';
import type { Event, Input, Output } from './workload.ts';

export interface LinResult {
  keys: number;
  ok: number;
  violation: number;
  unknown: number;
  violatingKeys: string[];
  unknownKeys: string[];
  ms: number;
}

export function checkLinearizable(events: Event[], timeoutMs = 120_000): LinResult {
  const started = Date.now();
  const model = kvModel<string>();
  const ops = historyToOperations<Input, Output>(events, { dropIndeterminate: isRead });
  const keys = kvPartitionKeys(ops);
  const r = checkOperations(model, ops, { timeoutMs, maxSteps: 20_000_000 });
  const res: LinResult = { keys: keys.length, ok: 0, violation: 0, unknown: 0, violatingKeys: [], unknownKeys: [], ms: 0 };
  r.partitions.forEach((p, i) => {
    const v: Verdict = p.verdict;
    res[v]++;
    if (v === 'violation') res.violatingKeys.push(keys[i]!);
    if (v === 'unknown') res.unknownKeys.push(keys[i]!);
  });
  res.ms = Date.now() - started;
  return res;
}

/** A key's history around its first problem, for the report. */
export function describeKey(events: Event[], key: string, limit = 40): string {
  const inv = new Map<number | string, Event>();
  for (const e of events) if (e.kind === 'invoke') inv.set(e.opId, e);
  const lines: string[] = [];
  for (const e of events) {
    const i = inv.get(e.opId)!;
    if (i.input?.key !== key) continue;
    const what = e.kind === 'invoke' ? JSON.stringify({ ...i.input, key: undefined }) : e.kind === 'ok' ? `ok ${JSON.stringify(e.output)}` : e.kind;
    lines.push(`  ${e.time.toFixed(1).padStart(9)} ms  client ${String(e.clientId).padStart(2)} op ${String(e.opId).padStart(5)} ${e.kind.padEnd(6)} ${what}`);
  }
  return lines.length > limit ? [...lines.slice(0, limit / 2), `  ... ${lines.length - limit} more ...`, ...lines.slice(-limit / 2)].join('\n') : lines.join('\n');
}

export interface LostWrite {
  key: string;
  value: string;
  why: string;
}

/**
 * Every acknowledged CAS must lie on its key's chain of writes: from the final value back, each
 * value was written by exactly one CAS, whose expected value names the one before, down to null.
 */
export function findLostWrites(events: Event[], finals: Map<string, string | null>): LostWrite[] {
  const inv = new Map<number | string, Event>();
  for (const e of events) if (e.kind === 'invoke') inv.set(e.opId, e);
  const writtenBy = new Map<string, Map<string, string | null>>(); // key -> value -> expected
  const acked = new Map<string, string[]>();
  for (const e of events) {
    if (e.kind === 'invoke' && e.input?.kind === 'cas') {
      let m = writtenBy.get(e.input.key);
      if (!m) writtenBy.set(e.input.key, (m = new Map()));
      m.set(e.input.value, e.input.expected);
    }
    if (e.kind === 'ok' && e.output === true) {
      const i = inv.get(e.opId)!.input!;
      if (i.kind === 'cas') {
        const list = acked.get(i.key) ?? [];
        list.push(i.value);
        acked.set(i.key, list);
      }
    }
  }
  const lost: LostWrite[] = [];
  for (const [key, values] of acked) {
    if (!finals.has(key)) {
      for (const value of values) lost.push({ key, value, why: 'the key could not be read after healing' });
      continue;
    }
    const chain = new Set<string>();
    let cur = finals.get(key)!;
    const writes = writtenBy.get(key)!;
    while (cur !== null && !chain.has(cur)) {
      chain.add(cur);
      if (!writes.has(cur)) {
        lost.push({ key, value: cur, why: `the final chain holds ${JSON.stringify(cur)}, which no client wrote` });
        break;
      }
      cur = writes.get(cur)!;
    }
    for (const value of values) if (!chain.has(value)) lost.push({ key, value, why: `acknowledged, but not on the chain of writes to the final value ${JSON.stringify(finals.get(key))}` });
  }
  return lost;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** SHA-256 of a server's own state: the state.bin of a `?stale` snapshot it takes. */
export async function stateHash(node: TestNode): Promise<{ hash: string; index: number }> {
  const r = await fetch(node.url('/v1/operator/snapshot?stale'), { signal: AbortSignal.timeout(10_000) });
  const bytes = Buffer.from(await r.arrayBuffer());
  if (r.status !== 200) throw new Error(`snapshot on ${node.name}: ${r.status} ${bytes.toString('utf8').slice(0, 200)}`);
  const { meta, stateBin } = await readArchive(Readable.from([bytes]), { maxCompressedBytes: 1 << 30, maxUncompressedBytes: 1 << 30 });
  return { hash: sha256(stateBin), index: meta.Index };
}

export interface Convergence {
  converged: boolean;
  hashes: string[];
  ms: number;
}

/** Waits until every server's state hash is the same (they may still be catching up). */
export async function waitConverged(cluster: TestCluster, timeoutMs = 60_000): Promise<Convergence> {
  const started = Date.now();
  let hashes: string[] = [];
  while (Date.now() - started < timeoutMs) {
    hashes = await Promise.all(cluster.nodes.map((n) => stateHash(n).then((h) => `${n.name} ${h.hash.slice(0, 16)} @${h.index}`, (e: Error) => `${n.name} error: ${e.message}`)));
    const distinct = new Set(hashes.map((h) => h.split(' ')[1]));
    if (distinct.size === 1 && !hashes.some((h) => h.includes('error:'))) return { converged: true, hashes, ms: Date.now() - started };
    await sleep(500);
  }
  return { converged: false, hashes, ms: Date.now() - started };
}

export interface LeaderTerms {
  terms: number;
  /** Terms in which more than one server became leader. */
  doubled: string[];
  /** Leader elections seen (one per term with a leader). */
  elections: number;
}

/** At most one leader per term, from every server's log (all its runs: the file is appended to). */
export async function leadersPerTerm(cluster: TestCluster): Promise<LeaderTerms> {
  const byTerm = new Map<number, Set<string>>();
  for (const n of cluster.nodes) {
    for (const r of await logRecords(n)) {
      if (r.msg !== 'became leader' || typeof r.term !== 'number') continue;
      let s = byTerm.get(r.term);
      if (!s) byTerm.set(r.term, (s = new Set()));
      s.add(n.name);
    }
  }
  const doubled = [...byTerm].filter(([, s]) => s.size > 1).map(([t, s]) => `term ${t}: ${[...s].join(', ')}`);
  return { terms: byTerm.size, doubled, elections: byTerm.size };
}
