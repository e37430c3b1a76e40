// `opraft agent`: loads the configuration, runs one server until SIGINT/SIGTERM. Neither signal
// leaves the cluster unless leave_on_interrupt / leave_on_terminate say so (Nomad's server defaults).
import { Agent, createLogger } from '../agent/index.ts';
import { loadAgentConfig } from '../config/index.ts';

export async function runAgent(argv: string[]): Promise<number> {
  const { config, warnings } = await loadAgentConfig(argv);
  const log = createLogger({ node: config.name, level: config.logLevel, json: config.logJson });
  for (const w of warnings) log.warn({}, w);
  const testMode = storageTestMode(process.env.OPRAFT_TEST_STORAGE);
  let agent: Agent;
  try {
    agent = await Agent.start(config, { logger: log, ...(testMode ? { storageTestMode: testMode } : {}) });
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
  });
}

/** OPRAFT_TEST_STORAGE: test-only storage behaviour (see src/storage). */
function storageTestMode(v: string | undefined): 'crashable' | 'ackBeforeSync' | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'crashable' || v === 'ackBeforeSync') return v;
  throw new Error(`OPRAFT_TEST_STORAGE must be crashable or ackBeforeSync, got "${v}"`);
}
