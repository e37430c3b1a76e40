// Reconnect back-off: exponential, capped, with jitter so peers that lost the same node do not
// all redial it in lock-step.

export interface BackoffOptions {
  /** Delay after the first failure. */
  initialMs: number;
  /** The cap. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 50, maxMs: 2000 };

/**
 * Delay before attempt `failures + 1` after `failures` consecutive failures (≥ 1): the exponential
 * step d = min(max, initial·2^(failures−1)), then "equal jitter": uniform in [d/2, d).
 */
export function backoffDelay(failures: number, opts: BackoffOptions, random: () => number): number {
  const exp = Math.min(Math.max(failures - 1, 0), 30);
  const d = Math.min(opts.maxMs, opts.initialMs * 2 ** exp);
  return d / 2 + random() * (d / 2);
}
