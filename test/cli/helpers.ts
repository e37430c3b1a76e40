// Runs the CLI in-process against a server URL and captures what it writes.
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/run.ts';
import type { MemberJson } from '../../src/http/index.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  isTTY?: boolean;
  cwd?: string;
}

export async function cli(argv: string[], opts: RunOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: opts.env ?? {},
    stdin: Readable.from([Buffer.from(opts.stdin ?? '')]),
    isTTY: opts.isTTY ?? false,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  return { code, stdout, stderr };
}

/** A CLI bound to one server address. */
export function cliAt(url: string, base: RunOptions = {}) {
  return (argv: string[], opts: RunOptions = {}) => cli(argv, { ...base, ...opts, env: { NOMAD_ADDR: url, ...base.env, ...opts.env } });
}

/** A loopback port nothing listens on (bound once, then closed). */
export async function closedPort(): Promise<number> {
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as import('node:net').AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A server member as /v1/agent/members lists it. */
export function member(name: string, addr: string, over: Partial<MemberJson> = {}): MemberJson {
  return {
    Name: name, Addr: addr, Port: 4647, Status: 'alive',
    Tags: { role: 'nomad', port: '4647', raft_vsn: '3', build: '0.1.0', dc: 'dc1', region: 'global', id: name },
    ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4, ...over,
  };
}
