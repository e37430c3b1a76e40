/**
 * `loadAgentConfig`: flags, then the `-config` files in order, merged over
 * the defaults (and the local profile / -dev settings) with the flags on top,
 * as Nomad's agent does: defaults < profile < dev < files < flags.
 */
import { mkdtemp } from 'node:fs/promises';
import { hostname as osHostname, networkInterfaces as osInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import type { InterfaceTable } from './address.ts';
import { decodeConfigTree } from './decode.ts';
import { ConfigError } from './errors.ts';
import { expandConfigPath, readConfigFile } from './files.ts';
import { parseAgentFlags } from './flags.ts';
import { checkJoinCombination, foldDeprecatedJoin } from './join.ts';
import { mergeLayers, type SourcedLayer } from './layer.ts';
import { parseConfigText } from './parse.ts';
import { devLayer, localProfileLayer } from './profiles.ts';
import { resolveConfig } from './resolve.ts';
import type { AgentConfig } from './types.ts';

export interface LoadOptions {
  /** Relative `-config` and `data_dir` paths are resolved against this (default: process.cwd()). */
  cwd?: string;
  /** Environment (default: process.env); `TMPDIR` places -dev's data directory. */
  env?: Readonly<Record<string, string | undefined>>;
  /** `local` puts the local profile under the files and flags (-dev always does). */
  profile?: 'default' | 'local';
  /** The default node name (default: the host name). */
  hostname?: string;
  /** This machine's interfaces, for the default advertise address (default: os.networkInterfaces()). */
  networkInterfaces?: InterfaceTable;
}

export interface LoadedConfig {
  config: AgentConfig;
  /** Things the operator should see at start-up (ignored Nomad keys, port 4648 read as 4647, …), each naming its source. */
  warnings: string[];
}

export async function loadAgentConfig(argv: readonly string[], opts: LoadOptions = {}): Promise<LoadedConfig> {
  if (opts.profile !== undefined && opts.profile !== 'default' && opts.profile !== 'local') {
    throw new ConfigError(`unknown profile ${JSON.stringify(opts.profile)}; use "default" or "local"`);
  }
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const env = opts.env ?? process.env;
  const parsed = parseAgentFlags(argv);
  const warnings: string[] = [];

  const fileLayers: SourcedLayer[] = [];
  const files: string[] = [];
  for (const given of parsed.configPaths) {
    const found = await expandConfigPath(path.resolve(cwd, given));
    if (found.length === 0) warnings.push(`No configuration loaded from ${given}`);
    for (const file of found) {
      const tree = parseConfigText(await readConfigFile(file), file);
      if (Object.keys(tree).length === 0) warnings.push(`No configuration loaded from ${file}`);
      const decoded = decodeConfigTree(tree, file);
      warnings.push(...decoded.warnings);
      fileLayers.push(decoded.layer);
      files.push(file);
    }
  }
  warnings.push(...parsed.warnings);

  const fromFiles = mergeLayers(fileLayers);
  foldDeprecatedJoin(fromFiles);
  const profile = parsed.dev || opts.profile === 'local' ? 'local' : 'default';
  const base: SourcedLayer[] = [];
  if (profile === 'local') base.push(localProfileLayer());
  if (parsed.dev) base.push(devLayer());
  const merged = mergeLayers([...base, fromFiles, parsed.flags]);
  checkJoinCombination(merged);

  const config = resolveConfig(merged, {
    cwd,
    hostname: opts.hostname ?? osHostname(),
    interfaces: opts.networkInterfaces ?? osInterfaces(),
    dev: parsed.dev,
    profile,
    files,
    warnings,
  });
  if (config.dataDir === '') {
    // Only -dev gets here; made last so that a bad config leaves no directory behind.
    const base = env.TMPDIR && env.TMPDIR !== '' ? env.TMPDIR : tmpdir();
    try {
      config.dataDir = await mkdtemp(path.join(path.resolve(cwd, base), 'opraft-dev-'));
    } catch (err) {
      throw new ConfigError(`cannot create a temporary data directory for -dev in ${base}: ${(err as Error).message}`);
    }
    config.dataDirIsTemporary = true;
  }
  return { config, warnings };
}
