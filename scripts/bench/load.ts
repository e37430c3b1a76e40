// The one load generator for both systems: autocannon, in this process, one keep-alive HTTP/1.1
// connection per unit of concurrency, no pipelining. Latencies are taken from autocannon's
// per-response event (hrtime, fractional ms) rather than its integer-ms histogram, so that
// sub-millisecond differences at concurrency 1 show.
import autocannon from 'autocannon';
import type { Workload } from './cluster.ts';
import { percentile } from './stats.ts';

export interface LoadResult {
  workload: string;
  connections: number;
  durationS: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** 2xx responses per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  statusCodes: Record<string, number>;
}

export interface LoadOptions {
  baseUrl: string;
  workload: Workload;
  connections: number;
  /** Seconds (ignored when `amount` is set). */
  durationS?: number;
  amount?: number;
  /** Offset for the request counter (keys and values differ between runs). */
  start?: number;
  timeoutS?: number;
}

let seq = 0;

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  let n = o.start ?? seq;
  const w = o.workload;
  const lat: number[] = [];
  const codes: Record<string, number> = {};
  const headers = w.method === 'GET' ? {} : { 'content-type': 'application/json' };
  const t0 = performance.now();
  const instance = autocannon({
    url: o.baseUrl,
    connections: o.connections,
    pipelining: 1,
    timeout: o.timeoutS ?? 10,
    ...(o.amount ? { amount: o.amount } : { duration: o.durationS ?? 5 }),
    method: w.method,
    headers,
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => {
          const i = n++;
          req.method = w.method;
          req.path = w.path(i);
          const b = w.body(i);
          if (b !== undefined) req.body = b;
          req.headers = headers;
          return req;
        },
      },
    ],
  } as unknown as autocannon.Options) as unknown as Promise<autocannon.Result> & { on(ev: 'response', f: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void): void };
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    codes[statusCode] = (codes[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) lat.push(responseTime);
  });
  const res = (await instance) as autocannon.Result;
  const elapsed = (performance.now() - t0) / 1000;
  seq = Math.max(seq, n);
  lat.sort((a, b) => a - b);
  const ok = lat.length;
  return {
    workload: w.name,
    connections: o.connections,
    durationS: Number(elapsed.toFixed(3)),
    ok,
    non2xx: res.non2xx,
    errors: res.errors,
    timeouts: res.timeouts,
    rps: ok / elapsed,
    p50Ms: percentile(lat, 0.5),
    p99Ms: percentile(lat, 0.99),
    meanMs: ok ? lat.reduce((a, b) => a + b, 0) / ok : NaN,
    maxMs: ok ? lat[ok - 1]! : NaN,
    statusCodes: codes,
  };
}
