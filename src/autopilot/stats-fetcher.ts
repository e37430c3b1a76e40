// Fetching every server's Raft stats for one state round (§4.1): all in parallel, each bounded
// by a deadline, and a server whose previous fetch has not ended yet is skipped this round.
import type { KnownServer, ServerStats } from './types.ts';

export type FetchStats = (server: KnownServer, signal: AbortSignal) => Promise<ServerStats>;

export interface FetchTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface FetchLogger {
  warn(obj: object, msg?: string): void;
}

export class StatsFetcher {
  /** Fetches still running, by server id: they outlive a round whose deadline passed. */
  private readonly inflight = new Map<string, AbortController>();

  constructor(
    private readonly fetch: FetchStats,
    private readonly timers: FetchTimers,
    private readonly logger: FetchLogger,
  ) {}

  /** Stats that arrived before the deadline; servers that failed, timed out or were skipped are absent. */
  async fetchAll(servers: readonly KnownServer[], deadlineMs: number): Promise<Map<string, ServerStats>> {
    const out = new Map<string, ServerStats>();
    let timer: unknown;
    const deadline = new Promise<void>((resolve) => {
      timer = this.timers.setTimeout(resolve, deadlineMs);
    });
    const started: AbortController[] = [];
    const fetches = servers.map((s) => {
      if (this.inflight.has(s.id)) {
        this.logger.warn({ id: s.id, name: s.name }, 'autopilot: failed to fetch server stats: last request still outstanding');
        return Promise.resolve();
      }
      const ac = new AbortController();
      started.push(ac);
      this.inflight.set(s.id, ac);
      return Promise.resolve()
        .then(() => this.fetch(s, ac.signal))
        .then(
          (stats) => {
            if (!ac.signal.aborted) out.set(s.id, { ...stats });
          },
          (err: unknown) => {
            if (!ac.signal.aborted) this.logger.warn({ id: s.id, name: s.name, err: String((err as Error)?.message ?? err) }, 'autopilot: failed to fetch server stats');
          },
        )
        .finally(() => {
          if (this.inflight.get(s.id) === ac) this.inflight.delete(s.id);
        });
    });
    await Promise.race([Promise.all(fetches), deadline]);
    this.timers.clearTimeout(timer);
    // Past the deadline an answer no longer counts; the fetch stays outstanding until it ends.
    for (const ac of started) ac.abort();
    return out;
  }

  /** Asks every running fetch to stop (leadership lost). */
  abortAll(): void {
    for (const ac of this.inflight.values()) ac.abort();
  }

  get outstanding(): number {
    return this.inflight.size;
  }
}
