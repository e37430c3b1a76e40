/**
 * Config file text to a plain tree. HCL goes through js-hcl-parser (the real
 * HCL1 grammar Nomad uses); JSON through JSON.parse, because the HCL reader
 * silently accepts broken JSON. Both give the same tree shape: attributes as
 * values, blocks as an object or a list of objects (decode.ts accepts either).
 */
import HCL from 'js-hcl-parser';
import { ConfigError } from './errors.ts';

export type RawTree = Record<string, unknown>;

/** The HCL reader is a 32-bit build: whole numbers above this fail to parse. */
const HCL_INT_MAX = 2147483647;

/** Parses HCL1 text (Nomad's agent config syntax). `file` only names the source in errors. */
export function parseHcl(text: string, file?: string): RawTree {
  if (typeof text !== 'string') throw new ConfigError(`expected HCL text, got ${typeof text}`, { file });
  let out: string;
  try {
    out = HCL.parse(text);
  } catch (err) {
    throw new ConfigError(`cannot parse HCL: ${(err as Error).message ?? String(err)}`, { file });
  }
  if (typeof out !== 'string' || !out.trimStart().startsWith('{')) {
    let problem = `cannot parse HCL: ${String(out).replace(/^unable to parse JSON: /, '')}`;
    if (/value out of range/.test(problem)) {
      problem += ` (whole numbers above ${HCL_INT_MAX} cannot be read; write sizes as strings such as "4GiB")`;
    }
    throw new ConfigError(problem, { file });
  }
  return JSON.parse(out) as RawTree;
}

/** Parses a JSON agent config: one object at the top. */
export function parseJson(text: string, file?: string): RawTree {
  if (typeof text !== 'string') throw new ConfigError(`expected JSON text, got ${typeof text}`, { file });
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`cannot parse JSON: ${(err as Error).message}`, { file });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`expected a JSON object at the top of the file, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`, { file });
  }
  return value as RawTree;
}

/** Picks the parser by extension, as Nomad does: `.json` is JSON, anything else HCL. */
export function parseConfigText(text: string, file: string): RawTree {
  return file.toLowerCase().endsWith('.json') ? parseJson(text, file) : parseHcl(text, file);
}
