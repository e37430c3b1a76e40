// A server's identity tags (Part A §1, contract §5.1) and reading them back.

import { memberRpcAddress } from './address.ts';
import type { Member, MemberStatus } from './types.ts';

/** Who the local server is, as its agent configuration says. */
export interface LocalServer {
  /** Node name (the member name is `<nodeName>.<region>`). */
  nodeName: string;
  /** Node id: the Raft server id. */
  nodeId: string;
  region: string;
  datacenter: string;
  /** Advertised IP of the RPC port. */
  addr: string;
  /** RPC port. */
  port: number;
  /** Advertised HTTP address "host:port" (used for leader forwarding). */
  httpAddr: string;
  /** bootstrap_expect (0 = never bootstrap). */
  expect: number;
  /** opraft version string. */
  build: string;
  /** `non_voting_server`: excluded from the bootstrap_expect count. */
  nonVoter?: boolean;
}

export function memberName(nodeName: string, region: string): string {
  return `${nodeName}.${region}`;
}

/** Throws an Error naming the first field of the local server that is wrong. */
export function validateLocalServer(s: LocalServer): void {
  if (s === null || typeof s !== 'object') throw new Error('local server description is missing');
  for (const key of ['nodeName', 'nodeId', 'region', 'datacenter', 'addr', 'httpAddr', 'build'] as const) {
    if (typeof s[key] !== 'string' || s[key].length === 0) throw new Error(`local server ${key} must be a non-empty string`);
  }
  if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535) throw new Error(`local server port ${String(s.port)} is not a port number (1-65535)`);
  if (!Number.isInteger(s.expect) || s.expect < 0) throw new Error(`local server expect ${String(s.expect)} must be an integer >= 0`);
}

/** The tags a server announces: Nomad's set (§5.1) plus opraft's `http_addr`. */
export function serverTags(s: LocalServer): Record<string, string> {
  const tags: Record<string, string> = {
    role: 'nomad',
    region: s.region,
    dc: s.datacenter,
    build: s.build,
    vsn: '1',
    raft_vsn: '3',
    id: s.nodeId,
    rpc_addr: s.addr,
    port: String(s.port),
    http_addr: s.httpAddr,
  };
  if (s.expect > 0) tags.expect = String(s.expect);
  if (s.expect === 1) tags.bootstrap = '1';
  if (s.nonVoter) tags.nonvoter = '1';
  return tags;
}

/** A member read as a Nomad server (Nomad's `isNomadServer`). */
export interface ServerInfo {
  name: string;
  id: string;
  region: string;
  datacenter: string;
  /** "ip:port" of the RPC port. */
  rpcAddr: string;
  addr: string;
  port: number;
  httpAddr: string;
  build: string;
  /** 0 when the tag is absent. */
  expect: number;
  bootstrap: boolean;
  nonVoter: boolean;
  raftVersion: number;
  status: MemberStatus;
}

const INT = /^\d+$/;

/**
 * The member as a Nomad server, or undefined when it is not one: `role=nomad` and `port`, `build`
 * present and readable, `expect`/`raft_vsn` readable when present (§5.1).
 */
export function parseServer(m: Member): ServerInfo | undefined {
  const t = m.tags ?? {};
  if (t.role !== 'nomad') return undefined;
  if (typeof t.port !== 'string' || !INT.test(t.port)) return undefined;
  if (typeof t.build !== 'string' || t.build.length === 0) return undefined;
  if (t.expect !== undefined && !INT.test(t.expect)) return undefined;
  if (t.raft_vsn !== undefined && !INT.test(t.raft_vsn)) return undefined;
  const port = Number(t.port);
  return {
    name: m.name,
    id: t.id ?? m.id,
    region: t.region ?? '',
    datacenter: t.dc ?? '',
    rpcAddr: memberRpcAddress({ addr: m.addr, port }),
    addr: m.addr,
    port,
    httpAddr: t.http_addr ?? '',
    build: t.build,
    expect: t.expect === undefined ? 0 : Number(t.expect),
    bootstrap: t.bootstrap === '1',
    nonVoter: t.nonvoter === '1',
    raftVersion: t.raft_vsn === undefined ? 1 : Number(t.raft_vsn),
    status: m.status,
  };
}
