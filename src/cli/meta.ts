// The command framework shared by every group: Nomad's general flags, help handling, Go-style
// flag errors, and the command tree walk (`opraft operator raft list-peers ...`).
import { ApiClient, DEFAULT_ADDRESS } from './api-client.ts';
import { FlagError, parseFlags, wantsHelp, type FlagSpec } from './flags.ts';
import { Ui, type CliIo } from './io.ts';

/** Nomad's general flags (contract §7.1). The TLS flags are accepted so Nomad scripts parse; opraft serves plain HTTP. */
const GENERAL_FLAGS: FlagSpec = {
  address: 'string',
  region: 'string',
  token: 'string',
  'no-color': 'bool',
  'force-color': 'bool',
  'ca-cert': 'string',
  'ca-path': 'string',
  'client-cert': 'string',
  'client-key': 'string',
  'tls-server-name': 'string',
  'tls-skip-verify': 'bool',
};

export function generalOptionsUsage(opts: { namespace?: boolean } = {}): string {
  let text = `  -address=<addr>
    The address of the opraft (Nomad API) server.
    Overrides the NOMAD_ADDR environment variable if set.
    Default = ${DEFAULT_ADDRESS}

  -region=<region>
    The region of the servers to forward commands to.
    Overrides the NOMAD_REGION environment variable if set.
    Defaults to the Agent's local region.
`;
  if (opts.namespace) {
    text += `
  -namespace=<namespace>
    The target namespace for queries and actions bound to a namespace.
    Overrides the NOMAD_NAMESPACE environment variable if set.
    Defaults to the "default" namespace (the only one opraft has).
`;
  }
  text += `
  -no-color
    Disables colored command output (opraft never colors its output).

  -token
    The SecretID of an ACL token to use to authenticate API requests with.
    Overrides the NOMAD_TOKEN environment variable if set.

  -ca-cert, -ca-path, -client-cert, -client-key, -tls-server-name, -tls-skip-verify
    Accepted for compatibility with Nomad's command line; opraft serves plain
    HTTP, so they have no effect.`;
  return text;
}

export interface RunContext {
  io: CliIo;
  ui: Ui;
  /** The command's name after `opraft` (`operator raft list-peers`). */
  name: string;
  help: string;
  flags: Record<string, string | string[] | undefined>;
  args: string[];
  /** The token as the client sends it (`-token` or NOMAD_TOKEN). */
  token: string;
  client(): ApiClient;
  /** `For additional help try 'opraft <name> -help'` */
  commandErrorText(): string;
  /** Resolves a file argument against the working directory. */
  path(file: string): string;
}

export interface Command {
  kind: 'command';
  name: string;
  synopsis: string;
  help: string;
  flags: FlagSpec;
  /** Takes -namespace (variables). */
  namespace?: boolean;
  /** Offline commands (snapshot inspect) take no general flags. */
  noGeneralFlags?: boolean;
  /** Commands that print `Failed to parse args: <err>` after Go's own flag error. */
  parseErrorPrefix?: string;
  run(ctx: RunContext): Promise<number>;
}

export interface Group {
  kind: 'group';
  name: string;
  synopsis: string;
  help: string;
  children: Record<string, Command | Group>;
}

export function command(c: Omit<Command, 'kind'>): Command {
  return { kind: 'command', ...c };
}

export function group(g: Omit<Group, 'kind' | 'help'> & { help: string }): Group {
  return { kind: 'group', ...g };
}

/** mitchellh/cli's help for a command with subcommands: its help, then the subcommand list. */
export function groupHelp(g: Group): string {
  const names = Object.keys(g.children).sort();
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `    ${n.padEnd(width)}    ${g.children[n]!.synopsis}`);
  return `${g.help}\n\nSubcommands:\n${lines.join('\n')}`;
}

export const commandErrorText = (name: string) => `For additional help try 'opraft ${name} -help'`;

/** Runs a node of the command tree with the arguments after its name. */
export async function dispatch(node: Command | Group, argv: string[], io: CliIo): Promise<number> {
  const ui = new Ui(io);
  if (node.kind === 'group') {
    const [sub, ...rest] = argv;
    if (sub === undefined) {
      ui.output(groupHelp(node));
      return 1;
    }
    if (sub === '-h' || sub === '-help' || sub === '--help') {
      ui.output(groupHelp(node));
      return 0;
    }
    const child = node.children[sub];
    if (!child) {
      ui.output(groupHelp(node));
      return 1;
    }
    return dispatch(child, rest, io);
  }
  if (wantsHelp(argv)) {
    ui.output(node.help);
    return 0;
  }
  const spec: FlagSpec = { ...(node.noGeneralFlags ? {} : GENERAL_FLAGS), ...(node.namespace ? { namespace: 'string' } : {}), ...node.flags };
  let parsed;
  try {
    parsed = parseFlags(argv, spec);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    ui.error(e.message);
    ui.output(node.help);
    if (node.parseErrorPrefix !== undefined) ui.error(`${node.parseErrorPrefix}${e.message}`);
    return 1;
  }
  const f = parsed.values;
  const str = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : undefined);
  const token = str('token') ?? io.env['NOMAD_TOKEN'] ?? '';
  let client: ApiClient | undefined;
  const ctx: RunContext = {
    io,
    ui,
    name: node.name,
    help: node.help,
    flags: f,
    args: parsed.positionals,
    token,
    client: () =>
      (client ??= new ApiClient({
        address: str('address') ?? io.env['NOMAD_ADDR'] ?? DEFAULT_ADDRESS,
        token,
        region: str('region') ?? io.env['NOMAD_REGION'] ?? '',
        namespace: node.namespace ? (str('namespace') ?? io.env['NOMAD_NAMESPACE'] ?? '') : '',
      })),
    commandErrorText: () => commandErrorText(node.name),
    path: (file) => (file.startsWith('/') ? file : `${io.cwd ?? process.cwd()}/${file}`),
  };
  return node.run(ctx);
}

/** A flag's value as a string ('' when not given). */
export function flagString(ctx: RunContext, name: string, fallback = ''): string {
  const v = ctx.flags[name];
  return typeof v === 'string' ? v : fallback;
}

/** A bool flag: true / false when given, undefined when not (Nomad's tri-state flags). */
export function flagBool(ctx: RunContext, name: string): boolean | undefined {
  const v = ctx.flags[name];
  return v === undefined ? undefined : v === 'true';
}

export function flagList(ctx: RunContext, name: string): string[] {
  const v = ctx.flags[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** Go's os error text for a failed open/read: `open <path>: no such file or directory`. */
export function goFsError(e: unknown, file: string, op = 'open'): string {
  const err = e as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    EEXIST: 'file exists',
  };
  if (err?.code === 'EISDIR' && op === 'open') return `read ${file}: is a directory`;
  return `${op} ${file}: ${(err?.code && why[err.code]) ?? err?.message ?? String(e)}`;
}
