// `npm run chaos -- --duration 60 --nodes 5 --seed X [--faults kill,pause,...] [--broken localReads]`
// (`npm run chaos:soak` = --duration 600 --nodes 5). Exits 0 when the run passes, 1 when it fails.
import { parseArgs } from 'node:util';
import { FAULT_KINDS, type FaultKind } from './nemesis.ts';
import { runChaos } from './run.ts';

const usage = `usage: npm run chaos -- [--duration <s>] [--nodes 3|5] [--seed <n>] [--faults <kind,...>] [--broken localReads|readIndexNoQuorum] [--storage ackBeforeSync] [--storage-delay-ms <n>] [--snapshot-threshold <n>] [--tick 50ms]
fault kinds: ${FAULT_KINDS.join(', ')}`;

function usageError(msg: string): number {
  console.error(`${msg}\n${usage}`);
  return 2;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        duration: { type: 'string', default: '60' },
        nodes: { type: 'string', default: '3' },
        seed: { type: 'string' },
        faults: { type: 'string' },
        broken: { type: 'string' },
        storage: { type: 'string' },
        'storage-delay-ms': { type: 'string' },
        'snapshot-threshold': { type: 'string' },
        tick: { type: 'string', default: '50ms' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (args.help) {
    console.log(usage);
    return 0;
  }
  const duration = Number(args.duration);
  const nodes = Number(args.nodes);
  const seed = args.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(args.seed);
  if (!(duration > 0)) return usageError(`--duration must be a positive number of seconds, got "${args.duration}"`);
  if (!(nodes === 3 || nodes === 5)) return usageError(`--nodes must be 3 or 5, got "${args.nodes}"`);
  if (!Number.isSafeInteger(seed)) return usageError(`--seed must be an integer, got "${args.seed}"`);
  const faults = args.faults?.split(',').map((s) => s.trim()).filter(Boolean) as FaultKind[] | undefined;
  const bad = faults?.filter((f) => !(FAULT_KINDS as readonly string[]).includes(f));
  if (bad?.length) {
    console.error(`unknown fault kinds: ${bad.join(', ')}\n${usage}`);
    return 2;
  }
  if (args.broken !== undefined && !['localReads', 'readIndexNoQuorum'].includes(args.broken)) {
    console.error(`--broken must be localReads or readIndexNoQuorum, got "${args.broken}"\n${usage}`);
    return 2;
  }
  if (args.storage !== undefined && !['crashable', 'ackBeforeSync'].includes(args.storage)) {
    console.error(`--storage must be crashable or ackBeforeSync, got "${args.storage}"\n${usage}`);
    return 2;
  }
  const env: Record<string, string> = {};
  if (args.broken) env.OPRAFT_TEST_BROKEN = args.broken;
  if (args.storage) env.OPRAFT_TEST_STORAGE = args.storage;
  const report = await runChaos({
    nodes,
    durationMs: duration * 1000,
    seed,
    raftTick: args.tick,
    env,
    ...(faults ? { faults } : {}),
    ...(args['storage-delay-ms'] ? { storageDelayMs: Number(args['storage-delay-ms']) } : {}),
    ...(args['snapshot-threshold'] ? { snapshotThreshold: Number(args['snapshot-threshold']) } : {}),
  });
  return report.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`chaos: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
