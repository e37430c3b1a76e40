/**
 * `opraft agent` flags in Nomad's style (Go's flag package): `-name value`,
 * `-name=value`, `--name` works too; booleans take no value unless written
 * `-dev=false`. Repeatable flags (`-config`, `-retry-join`, `-join`) collect
 * every value; any other repeated flag keeps its last value.
 */
import { formatHostPort, parseJoinAddress } from './address.ts';
import { ConfigError } from './errors.ts';
import type { ConfigLayer, Origin, SourcedLayer } from './layer.ts';
import {
  checkBindAddr, checkBool, checkDuration, checkEncryptKey, checkInt, checkLogLevel, checkName, checkPort,
  checkString, type Check,
} from './values.ts';

export interface ParsedFlags {
  /** `-config` paths as given, in order. */
  configPaths: string[];
  dev: boolean;
  /** The settings the flags make; they win over every file. */
  flags: SourcedLayer;
  warnings: string[];
}

interface FlagSpec {
  bool?: boolean;
  repeatable?: boolean;
  /** Applies one value to the layer; `flag` is `-name` for messages. */
  apply(value: string, ctx: FlagContext): void;
}

interface FlagContext {
  layer: ConfigLayer;
  origins: Map<string, Origin>;
  parsed: ParsedFlags;
  flag: string;
}

function want<T>(flag: string, r: Check<T>): T {
  if (!r.ok) throw new ConfigError(r.problem, { key: flag });
  return r.value;
}

function set(ctx: FlagContext, internal: string, mutate: (l: ConfigLayer) => void): void {
  mutate(ctx.layer);
  ctx.origins.set(internal, { key: ctx.flag });
}

function joinList(ctx: FlagContext, value: string): string {
  const a = parseJoinAddress(value);
  if (!a.ok) throw new ConfigError(a.problem, { key: ctx.flag });
  if (a.warning) ctx.parsed.warnings.push(`flag ${ctx.flag}: ${a.warning}`);
  return formatHostPort(a.host, a.port);
}

const server = (l: ConfigLayer) => (l.server ??= {});
const join = (l: ConfigLayer) => (server(l).join ??= {});

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  config: { repeatable: true, apply: (v, c) => { c.parsed.configPaths.push(want(c.flag, checkString(v))); } },
  dev: { bool: true, apply: (v, c) => { c.parsed.dev = want(c.flag, checkBool(v)); } },
  server: { bool: true, apply: (v, c) => set(c, 'server.enabled', (l) => { server(l).enabled = want(c.flag, checkBool(v)); }) },
  'data-dir': { apply: (v, c) => set(c, 'dataDir', (l) => { l.dataDir = want(c.flag, checkString(v)); }) },
  node: { apply: (v, c) => set(c, 'name', (l) => { l.name = want(c.flag, checkName(v)); }) },
  region: { apply: (v, c) => set(c, 'region', (l) => { l.region = want(c.flag, checkName(v)); }) },
  dc: { apply: (v, c) => set(c, 'datacenter', (l) => { l.datacenter = want(c.flag, checkName(v, '*')); }) },
  bind: { apply: (v, c) => set(c, 'bindAddr', (l) => { l.bindAddr = want(c.flag, checkBindAddr(v)); }) },
  'http-port': { apply: (v, c) => set(c, 'ports.http', (l) => { (l.ports ??= {}).http = want(c.flag, checkPort(v)); }) },
  'rpc-port': { apply: (v, c) => set(c, 'ports.rpc', (l) => { (l.ports ??= {}).rpc = want(c.flag, checkPort(v)); }) },
  'bootstrap-expect': {
    apply: (v, c) => set(c, 'server.bootstrapExpect', (l) => { server(l).bootstrapExpect = want(c.flag, checkInt(v, { min: 0 })); }),
  },
  'retry-join': {
    repeatable: true,
    apply: (v, c) => set(c, 'server.join.retryJoin', (l) => { (join(l).retryJoin ??= []).push(joinList(c, v)); }),
  },
  join: {
    repeatable: true,
    apply: (v, c) => set(c, 'server.join.startJoin', (l) => { (join(l).startJoin ??= []).push(joinList(c, v)); }),
  },
  'retry-max': { apply: (v, c) => set(c, 'server.join.retryMax', (l) => { join(l).retryMax = want(c.flag, checkInt(v, { min: 0 })); }) },
  'retry-interval': {
    apply: (v, c) => set(c, 'server.join.retryInterval', (l) => { join(l).retryInterval = want(c.flag, checkDuration(v, { positive: true })); }),
  },
  encrypt: { apply: (v, c) => set(c, 'server.encrypt', (l) => { server(l).encrypt = want(c.flag, checkEncryptKey(v)); }) },
  'acl-enabled': { bool: true, apply: (v, c) => set(c, 'acl.enabled', (l) => { (l.acl ??= {}).enabled = want(c.flag, checkBool(v)); }) },
  'log-level': { apply: (v, c) => set(c, 'logLevel', (l) => { l.logLevel = want(c.flag, checkLogLevel(v)); }) },
  'log-json': { bool: true, apply: (v, c) => set(c, 'logJson', (l) => { l.logJson = want(c.flag, checkBool(v)); }) },
};

/** The flag names `parseAgentFlags` knows, for help texts. */
export const AGENT_FLAG_NAMES: readonly string[] = Object.keys(FLAGS).map((n) => `-${n}`);

export function parseAgentFlags(argv: readonly string[]): ParsedFlags {
  if (!Array.isArray(argv)) throw new ConfigError(`expected the command-line arguments as a list of strings, got ${typeof argv}`);
  const parsed: ParsedFlags = { configPaths: [], dev: false, flags: { layer: {}, origins: new Map() }, warnings: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (typeof arg !== 'string') throw new ConfigError(`command-line argument ${i} is not a string`);
    if (arg === '--') {
      if (i + 1 < argv.length) throw new ConfigError(`the agent takes no arguments, got ${JSON.stringify(argv[i + 1])}`);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') throw new ConfigError(`the agent takes no arguments, got ${JSON.stringify(arg)} (flags start with -)`);
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = FLAGS[name];
    if (spec === undefined || name === '' || name.startsWith('-')) {
      throw new ConfigError(`flag provided but not defined: -${name}`, {});
    }
    const flag = `-${name}`;
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (spec.bool) value = 'true';
    else {
      if (i + 1 >= argv.length) throw new ConfigError('flag needs an argument', { key: flag });
      value = argv[++i]!;
    }
    spec.apply(value, { layer: parsed.flags.layer, origins: parsed.flags.origins, parsed, flag });
  }
  return parsed;
}
