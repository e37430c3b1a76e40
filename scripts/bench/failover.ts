// Failover under a steady write stream: an open-loop writer issues one write every `intervalMs`
// (each with its own timeout) to the servers that will survive, round-robin; the leader is
// SIGKILLed; we time from the kill to the first write *issued after the kill* that succeeds, and
// to the point from which every write issued succeeded (writes succeeding steadily). Then the
// killed server is restarted and the cluster must be healthy again before the next trial.
import type { Cluster } from './cluster.ts';
import { sleep } from './procs.ts';

export interface FailoverTrial {
  killed: string;
  /** Kill → completion of the first successful write issued after the kill. */
  firstOkMs: number;
  /** Kill → completion of the first write from which every later-issued write succeeded. */
  steadyMs: number;
  failedAfterKill: number;
  issuedAfterKill: number;
  errors: Record<string, number>;
  newLeader: string;
}

interface Attempt {
  issued: number;
  done: number;
  ok: boolean;
  err?: string;
}

export interface FailoverOptions {
  intervalMs: number;
  requestTimeoutMs: number;
  /** How long writes must have been running before the kill. */
  leadInMs: number;
  /** How long to keep writing after the first success (to see them succeed steadily). */
  tailMs: number;
  maxGapMs: number;
}

export const FAILOVER_DEFAULTS: FailoverOptions = { intervalMs: 10, requestTimeoutMs: 2000, leadInMs: 1000, tailMs: 2000, maxGapMs: 30_000 };

export async function failoverTrial(c: Cluster, seq: { n: number }, o: FailoverOptions = FAILOVER_DEFAULTS): Promise<FailoverTrial> {
  await c.waitHealthy(60_000);
  const leader = await c.leader();
  const survivors = c.nodes.map((_, i) => i).filter((i) => i !== leader);
  const w = c.failoverWrite();
  const attempts: Attempt[] = [];
  const pending = new Set<Promise<void>>();
  let stopWriting = false;
  let k = 0;
  const issue = () => {
    const i = seq.n++;
    const target = survivors[k++ % survivors.length]!;
    const a: Attempt = { issued: performance.now(), done: NaN, ok: false };
    attempts.push(a);
    const body = w.body(i);
    const p = fetch(c.url(target, w.path(i)), {
      method: w.method,
      body,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(o.requestTimeoutMs),
    })
      .then(async (r) => {
        await r.arrayBuffer();
        a.ok = r.status >= 200 && r.status < 300;
        if (!a.ok) a.err = `http ${r.status}`;
      })
      .catch((e: Error) => {
        a.err = e.name === 'TimeoutError' ? 'timeout' : ((e.cause as Error | undefined)?.message ?? e.message).replace(/\d+\.\d+\.\d+\.\d+:\d+/, 'addr');
      })
      .finally(() => {
        a.done = performance.now();
        pending.delete(p);
      });
    pending.add(p);
  };
  const writer = (async () => {
    let next = performance.now();
    while (!stopWriting) {
      if (pending.size < 1000) issue();
      next += o.intervalMs;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
  })();

  await sleep(o.leadInMs);
  const before = attempts.filter((a) => !Number.isNaN(a.done));
  if (before.length === 0 || before.some((a) => !a.ok)) {
    stopWriting = true;
    await writer;
    await Promise.all(pending);
    throw new Error(`${c.label}: writes failed before the kill (${before.filter((a) => !a.ok).length}/${before.length}: ${before.find((a) => !a.ok)?.err})`);
  }
  const killedName = c.nodes[leader]!.name;
  const tKill = performance.now();
  await c.kill9(leader);
  // Write until the first success after the kill plus the tail, or give up at maxGapMs.
  for (;;) {
    await sleep(20);
    const firstOk = attempts.find((a) => a.issued >= tKill && a.ok);
    const now = performance.now();
    if (firstOk && now > firstOk.done + o.tailMs) break;
    if (now > tKill + o.maxGapMs) break;
  }
  stopWriting = true;
  await writer;
  await Promise.all(pending);

  const after = attempts.filter((a) => a.issued >= tKill);
  const firstOk = after.filter((a) => a.ok).sort((a, b) => a.done - b.done)[0];
  let lastFail = -1;
  after.forEach((a, i) => {
    if (!a.ok) lastFail = i;
  });
  const steadyFrom = lastFail + 1 < after.length ? after[lastFail + 1] : undefined;
  const errors: Record<string, number> = {};
  for (const a of after) if (!a.ok) errors[a.err ?? 'unknown'] = (errors[a.err ?? 'unknown'] ?? 0) + 1;

  const newLeader = c.nodes[await c.leader(30_000)]!.name;
  await c.restart(leader);
  await c.waitHealthy(60_000);
  return {
    killed: killedName,
    firstOkMs: firstOk ? firstOk.done - tKill : NaN,
    steadyMs: steadyFrom ? Math.max(steadyFrom.done, firstOk?.done ?? 0) - tKill : NaN,
    failedAfterKill: after.filter((a) => !a.ok).length,
    issuedAfterKill: after.length,
    errors,
    newLeader,
  };
}
