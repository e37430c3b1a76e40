// Peer addresses: "host:port", with IPv6 hosts in brackets ("[::1]:4647").

export interface HostPort {
  host: string;
  port: number;
}

/** Parses "host:port"; throws an Error naming what is wrong. */
export function parseAddress(address: string): HostPort {
  if (typeof address !== 'string' || address.length === 0) throw new Error('peer address must be a non-empty "host:port"');
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0 || address[close + 1] !== ':') throw new Error(`peer address "${address}" is not "[ipv6]:port"`);
    host = address.slice(1, close);
    portText = address.slice(close + 2);
  } else {
    const colon = address.lastIndexOf(':');
    if (colon <= 0) throw new Error(`peer address "${address}" has no port (expected "host:port")`);
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (host.includes(':')) throw new Error(`peer address "${address}": put an IPv6 host in brackets ("[::1]:4647")`);
  }
  if (host.length === 0) throw new Error(`peer address "${address}" has an empty host`);
  if (!/^\d{1,5}$/.test(portText)) throw new Error(`peer address "${address}" has an invalid port "${portText}"`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new Error(`peer address "${address}" has port ${port}, outside 1-65535`);
  return { host, port };
}

/** The WebSocket URL of a peer's RPC port. */
export function wsUrl({ host, port }: HostPort): string {
  return `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/** A client address as a per-address limit counts it ("::ffff:10.0.0.1" is "10.0.0.1"). */
export function normalizeClientAddress(addr: string | undefined): string {
  if (!addr) return 'unknown';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
