// The retry_join driver (contract §5.4): join until at least one address answers, sleeping
// retry_interval between attempts; retry_max failed attempts (0 = forever) and it gives up.

import { normalizeJoinAddress } from './address.ts';
import { errorText, silentLogger, type Logger } from './types.ts';

export interface RetryJoinOptions {
  addresses: string[];
  /** Sleep between attempts (retry_interval; Nomad's default 30 s). */
  intervalMs: number;
  /** Failed attempts before giving up (retry_max); 0 = retry forever. */
  max: number;
  /** One join attempt, e.g. `(a) => membership.join(a)`. */
  join: (addresses: string[]) => Promise<{ joined: number; errors: string[] }>;
  logger?: Logger;
  /** Injectable sleep (tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Aborting stops the retries (agent shutdown): the promise rejects. */
  signal?: AbortSignal;
}

export interface RetryJoinResult {
  joined: number;
  /** Attempts made, the successful one included. */
  attempts: number;
}

export class RetryJoinError extends Error {
  constructor(message: string, readonly attempts: number, readonly lastErrors: string[]) {
    super(message);
    this.name = 'RetryJoinError';
  }
}


/** Validates and normalises the options; throws an Error naming the field that is wrong. */
function check(o: RetryJoinOptions, log: Logger): string[] {
  if (o === null || typeof o !== 'object') throw new Error('retry_join options are missing');
  if (!Array.isArray(o.addresses) || o.addresses.length === 0) throw new Error('retry_join needs at least one address');
  if (typeof o.intervalMs !== 'number' || !Number.isFinite(o.intervalMs) || o.intervalMs < 0) {
    throw new Error(`retry_interval must be a non-negative duration, got ${String(o.intervalMs)}`);
  }
  if (!Number.isInteger(o.max) || o.max < 0) throw new Error(`retry_max must be an integer >= 0, got ${String(o.max)}`);
  if (typeof o.join !== 'function') throw new Error('retry_join needs a join function');
  return o.addresses.map((a) => {
    const n = normalizeJoinAddress(a);
    if (n.warning) log.warn({ address: a }, n.warning);
    return n.address;
  });
}

/**
 * Resolves once an attempt joined at least one address. Rejects with a RetryJoinError after `max`
 * failed attempts (never when max = 0), or when the signal aborts.
 */
export async function retryJoin(options: RetryJoinOptions): Promise<RetryJoinResult> {
  const log = options?.logger ?? silentLogger;
  const addresses = check(options, log);
  const sleep = options.sleep;
  const signal = options.signal;
  let lastErrors: string[] = [];
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new RetryJoinError(`retry_join cancelled after ${attempt - 1} attempts`, attempt - 1, lastErrors);
    try {
      const r = await options.join(addresses);
      if (r.joined > 0) {
        log.info({ joined: r.joined, attempt }, 'retry_join succeeded');
        return { joined: r.joined, attempts: attempt };
      }
      lastErrors = r.errors.length > 0 ? r.errors : ['no address answered'];
    } catch (err) {
      lastErrors = [errorText(err)];
    }
    if (options.max > 0 && attempt >= options.max) {
      throw new RetryJoinError(
        `retry_join: gave up after ${attempt} failed attempt${attempt === 1 ? '' : 's'} (retry_max = ${options.max}): ${lastErrors.join('; ')}`,
        attempt, lastErrors,
      );
    }
    log.warn({ attempt, errors: lastErrors, retryInMs: options.intervalMs }, 'retry_join attempt failed');
    await abortableSleep(sleep, options.intervalMs, signal);
  }
}

/** Sleeps ms, waking early when the signal aborts (the real timer is cleared then). */
function abortableSleep(sleep: ((ms: number) => Promise<void>) | undefined, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      signal?.removeEventListener('abort', done);
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener('abort', done);
    if (sleep) sleep(ms).then(done, done);
    else timer = setTimeout(done, ms);
  });
}
