// Parsing and checking peers.json (Raft protocol 3 format), as hashicorp/raft's
// ReadConfigJSON + checkConfiguration do: an array of {id, address, non_voter?}, keys matched
// case-insensitively (Go's encoding/json), unknown keys ignored.
import type { Configuration } from '../raft/index.ts';

export const PARSE_FAILED = 'recovery failed to parse peers.json: ';

export interface PeerEntry {
  id: string;
  address: string;
  nonVoter: boolean;
}

export class PeersJsonError extends Error {
  constructor(detail: string) {
    super(PARSE_FAILED + detail);
    this.name = 'PeersJsonError';
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v === 'object' || typeof v === 'undefined' ? `an ${typeof v}` : `a ${typeof v}`;
}

/** Parses peers.json text; throws PeersJsonError (message `recovery failed to parse peers.json: …`). */
export function parsePeersJson(text: string): PeerEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PeersJsonError(`invalid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(doc)) throw new PeersJsonError(`the file holds ${describe(doc)}, not an array of {"id", "address", "non_voter"} objects`);
  return doc.map((item, n) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      const hint = typeof item === 'string' ? ' (a list of "ip:port" strings is the Raft protocol 2 format; protocol 3 needs objects {"id", "address", "non_voter"})' : '';
      throw new PeersJsonError(`entry ${n} is ${describe(item)}, not an object${hint}`);
    }
    const e: PeerEntry = { id: '', address: '', nonVoter: false };
    // Go matches keys case-insensitively and the last match wins; null leaves the zero value.
    for (const [key, value] of Object.entries(item as Record<string, unknown>)) {
      const k = key.toLowerCase();
      if (k !== 'id' && k !== 'address' && k !== 'non_voter') continue;
      if (value === null) continue;
      if (k === 'non_voter') {
        if (typeof value !== 'boolean') throw new PeersJsonError(`entry ${n}: "${key}" is ${describe(value)}, not true or false`);
        e.nonVoter = value;
      } else {
        if (typeof value !== 'string') throw new PeersJsonError(`entry ${n}: "${key}" is ${describe(value)}, not a string`);
        if (k === 'id') e.id = value;
        else e.address = value;
      }
    }
    return e;
  });
}

/** The transport's longest node ID (src/transport/validate.ts MAX_NODE_ID_LENGTH). */
const MAX_ID_LENGTH = 256;
/** host:port, the host an IPv4 address, a name, or a bracketed IPv6 address. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/** checkConfiguration's rules and texts; returns the problem or undefined. */
export function checkPeers(peers: PeerEntry[]): string | undefined {
  const ids = new Set<string>();
  const addresses = new Set<string>();
  let voters = 0;
  for (const [n, p] of peers.entries()) {
    if (p.id === '') return `empty ID in configuration: entry ${n} (address ${JSON.stringify(p.address)})`;
    if (p.address === '') return `empty address in configuration: entry ${n} (id ${JSON.stringify(p.id)})`;
    // Beyond hashicorp/raft's checks: a server the transport could never dial or name would be
    // written into the recovered configuration, and the cluster would not form.
    if (p.id.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(p.id)) return `invalid ID in configuration: entry ${n}: ${JSON.stringify(p.id.slice(0, 64))}${p.id.length > 64 ? '…' : ''} (at most ${MAX_ID_LENGTH} characters, no control characters)`;
    if (!HOST_PORT.test(p.address) || Number(p.address.slice(p.address.lastIndexOf(':') + 1)) > 65535 || Number(p.address.slice(p.address.lastIndexOf(':') + 1)) === 0) {
      return `invalid address in configuration: entry ${n}: ${JSON.stringify(p.address.slice(0, 100))} is not ip:port (the server's RPC address, port 1 to 65535)`;
    }
    if (ids.has(p.id)) return `found duplicate ID in configuration: ${p.id}`;
    ids.add(p.id);
    if (addresses.has(p.address)) return `found duplicate address in configuration: ${p.address}`;
    addresses.add(p.address);
    if (!p.nonVoter) voters++;
  }
  if (voters === 0) return `need at least one voter in configuration: ${peers.length} server(s), none a voter`;
  return undefined;
}

/** Parses and validates peers.json into a Raft configuration (with addresses). */
export function readPeersConfiguration(text: string): Configuration {
  const peers = parsePeersJson(text);
  const problem = checkPeers(peers);
  if (problem) throw new PeersJsonError(problem);
  const config: Configuration = { voters: [], nonVoters: [], addresses: {} };
  for (const p of peers) {
    (p.nonVoter ? config.nonVoters : config.voters).push(p.id);
    config.addresses![p.id] = p.address;
  }
  return config;
}
