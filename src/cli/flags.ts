// Go's `flag` package semantics for Nomad-style command lines, normalised in front of
// node:util parseArgs. Nomad's flags are single-dash long flags (`-peer-id=x`, `-peer-id x`);
// the double-dash form is accepted too. As in Go, parsing stops at the first argument that is not
// a flag (or after `--`); everything from there on is positional. Errors carry Go's wording
// (`flag provided but not defined: -x`, `flag needs an argument: -x`, ...).
import { parseArgs } from 'node:util';

/**
 * bool: `-x`, `-x=true|false|1|0|t|f|...` (never consumes the next argument);
 * string: `-x=v` or `-x v`; multi: a repeatable string; uint: a string Go would parse as uint64
 * with base detection (0x.., 0o.., 0b.., leading 0 = octal, `_` separators).
 */
export type FlagKind = 'bool' | 'string' | 'multi' | 'uint';
export type FlagSpec = Record<string, FlagKind>;

export interface ParsedFlags {
  /** Given flags only: a bool as 'true' / 'false', a multi flag as every value in order. */
  values: Record<string, string | string[] | undefined>;
  positionals: string[];
}

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

/** Go's strconv.ParseBool. */
export function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** Go's strconv.ParseUint(s, 0, 64): base prefixes, `_` between digits; undefined if invalid. */
export function parseGoUint(s: string): bigint | undefined {
  let base = 10;
  let digits = s;
  let prefixed = false;
  if (/^0[xX]/.test(s)) [base, digits, prefixed] = [16, s.slice(2), true];
  else if (/^0[oO]/.test(s)) [base, digits, prefixed] = [8, s.slice(2), true];
  else if (/^0[bB]/.test(s)) [base, digits, prefixed] = [2, s.slice(2), true];
  else if (s.length > 1 && s.startsWith('0')) [base, digits, prefixed] = [8, s.slice(1), true];
  if (digits.includes('_')) {
    // Underscores only with base 0: between digits, or after a base prefix.
    if ((!prefixed && digits.startsWith('_')) || digits.endsWith('_') || digits.includes('__')) return undefined;
    digits = digits.replaceAll('_', '');
  }
  if (digits === '') return undefined;
  const alphabet = '0123456789abcdef'.slice(0, base);
  let n = 0n;
  for (const ch of digits.toLowerCase()) {
    const d = alphabet.indexOf(ch);
    if (d < 0) return undefined;
    n = n * BigInt(base) + BigInt(d);
  }
  return n < 1n << 64n ? n : undefined;
}

/** Normalises Nomad/Go flag syntax to `--name=value ... -- positionals` and checks it as Go would. */
export function normaliseArgs(argv: readonly string[], spec: FlagSpec): string[] {
  const out: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const s = argv[i]!;
    if (s === '--') {
      i++;
      break;
    }
    if (s.length < 2 || s[0] !== '-') break;
    const minuses = s[1] === '-' ? 2 : 1;
    let name = s.slice(minuses);
    if (name.length === 0 || name[0] === '-' || name[0] === '=') throw new FlagError(`bad flag syntax: ${s}`);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const kind = spec[name];
    if (kind === undefined) throw new FlagError(`flag provided but not defined: -${name}`);
    if (kind === 'bool') {
      if (value === undefined) value = 'true';
      const b = parseGoBool(value);
      if (b === undefined) throw new FlagError(`invalid boolean value ${JSON.stringify(value)} for -${name}: parse error`);
      value = String(b);
    } else if (value === undefined) {
      if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: -${name}`);
      value = argv[++i]!;
    }
    if (kind === 'uint' && parseGoUint(value) === undefined) {
      throw new FlagError(`invalid value ${JSON.stringify(value)} for flag -${name}: parse error`);
    }
    out.push(`--${name}=${value}`);
  }
  out.push('--', ...argv.slice(i));
  return out;
}

export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const args = normaliseArgs(argv, spec);
  const options: Record<string, { type: 'string'; multiple?: boolean }> = {};
  for (const [name, kind] of Object.entries(spec)) options[name] = kind === 'multi' ? { type: 'string', multiple: true } : { type: 'string' };
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
  return { values: values as ParsedFlags['values'], positionals };
}

/** Whether Nomad's CLI would show help instead of running: `-h`, `-help` or `--help` before `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '-h' || a === '-help' || a === '--help') return true;
  }
  return false;
}
