/**
 * `-config` paths to config files, as Nomad's LoadConfig: a file is read
 * whatever its name; a directory contributes its own *.hcl and *.json files
 * (not subdirectories, not editor temporaries) in lexical order.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from './errors.ts';

/** Editor leftovers Nomad skips: `.#x`, `x~`, `#x#`. */
export function isTemporaryFile(name: string): boolean {
  return name.endsWith('~') || name.startsWith('.#') || (name.startsWith('#') && name.endsWith('#'));
}

/** The files a `-config` path stands for, absolute, in load order. */
export async function expandConfigPath(absolute: string): Promise<string[]> {
  const info = await statOrFail(absolute);
  if (info.isFile()) return [absolute];
  if (!info.isDirectory()) throw new ConfigError('not a file or directory', { file: absolute });
  let names: string[];
  try {
    names = await readdir(absolute);
  } catch (err) {
    throw new ConfigError(`cannot read the directory: ${errorText(err)}`, { file: absolute });
  }
  const out: string[] = [];
  for (const name of names.sort(byBytes)) {
    if (!(name.endsWith('.hcl') || name.endsWith('.json')) || isTemporaryFile(name)) continue;
    const full = path.join(absolute, name);
    if ((await statOrFail(full)).isFile()) out.push(full);
  }
  return out;
}

export async function readConfigFile(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (err) {
    throw new ConfigError(`cannot read the config file: ${errorText(err)}`, { file });
  }
}

async function statOrFail(p: string) {
  try {
    return await stat(p);
  } catch (err) {
    throw new ConfigError(`cannot load configuration: ${errorText(err)}`, { file: p });
  }
}

/** Go's sort.Strings order (bytes), which differs from localeCompare for mixed case. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file or directory';
  if (e?.code === 'EACCES') return 'permission denied';
  return e?.message ?? String(err);
}
