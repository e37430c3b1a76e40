// Serialises every write to the LevelDB store as synced batches, one at a time and in call
// order (classic-level runs batches on the thread pool, so two concurrent batches could land
// in either order). Batches queued while one is being written go out together: group commit.
// Two test-only modes model a power loss, where only what was synced survives:
//  - 'crashable': batches wait a short random time (below maxTestDelayMs, default 4 ms) before
//    their synced write; crash() drops every batch not yet written, and their promises never
//    settle (nobody was told "done");
//  - 'ackBeforeSync': the deliberately broken variant: write() resolves at once and the batch
//    is written later, so crash() loses batches that were already acknowledged.
import type { Level } from 'level';
import { StorageError, errorText } from './errors.ts';
import type { Logger } from './logger.ts';

export type TestMode = 'crashable' | 'ackBeforeSync';

export type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

interface Job {
  ops: BatchOp[];
  /** False for writes whose loss in a power cut is harmless (a commit index hint). */
  sync: boolean;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Test-only disk faults for chaos tests, set only through the agent's test-fault endpoint
 * (`/v1/opraft/test/disk`, served only with OPRAFT_TEST_FAULTS=1); inert at their defaults.
 * `delayMs` holds every batch that long before its synced write (a slow disk); `fail` makes the
 * next synced write fail as a disk error would (the writer then refuses everything after it).
 * One process runs one server, so one object per process is enough.
 */
export const testDiskFaults = { delayMs: 0, fail: false, delayedBatches: 0, failedBatches: 0 };

/** Longest random hold of a batch in the test modes, in milliseconds (the default). */
const MAX_TEST_DELAY_MS = 4;

export class BatchWriter {
  private queue: Job[] = [];
  private pumping: Promise<void> | undefined;
  private failure: StorageError | undefined;
  private crashed = false;

  constructor(
    private readonly db: Level<Buffer, Buffer>,
    private readonly what: string,
    private readonly logger: Logger,
    private readonly mode?: TestMode,
    private readonly random: () => number = Math.random,
    /** Test modes: batches wait a random time below this before their write (the crash window). */
    private readonly maxTestDelayMs: number = MAX_TEST_DELAY_MS,
  ) {}

  /** Resolves once `ops` are durable (in 'ackBeforeSync' mode: at once, wrongly). */
  write(ops: BatchOp[], sync = true): Promise<void> {
    if (this.crashed) return Promise.reject(new StorageError('crashed', `${this.what}: the store crashed (test crash mode); nothing more is written`));
    if (this.failure) return Promise.reject(this.failure);
    if (this.mode === 'ackBeforeSync') {
      // The ack goes out before the batch is even written: the bug a durability test must catch.
      this.queue.push({ ops, sync, resolve() {}, reject: () => {} });
      this.kick();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, sync, resolve, reject });
      this.kick();
    });
  }

  /** Waits until every queued batch has been written (or failed). */
  async drain(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** Test-only power loss: drops every batch not yet written; the one being written may land. */
  async crash(): Promise<void> {
    this.crashed = true;
    this.queue = [];
    await this.drain();
  }

  private kick(): void {
    if (this.pumping) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.crashed && !this.failure) {
      if (this.mode) {
        await new Promise((r) => setTimeout(r, Math.floor(this.random() * this.maxTestDelayMs)));
        if (this.crashed) return;
      }
      const jobs = this.queue;
      this.queue = [];
      const ops = jobs.length === 1 ? jobs[0]!.ops : jobs.flatMap((j) => j.ops);
      try {
        if (testDiskFaults.delayMs > 0) {
          testDiskFaults.delayedBatches++;
          await new Promise((r) => setTimeout(r, testDiskFaults.delayMs));
          if (this.crashed) return;
        }
        if (testDiskFaults.fail) {
          testDiskFaults.fail = false;
          testDiskFaults.failedBatches++;
          throw new Error('injected disk write failure (test fault)');
        }
        // A group is synced if any job in it needs it; LevelDB's log is sequential, so a synced
        // batch also makes every unsynced one before it durable.
        await this.db.batch(ops, { sync: jobs.some((j) => j.sync) });
      } catch (err) {
        // After a failed synced write we cannot tell what is on disk: refuse everything after it.
        this.failure = new StorageError('closed', `${this.what}: a synced write failed (${errorText(err)}); the state on disk is unknown, restart the server`, { cause: err });
        this.logger.error({ err: errorText(err), store: this.what }, 'log store write failed');
        if (!this.crashed) for (const j of jobs) j.reject(this.failure);
        for (const j of this.queue) j.reject(this.failure);
        this.queue = [];
        return;
      }
      if (this.crashed) return; // the process "died" while the batch was being written: nobody hears back
      for (const j of jobs) j.resolve();
    }
  }
}
