/**
 * Reads one block of a parsed config file: each key is taken with a check,
 * Nomad keys opraft does not use are taken with a warning, and whatever is
 * left at the end is an unknown key and stops start-up. Errors carry the file
 * and the key path (`server.server_join.retry_join`).
 */
import { ConfigError } from './errors.ts';
import type { Origin } from './layer.ts';
import { describeValue, isPlainObject, type Check } from './values.ts';

export interface ReadContext {
  file: string;
  warnings: string[];
  origins: Map<string, Origin>;
}

/** Where keys that are often put in the wrong block belong, for unknown-key hints. */
const HOME_OF: Readonly<Record<string, string>> = {
  raft_tick: 'the top level',
  retry_join: 'server { server_join { } }',
  start_join: 'server { server_join { } }',
  retry_interval: 'server { server_join { } }',
  retry_max: 'server { server_join { } }',
  bootstrap_expect: 'server { }',
  raft_multiplier: 'server { }',
  failure_timeout: 'server { }',
  reap_timeout: 'server { }',
  apply_timeout: 'server { }',
  encrypt: 'server { }',
  license_public_keys: 'server { }',
  update_interval: 'autopilot { }',
  reconcile_interval: 'autopilot { }',
  data_dir: 'the top level',
  bind_addr: 'the top level',
  log_level: 'the top level',
};

export class BlockReader {
  private readonly used = new Set<string>();
  private readonly known = new Set<string>();

  constructor(
    private readonly raw: Record<string, unknown>,
    /** Key path of this block, '' at the top. */
    readonly path: string,
    private readonly ctx: ReadContext,
  ) {}

  keyPath(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  fail(key: string, problem: string): never {
    throw new ConfigError(problem, { file: this.ctx.file, key: this.keyPath(key) });
  }

  warn(key: string, text: string): void {
    this.ctx.warnings.push(`${this.ctx.file}: ${this.keyPath(key)}: ${text}`);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.raw, key) && this.raw[key] !== null && this.raw[key] !== undefined;
  }

  /** The value of `key` after `check`, or undefined when absent (JSON null counts as absent). */
  take<T>(key: string, check: (value: unknown) => Check<T>, internalPath?: string): T | undefined {
    this.known.add(key);
    if (!Object.hasOwn(this.raw, key)) return undefined;
    this.used.add(key);
    const value = this.raw[key];
    if (value === null || value === undefined) return undefined;
    if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
      this.fail(key, `expected a value, got a block (write ${key} = …)`);
    }
    const r = check(value);
    if (!r.ok) this.fail(key, r.problem);
    if (internalPath !== undefined) this.ctx.origins.set(internalPath, { file: this.ctx.file, key: this.keyPath(key) });
    return r.value;
  }

  /** A nested block, repeated blocks merged in order; undefined when absent. */
  block(key: string): BlockReader | undefined {
    this.known.add(key);
    if (!Object.hasOwn(this.raw, key)) return undefined;
    this.used.add(key);
    const value = this.raw[key];
    if (value === null || value === undefined) return undefined;
    const list = asBlockList(value);
    if (list === null) this.fail(key, `expected a block (${key} { … }), got ${describeValue(value)}`);
    return new BlockReader(mergeBlocks(list), this.keyPath(key), this.ctx);
  }


  /** Keys Nomad knows and opraft accepts without acting on them: each present one gives a warning. */
  nomadOnly(keys: readonly string[], why: string): void {
    for (const key of keys) {
      this.known.add(key);
      if (!Object.hasOwn(this.raw, key)) continue;
      this.used.add(key);
      this.warn(key, why);
    }
  }

  entries(): [string, unknown][] {
    return Object.entries(this.raw).map(([k, v]) => {
      this.used.add(k);
      return [k, v];
    });
  }

  /** Stops at the first key nobody took. */
  finish(): void {
    for (const key of Object.keys(this.raw)) {
      if (this.used.has(key)) continue;
      const where = this.path === '' ? 'at the top level' : `in ${this.path} { }`;
      let problem = `unknown key ${where}`;
      const close = closest(key, [...this.known]);
      if (close !== undefined) problem += `; did you mean ${JSON.stringify(close)}?`;
      else if (HOME_OF[key] !== undefined) problem += `; ${key} belongs in ${HOME_OF[key]}`;
      this.fail(key, problem);
    }
  }
}

/** A block as HCL1 gives it (a list of objects) or as JSON may write it (one object). */
export function asBlockList(value: unknown): Record<string, unknown>[] | null {
  if (isPlainObject(value)) return [value];
  if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) return value;
  return null;
}

/** Repeated blocks read as one; nested blocks in them accumulate, attributes of later ones win. */
export function mergeBlocks(list: readonly Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const entry of list) {
    for (const [key, value] of Object.entries(entry)) {
      const before = Object.hasOwn(out, key) ? asBlockList(out[key]) : null;
      const after = asBlockList(value);
      out[key] = before !== null && after !== null ? [...before, ...after] : value;
    }
  }
  return out;
}

function closest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(key.toLowerCase(), c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = key.length <= 4 ? 1 : key.length <= 8 ? 2 : 3;
  return bestDistance <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
