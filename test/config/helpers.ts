import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { ConfigError, loadAgentConfig, type LoadOptions } from '../../src/config/index.ts';

/** A scratch directory for config files; `cleanup` removes it and everything -dev made under it. */
export async function scratch(): Promise<{ dir: string; write(name: string, text: string): Promise<string>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'opraft-config-test-'));
  return {
    dir,
    async write(name, text) {
      const file = path.join(dir, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
      return file;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** No interfaces, a fixed host name and TMPDIR in the scratch dir: results do not depend on the machine. */
export function opts(dir: string, extra: LoadOptions = {}): LoadOptions {
  return { cwd: dir, hostname: 'test-host', networkInterfaces: {}, env: { TMPDIR: dir }, ...extra };
}

/** Expects loadAgentConfig to throw a ConfigError; returns it for more checks. */
export async function loadFails(argv: string[], options: LoadOptions): Promise<ConfigError> {
  try {
    await loadAgentConfig(argv, options);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected loadAgentConfig(${JSON.stringify(argv)}) to fail`);
}
