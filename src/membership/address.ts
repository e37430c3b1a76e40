// Join addresses (`server_join`, `/v1/agent/join`) and members' RPC addresses.

/** opraft's RPC/Raft port (Part A §1). */
export const DEFAULT_RPC_PORT = 4647;
/** Nomad's Serf port: opraft has no Serf, so a join address naming it means the RPC port. */
export const SERF_PORT = 4648;

export interface NormalizedAddress {
  /** "host:port", IPv6 hosts in brackets. */
  address: string;
  /** Set when the address was rewritten in a way the operator should hear about. */
  warning?: string;
}

/** "host:port" with brackets around an IPv6 host. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The RPC address of a member ("10.0.0.1:4647"). */
export function memberRpcAddress(m: { addr: string; port: number }): string {
  return joinHostPort(m.addr, m.port);
}

/**
 * A join address as an operator writes it: "host", "host:port", "[v6]:port" or a bare IPv6.
 * No port means 4647; port 4648 (Nomad's Serf port) is read as 4647 with a warning, so Nomad
 * configs carry over. Throws an Error naming the address when it cannot be read.
 */
export function normalizeJoinAddress(input: string): NormalizedAddress {
  if (typeof input !== 'string') throw new Error(`join address must be a string, got ${typeof input}`);
  const raw = input.trim();
  if (raw.length === 0) throw new Error('join address is empty');
  if (raw.includes('=')) {
    throw new Error(`join address "${raw}": cloud auto-join ("provider=...") is not supported; give a host or host:port`);
  }
  if (/[\s/]/.test(raw)) throw new Error(`join address "${raw}" is not a host or host:port`);
  let host: string;
  let portText: string | undefined;
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close < 0) throw new Error(`join address "${raw}" has no closing "]"`);
    host = raw.slice(1, close);
    const rest = raw.slice(close + 1);
    if (rest.length > 0) {
      if (!rest.startsWith(':')) throw new Error(`join address "${raw}" has text after "]" that is not ":port"`);
      portText = rest.slice(1);
    }
  } else {
    const colons = raw.split(':').length - 1;
    if (colons > 1) {
      host = raw; // a bare IPv6 address: no port
    } else if (colons === 1) {
      const i = raw.indexOf(':');
      host = raw.slice(0, i);
      portText = raw.slice(i + 1);
    } else {
      host = raw;
    }
  }
  if (host.length === 0) throw new Error(`join address "${raw}" has an empty host`);
  if (portText === undefined) return { address: joinHostPort(host, DEFAULT_RPC_PORT) };
  if (!/^\d{1,5}$/.test(portText)) throw new Error(`join address "${raw}" has an invalid port "${portText}"`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new Error(`join address "${raw}" has port ${port}, outside 1-65535`);
  if (port === SERF_PORT) {
    return {
      address: joinHostPort(host, DEFAULT_RPC_PORT),
      warning: `join address "${raw}" names Nomad's Serf port ${SERF_PORT}; opraft has no Serf, using the RPC port ${DEFAULT_RPC_PORT}`,
    };
  }
  return { address: joinHostPort(host, port) };
}
