// Worker thread for batch.ts: receives seeds, runs them, posts summaries back.
import { parentPort, workerData } from 'node:worker_threads';
import { runSeeds, type BatchOptions } from './batch.ts';

const opts = (workerData as { opts: BatchOptions }).opts;
parentPort!.on('message', (seed: number) => {
  parentPort!.postMessage(runSeeds(seed, 1, opts)[0]);
});
