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

/** Deepest `{`/`[` nesting read. Real configs nest a handful of levels. */
const MAX_NESTING = 64;

/**
 * The deepest nesting of `{` and `[` outside strings and comments. The HCL reader recurses per
 * level: at a few hundred levels it spent seconds and overflowed the stack, at a thousand it hung
 * start-up for minutes, and an overflow left it failing the next, valid, parse too.
 */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"' && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === '<' && text[i + 1] === '<') {
      const m = /^<<-?([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(text.slice(i, i + 256));
      if (m) {
        const end = text.slice(i + m[0].length).search(new RegExp(`^\\s*${m[1]}\\s*$`, 'm'));
        i = end < 0 ? text.length : i + m[0].length + end;
      }
    } else if (c === '{' || c === '[') {
      if (++depth > max) max = depth;
    } else if (c === '}' || c === ']') {
      depth--;
    }
  }
  return max;
}

/** Parses HCL1 text (Nomad's agent config syntax). `file` only names the source in errors. */
export function parseHcl(text: string, file?: string): RawTree {
  if (typeof text !== 'string') throw new ConfigError(`expected HCL text, got ${typeof text}`, { file });
  const depth = nestingDepth(text);
  if (depth > MAX_NESTING) throw new ConfigError(`cannot parse HCL: blocks and lists nest ${depth} levels deep; at most ${MAX_NESTING} are read`, { file });
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
