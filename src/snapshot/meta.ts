// meta.json of a snapshot archive (contract §2.2): Raft's SnapshotMeta as Go's encoding/json writes it.
import { Packr } from 'msgpackr';
import type { Configuration } from '../raft/index.ts';

export interface ArchiveServer {
  /** 0 Voter, 1 Nonvoter, 2 Staging. */
  Suffrage: number;
  ID: string;
  Address: string;
}

export interface SnapshotMetaJson {
  Version: number;
  ID: string;
  Index: number;
  Term: number;
  /** base64 of the legacy msgpack address list. */
  Peers: string;
  Configuration: { Servers: ArchiveServer[] };
  ConfigurationIndex: number;
  Size: number;
}

/** Raft's snapshot format versions this reader accepts. */
export const SNAPSHOT_VERSION_MIN = 0;
export const SNAPSHOT_VERSION_MAX = 1;

const legacyPackr = new Packr({ useRecords: false });

export function buildMeta(o: { index: number; term: number; config: Configuration; configIndex: number; size: number; createdMs: number }): SnapshotMetaJson {
  const servers: ArchiveServer[] = [
    ...o.config.voters.map((id) => ({ Suffrage: 0, ID: id, Address: o.config.addresses?.[id] ?? id })),
    ...o.config.nonVoters.map((id) => ({ Suffrage: 1, ID: id, Address: o.config.addresses?.[id] ?? id })),
  ];
  return {
    Version: 1,
    ID: `${o.term}-${o.index}-${o.createdMs}`,
    Index: o.index,
    Term: o.term,
    Peers: Buffer.from(legacyPackr.pack(servers.map((s) => s.Address))).toString('base64'),
    Configuration: { Servers: servers },
    ConfigurationIndex: o.configIndex,
    Size: o.size,
  };
}

/** The bytes of meta.json: Go's json.Encoder output, so one trailing newline. */
export function encodeMeta(meta: SnapshotMetaJson): Buffer {
  return Buffer.from(JSON.stringify(meta) + '\n');
}

export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

function num(o: Record<string, unknown>, key: string): number {
  const v = pick(o, key);
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ArchiveError(`failed to decode meta.json: ${key} must be a non-negative integer`);
  return v;
}

/** Go's encoding/json matches keys case-insensitively. */
function pick(o: Record<string, unknown>, key: string): unknown {
  if (key in o) return o[key];
  const k = Object.keys(o).find((x) => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : o[k];
}

/** Decodes meta.json (trailing whitespace allowed, as Go's decoder allows). */
export function decodeMeta(bytes: Buffer): SnapshotMetaJson {
  let o: unknown;
  try {
    o = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ArchiveError(`failed to decode meta.json: ${(e as Error).message}`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new ArchiveError('failed to decode meta.json: not a JSON object');
  const r = o as Record<string, unknown>;
  const cfg = pick(r, 'Configuration');
  const rawServers = cfg && typeof cfg === 'object' ? pick(cfg as Record<string, unknown>, 'Servers') : undefined;
  const servers: ArchiveServer[] = [];
  if (rawServers !== undefined && rawServers !== null) {
    if (!Array.isArray(rawServers)) throw new ArchiveError('failed to decode meta.json: Configuration.Servers must be a list');
    for (const s of rawServers) {
      if (!s || typeof s !== 'object') throw new ArchiveError('failed to decode meta.json: a server in Configuration.Servers is not an object');
      const so = s as Record<string, unknown>;
      servers.push({ Suffrage: num(so, 'Suffrage'), ID: String(pick(so, 'ID') ?? ''), Address: String(pick(so, 'Address') ?? '') });
    }
  }
  const id = pick(r, 'ID');
  const peers = pick(r, 'Peers');
  return {
    Version: num(r, 'Version'),
    ID: typeof id === 'string' ? id : '',
    Index: num(r, 'Index'),
    Term: num(r, 'Term'),
    Peers: typeof peers === 'string' ? peers : '',
    Configuration: { Servers: servers },
    ConfigurationIndex: num(r, 'ConfigurationIndex'),
    Size: num(r, 'Size'),
  };
}
