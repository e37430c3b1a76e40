// Outage recovery with peers.json (contract §3.2), run before the Raft node is built:
// rebuild the state machine from the newest readable snapshot plus every log entry after it,
// save that as a new snapshot carrying the peers.json configuration, and empty the log.
import * as fs from 'node:fs/promises';
import { EntryType, type Configuration, type SnapshotMeta } from '../raft/index.ts';
import type { StateMachine } from '../node/ports.ts';
import { syncDir } from './durable-file.ts';
import { errorText } from './errors.ts';
import { silentLogger, type Logger } from './logger.ts';
import { ensurePeersInfo, raftPaths } from './node-files.ts';
import { readPeersConfiguration } from './peers-json.ts';
import type { RaftStorage } from './raft-storage.ts';

export const NO_STATE = 'refused to recover cluster with no initial state, this is probably an operator error';

export class RecoveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RecoveryError';
  }
}

export interface RecoverOptions {
  raftDir: string;
  storage: RaftStorage;
  newStateMachine: () => StateMachine;
  logger?: Logger;
  /** This server's node ID, to warn when peers.json leaves it out. */
  localId?: string;
}

function failed(detail: string, cause?: unknown): RecoveryError {
  return new RecoveryError(`recovery failed: ${detail}`, cause === undefined ? undefined : { cause });
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RecoveryError(`recovery failed to read peers.json (${file}): ${errorText(err)}`, { cause: err });
  }
}

async function removeDurably(file: string, dir: string): Promise<void> {
  await fs.rm(file);
  await syncDir(dir);
}

export async function recoverFromPeersJson(opts: RecoverOptions): Promise<{ recovered: boolean; config?: Configuration }> {
  const logger = opts.logger ?? silentLogger;
  const { raftDir, storage } = opts;
  const files = raftPaths(raftDir);

  // Step 1: no sentinel means a first start: arm recovery for later, discard any peers.json unread.
  if (!(await ensurePeersInfo(raftDir))) {
    if ((await readIfExists(files.peersJson)) !== undefined) {
      await removeDurably(files.peersJson, raftDir);
      logger.info({ file: files.peersJson }, 'deleted peers.json file (peers.info was missing, so it was not read)');
    }
    return { recovered: false };
  }

  const text = await readIfExists(files.peersJson);
  if (text === undefined) return { recovered: false };
  logger.info({ file: files.peersJson }, 'found peers.json file, recovering Raft configuration...');

  // Parse and check first: a bad file aborts start and stays in place for the operator to fix.
  const config = readPeersConfiguration(text);
  if (opts.localId !== undefined && !config.voters.includes(opts.localId) && !config.nonVoters.includes(opts.localId)) {
    logger.warn({ localId: opts.localId, peers: [...config.voters, ...config.nonVoters] }, 'peers.json does not list this server\'s node ID; it will not recognise itself in the recovered configuration');
  }
  if (!(await storage.hasState())) throw failed(NO_STATE);

  const meta = await rebuild(opts, config, logger);

  // Order: the snapshot is durable before the log is emptied; a crash in between reruns recovery
  // with the same result (the new snapshot is then the newest, and no entry follows it).
  await storage.snapshots.save(meta.snapshot, meta.data);
  const hs = meta.hardState;
  await storage.log.persist({
    snapshotMeta: meta.snapshot,
    entries: [],
    hardState: { term: Math.max(hs.term, meta.snapshot.term), vote: hs.vote, commit: Math.max(hs.commit, meta.snapshot.index) },
  });
  try {
    await removeDurably(files.peersJson, raftDir);
  } catch (err) {
    throw new RecoveryError(`recovery failed to delete peers.json, please delete manually (see ${files.peersJson}): ${errorText(err)}`, { cause: err });
  }
  logger.info({ index: meta.snapshot.index, term: meta.snapshot.term, voters: config.voters, nonVoters: config.nonVoters }, 'deleted peers.json file after successful recovery');
  return { recovered: true, config };
}

/** Replays snapshot + log into a throw-away state machine and snapshots it with `config`. */
async function rebuild(opts: RecoverOptions, config: Configuration, logger: Logger) {
  const { storage } = opts;
  let persisted;
  try {
    persisted = await storage.log.load();
  } catch (err) {
    throw failed(errorText(err), err);
  }
  const compactedTo = persisted.snapshotMeta?.index ?? 0;

  let fsm = opts.newStateMachine();
  let base: SnapshotMeta | undefined;
  for await (const s of storage.snapshots.verified()) {
    try {
      fsm.restore(s.data);
      base = s.meta;
      break;
    } catch (err) {
      logger.warn({ snapshot: s.name, err: errorText(err) }, 'failed to restore snapshot, trying an older one');
      fsm = opts.newStateMachine();
    }
  }
  if (!base && (await storage.snapshots.any())) throw failed('failed to restore any of the available snapshots');

  let lastIndex = base?.index ?? 0;
  let lastTerm = base?.term ?? 0;
  if (lastIndex < compactedTo) {
    throw failed(`the log was compacted to index ${compactedTo} but the newest readable snapshot is at index ${lastIndex}`);
  }
  for (const e of persisted.entries) {
    if (e.index <= lastIndex) continue;
    if (e.index !== lastIndex + 1) throw failed(`log entry ${lastIndex + 1} is missing after the snapshot at index ${base?.index ?? 0}`);
    // Every locally present entry is treated as committed; config entries carry no FSM data.
    if (e.type === EntryType.Normal) {
      try {
        fsm.apply(e.index, e.data);
      } catch (err) {
        throw failed(`applying log entry ${e.index}: ${errorText(err)}`, err);
      }
    }
    lastIndex = e.index;
    lastTerm = e.term;
  }
  if (lastIndex === 0) throw failed('the Raft store holds a term but no log entries or snapshots to recover');
  let data: Uint8Array;
  try {
    data = fsm.snapshot();
  } catch (err) {
    throw failed(`taking the recovery snapshot: ${errorText(err)}`, err);
  }
  return { snapshot: { index: lastIndex, term: lastTerm, config } as SnapshotMeta, data, hardState: persisted.hardState };
}
