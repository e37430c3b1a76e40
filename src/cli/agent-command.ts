// `opraft agent`: loads the configuration, runs one server until SIGINT/SIGTERM. Neither signal
// leaves the cluster unless leave_on_interrupt / leave_on_terminate say so (Nomad's server defaults).
// With OPRAFT_TEST_STORAGE set, SIGUSR2 is a simulated power loss (see crashOnSignal).
import { writeSync } from 'node:fs';
import { Agent, createLogger } from '../agent/index.ts';
import { loadAgentConfig } from '../config/index.ts';

export async function runAgent(argv: string[]): Promise<number> {
  const { config, warnings } = await loadAgentConfig(argv);
  const log = createLogger({ node: config.name, level: config.logLevel, json: config.logJson });
  for (const w of warnings) log.warn({}, w);
  const testMode = storageTestMode(process.env.OPRAFT_TEST_STORAGE);
  const testDelayMs = testMode ? storageTestDelay(process.env.OPRAFT_TEST_STORAGE_DELAY_MS) : undefined;
  const testBroken = brokenVariant(process.env.OPRAFT_TEST_BROKEN);
  if (testBroken) log.warn({ broken: testBroken }, `OPRAFT_TEST_BROKEN=${testBroken}: this server runs a deliberately broken variant (tests only)`);
  // Fail-stop: once Raft stops on a fatal error (a synced disk write failed, so the state on disk
  // is unknown) the process exits non-zero rather than serving on as a zombie; a supervisor restarts it.
  const onFatal = (e: Error): void => {
    log.error({ err: e.message }, 'fatal error: stopping this server (exit 1)');
    log.flush?.();
    setTimeout(() => process.exit(1), 20);
  };
  let agent: Agent;
  try {
    agent = await Agent.start(config, { logger: log, onFatal, ...(testBroken ? { testBroken } : {}), ...(testMode ? { storageTestMode: testMode } : {}), ...(testDelayMs !== undefined ? { storageTestDelayMs: testDelayMs } : {}) });
  } catch (e) {
    log.error({ err: (e as Error).message }, 'server failed to start');
    log.flush?.();
    throw e;
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        log.warn({ signal: sig }, 'second signal: exiting now');
        process.exit(1);
      }
      const leave = sig === 'SIGINT' ? config.leaveOnInterrupt : config.leaveOnTerminate;
      log.info({ signal: sig, leave }, leave ? 'signal received: leaving the cluster and stopping' : 'signal received: stopping (staying in the cluster)');
      agent.stop({ leave }).then(
        () => resolve(0),
        (e: Error) => {
          log.error({ err: e.message }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Nomad reloads its configuration on SIGHUP; opraft cannot yet, and must not die of it either.
    process.on('SIGHUP', () => log.warn({ signal: 'SIGHUP' }, 'SIGHUP received: configuration reload is not supported; restart the server to apply changes'));
    if (testMode) process.on('SIGUSR2', () => crashOnSignal(agent, config.name));
  });
}

/**
 * Test only (OPRAFT_TEST_STORAGE set): a power loss. The storage drops every batch not yet
 * synced (their promises never settle, so nothing waiting on them is acknowledged), then the
 * process SIGKILLs itself at once: no clean shutdown, no drain, no store close. The one log line
 * is written synchronously (pino's asynchronous destination would lose it to the SIGKILL).
 */
function crashOnSignal(agent: Agent, name: string): void {
  const line = { level: 40, time: new Date().toISOString(), node: name, signal: 'SIGUSR2', msg: 'test crash: dropping unsynced storage batches and killing this process (SIGKILL)' };
  try {
    writeSync(1, `${JSON.stringify(line)}\n`);
  } catch {
    /* a full or closed pipe: the crash goes on without its line */
  }
  // crash()'s synchronous part marks the writer crashed and empties its queue; we do not wait
  // for the batch already handed to LevelDB (a power loss may or may not keep it).
  agent.storage.crash?.().catch(() => {});
  process.kill(process.pid, 'SIGKILL');
}

/** OPRAFT_TEST_STORAGE: test-only storage behaviour (see src/storage). */
function storageTestMode(v: string | undefined): 'crashable' | 'ackBeforeSync' | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'crashable' || v === 'ackBeforeSync') return v;
  throw new Error(`OPRAFT_TEST_STORAGE must be crashable or ackBeforeSync, got "${v}"`);
}

/**
 * OPRAFT_TEST_BROKEN (tests only, read only when set): a deliberately broken variant the chaos
 * suite must catch. localReads = followers serve non-stale reads from their own state;
 * readIndexNoQuorum = the leader answers ReadIndex without confirming leadership with a quorum.
 */
function brokenVariant(v: string | undefined): 'localReads' | 'readIndexNoQuorum' | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'localReads' || v === 'readIndexNoQuorum') return v;
  throw new Error(`OPRAFT_TEST_BROKEN must be localReads or readIndexNoQuorum, got "${v}"`);
}

/** OPRAFT_TEST_STORAGE_DELAY_MS (with OPRAFT_TEST_STORAGE): the longest random hold of a batch before its write. */
function storageTestDelay(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 10_000) throw new Error(`OPRAFT_TEST_STORAGE_DELAY_MS must be an integer from 0 to 10000 (milliseconds), got "${v}"`);
  return Number(v);
}
