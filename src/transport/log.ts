// Logging helpers: a silent default logger, and a limiter so a peer sending garbage cannot flood the log.

import type { Logger } from './types.ts';

const noop = (): void => {};

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * Lets through at most `perWindow` lines per key in each window; the next line after a
 * suppressed stretch says how many were suppressed.
 */
export class LogLimiter {
  private readonly windows = new Map<string, { start: number; count: number; suppressed: number }>();

  constructor(
    private readonly perWindow = 10,
    private readonly windowMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the fields to add to the line (`suppressed` when lines were dropped), or undefined to skip it. */
  allow(key: string): { suppressed?: number } | undefined {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      const suppressed = w?.suppressed ?? 0;
      w = { start: t, count: 0, suppressed: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 1000) this.windows.clear(); // keys are bounded in practice; never grow without bound
      w.count++;
      return suppressed > 0 ? { suppressed } : {};
    }
    if (w.count < this.perWindow) {
      w.count++;
      return {};
    }
    w.suppressed++;
    return undefined;
  }
}
