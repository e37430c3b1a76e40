// Nomad's data-dir layout and the small files in it: the server's node ID (made once) and the
// peers.info sentinel that arms peers.json recovery.
//   <data_dir>/server/node-id        the bare lower-case UUID, as Nomad writes it (operators cat it)
//   <data_dir>/server/node-id.meta   {"format":1}: the node-id file's format version; a missing
//                                    meta file means format 1 (a Nomad-written or older data dir)
//   <data_dir>/server/raft/          raft.db/ (LevelDB), snapshots/, peers.info, peers.json
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createFileOnce, ensureDir } from './durable-file.ts';
import { StorageError, errorText } from './errors.ts';

export const NODE_ID_FORMAT_VERSION = 1;

export interface DataPaths {
  dataDir: string;
  serverDir: string;
  nodeIdFile: string;
  raftDir: string;
  logDbDir: string;
  snapshotsDir: string;
  peersJson: string;
  peersInfo: string;
}

export function paths(dataDir: string): DataPaths {
  if (typeof dataDir !== 'string' || dataDir.trim() === '') throw new StorageError('invalid', 'data_dir must be a non-empty path');
  const serverDir = path.join(dataDir, 'server');
  const raftDir = path.join(serverDir, 'raft');
  return {
    dataDir,
    serverDir,
    nodeIdFile: path.join(serverDir, 'node-id'),
    raftDir,
    ...raftPaths(raftDir),
  };
}

/** The files inside a Raft folder. */
export function raftPaths(raftDir: string): Pick<DataPaths, 'logDbDir' | 'snapshotsDir' | 'peersJson' | 'peersInfo'> {
  return {
    logDbDir: path.join(raftDir, 'raft.db'),
    snapshotsDir: path.join(raftDir, 'snapshots'),
    peersJson: path.join(raftDir, 'peers.json'),
    peersInfo: path.join(raftDir, 'peers.info'),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StorageError('io', `cannot read ${file}: ${errorText(err)}`, { cause: err });
  }
}

/** The server's node ID: read from `<serverDir>/node-id`, or made (UUID v4) and stored once. */
export async function ensureNodeId(serverDir: string): Promise<string> {
  const file = path.join(serverDir, 'node-id');
  const metaFile = `${file}.meta`;
  try {
    await ensureDir(serverDir);
  } catch (err) {
    throw new StorageError('io', `cannot create the server data dir ${serverDir}: ${errorText(err)}`, { cause: err });
  }
  const meta = await readIfExists(metaFile);
  if (meta !== undefined) {
    let format: unknown;
    try {
      format = (JSON.parse(meta) as { format?: unknown }).format;
    } catch {
      throw new StorageError('corrupt', `${metaFile}: not JSON; expected {"format":${NODE_ID_FORMAT_VERSION}}`);
    }
    if (format !== NODE_ID_FORMAT_VERSION) {
      throw new StorageError('format', `${metaFile}: node-id format version ${JSON.stringify(format)} is unknown (this opraft reads version ${NODE_ID_FORMAT_VERSION})`);
    }
  }
  let text = await readIfExists(file);
  if (text === undefined) {
    // Two racing starters both try; the hard link in createFileOnce lets exactly one win.
    await createFileOnce(file, Buffer.from(randomUUID()));
    text = await readIfExists(file);
    if (text === undefined) throw new StorageError('io', `${file}: vanished right after it was created`);
  }
  const id = text.trim();
  if (!UUID.test(id)) {
    const shown = id.length > 60 ? `${id.slice(0, 60)}…` : id;
    throw new StorageError('corrupt', `${file}: holds ${JSON.stringify(shown)}, not a UUID; fix it, or delete it to give this server a new identity`);
  }
  if (meta === undefined) await createFileOnce(metaFile, Buffer.from(`${JSON.stringify({ format: NODE_ID_FORMAT_VERSION })}\n`));
  return id.toLowerCase();
}

export const PEERS_INFO_TEXT = `
opraft (like Nomad since 0.5.5) reads peers.json only to recover from an outage in
which the servers lost their quorum.

Normally there is no peers.json here. The first time a server starts it writes this
peers.info file and deletes any peers.json it finds without reading it, so that a
stale file never rewrites the membership of a new server. From then on, a peers.json
placed next to this file is read once at the next start: it replaces the Raft
configuration, and is deleted when the recovery succeeded. Do not delete peers.info:
without it a peers.json is discarded unread.

Stop every remaining server first, and give each server you keep the same file, a
JSON array with one object per server (Raft protocol 3):

[
  { "id": "<contents of that server's data_dir/server/node-id>", "address": "10.1.0.1:4647", "non_voter": false },
  { "id": "<uuid of the second server>", "address": "10.1.0.2:4647" }
]

"address" is the server's RPC/Raft address (port 4647 by default), not its HTTP port.
"non_voter" is optional (false by default). The older list-of-addresses format
(Raft protocol 2) is not accepted.
`;

/**
 * Writes peers.info (the sentinel of §3.2 step 1) if it is missing.
 * Returns whether it already existed.
 */
export async function ensurePeersInfo(raftDir: string): Promise<boolean> {
  const file = raftPaths(raftDir).peersInfo;
  try {
    await ensureDir(raftDir);
    return !(await createFileOnce(file, Buffer.from(PEERS_INFO_TEXT)));
  } catch (err) {
    throw new StorageError('io', `cannot write ${file}: ${errorText(err)}`, { cause: err });
  }
}
