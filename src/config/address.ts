/**
 * Host and port strings: `retry_join` addresses, `advertise` addresses and
 * `bind_addr`. Accepted forms: `host`, `host:port`, `[v6]:port`, and a bare
 * IPv6 address. Hosts are IP literals or DNS names (resolved when used).
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

/** Nomad's RPC port, which opraft's Raft and membership traffic also use (Part A §1). */
export const DEFAULT_RPC_PORT = 4647;
/** Nomad's Serf port. opraft has no Serf, so a join address with this port means the RPC port. */
export const NOMAD_SERF_PORT = 4648;

export interface HostPort {
  host: string;
  port: number;
}

export type HostPortResult = ({ ok: true } & HostPort) | { ok: false; problem: string };

const HOSTNAME = /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** Whether `host` is an IP literal or a well-formed DNS name. */
export function isValidHost(host: string): boolean {
  return isIP(host) !== 0 || HOSTNAME.test(host);
}

/** Whether `host` is the any-address (0.0.0.0 or ::), which can be bound but not dialled. */
export function isUnspecifiedAddress(host: string): boolean {
  return host === '0.0.0.0' || (isIPv6(host) && /^[0:]+$/.test(host));
}

/** `host:port`, with brackets around an IPv6 host (`[::1]:4647`). */
export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Splits `host`, `host:port`, `[v6]:port` or a bare IPv6 address. A missing
 * port becomes `defaultPort`.
 */
export function parseHostPort(text: string, defaultPort: number): HostPortResult {
  const fail = (problem: string): HostPortResult => ({ ok: false, problem });
  if (typeof text !== 'string') return fail(`expected an address string, got ${typeof text}`);
  const quoted = JSON.stringify(text);
  if (text === '') return fail('expected an address, got an empty string');
  if (text.includes('{{')) return fail(`go-sockaddr templates are not supported by opraft, got ${quoted}; give an IP address or host name`);
  if (/\s/.test(text)) return fail(`an address cannot contain spaces, got ${quoted}`);

  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
    if (!m || !isIPv6(m[1]!)) return fail(`expected [IPv6]:port, got ${quoted}`);
    host = m[1]!;
    portText = m[2];
  } else if (isIPv6(text)) {
    host = text;
  } else {
    const colons = text.split(':').length - 1;
    if (colons > 1) return fail(`an IPv6 address with a port needs brackets ([addr]:port), got ${quoted}`);
    const at = text.indexOf(':');
    host = at < 0 ? text : text.slice(0, at);
    portText = at < 0 ? undefined : text.slice(at + 1);
  }
  if (!isValidHost(host)) return fail(`${JSON.stringify(host)} is neither an IP address nor a valid host name (in ${quoted})`);
  if (portText === undefined) return { ok: true, host, port: defaultPort };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    return fail(`port must be a number from 1 to 65535, got ${JSON.stringify(portText)} in ${quoted}`);
  }
  return { ok: true, host, port: Number(portText) };
}

export type JoinAddressResult = ({ ok: true; warning?: string } & HostPort) | { ok: false; problem: string };

/**
 * A `retry_join` (or `PUT /v1/agent/join`) address, by Part A §1: no port
 * means 4647; port 4648 (Nomad's Serf port) is read as 4647 with a warning, so
 * Nomad configs carry over. Cloud auto-join strings are refused.
 */
export function parseJoinAddress(text: string): JoinAddressResult {
  if (typeof text === 'string' && text.includes('=')) {
    return { ok: false, problem: `cloud auto-join (go-discover) is not supported by opraft, got ${JSON.stringify(text)}; list the servers' addresses` };
  }
  const parsed = parseHostPort(text, DEFAULT_RPC_PORT);
  if (!parsed.ok) return parsed;
  if (parsed.port === NOMAD_SERF_PORT) {
    return {
      ok: true,
      host: parsed.host,
      port: DEFAULT_RPC_PORT,
      warning: `${JSON.stringify(text)} names port ${NOMAD_SERF_PORT}, Nomad's Serf port, which opraft does not use; joining ${formatHostPort(parsed.host, DEFAULT_RPC_PORT)} instead`,
    };
  }
  return parsed;
}

export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * The address to advertise when `advertise` does not say, as Nomad's
 * normalizeAdvertise: the bind address when it is a specific address,
 * otherwise the first private IPv4 address of this machine (go-sockaddr's
 * GetPrivateIP), then any external address, then loopback with a warning.
 * Unlike Nomad, a loopback bind address is accepted outside dev mode, so that
 * local clusters on 127.0.0.1 need no extra setting.
 */
export function defaultAdvertiseHost(bindAddr: string, interfaces: InterfaceTable): { host: string; warning?: string } {
  if (!isUnspecifiedAddress(bindAddr)) return { host: bindAddr };
  const external = Object.values(interfaces).flatMap((list) => list ?? []).filter((i) => !i.internal);
  const privateV4 = external.find((i) => i.family === 'IPv4' && isPrivateIPv4(i.address));
  if (privateV4) return { host: privateV4.address };
  const anyV4 = external.find((i) => i.family === 'IPv4');
  if (anyV4) return { host: anyV4.address };
  const globalV6 = external.find((i) => i.family === 'IPv6' && !i.address.toLowerCase().startsWith('fe80'));
  if (globalV6) return { host: globalV6.address };
  return {
    host: '127.0.0.1',
    warning: `bind_addr ${bindAddr} has no usable address to advertise on this machine; advertising 127.0.0.1 (set advertise { http rpc } to change this)`,
  };
}

/** RFC 1918 and RFC 6598 (shared address space), as go-sockaddr counts private IPv4 addresses. */
export function isPrivateIPv4(address: string): boolean {
  if (!isIPv4(address)) return false;
  const [a, b] = address.split('.').map(Number) as [number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}
