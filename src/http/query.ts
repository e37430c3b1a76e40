// Query-string parsing shared by the read endpoints (contract §0.1).
import type { Request } from 'express';
import { parseDurationNs } from '../config/duration.ts';
import { HttpError } from './errors.ts';

/**
 * The app's query parser, as Go's url.ParseQuery reads a query: every key is taken literally and
 * a repeated key gives a list. (qs's `extended` parser turned `?address[a]=b` into an object that
 * answered 500 `address "[object Object]" was not found…`, and `?stale[x]=1` into a stale read,
 * where Nomad sees keys named `address[a]` and `stale[x]` and ignores them.)
 */
export function parseGoQuery(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [k, v] of new URLSearchParams(text)) {
    const cur = out[k];
    if (Array.isArray(cur)) cur.push(v);
    else out[k] = cur === undefined ? v : [cur, v];
  }
  return out;
}

function single(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return String(v[0] ?? '');
  return typeof v === 'string' ? v : '';
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** `?stale`: present with no value → true; otherwise Go's ParseBool; anything else → 400. */
export function parseStale(req: Request): boolean {
  const v = single(req, 'stale');
  if (v === undefined) return false;
  if (v === '' || TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new HttpError(400, 'Expect `true` or `false` for `stale` query string parameter');
}

/** One region only (Part A §19): another region answers 500 `No path to region`. */
export function checkRegion(req: Request, region: string): void {
  const v = single(req, 'region');
  if (v !== undefined && v !== '' && v !== region) throw new HttpError(500, 'No path to region');
}

export function queryString(req: Request, name: string): string | undefined {
  return single(req, name);
}

/** Every value of a repeatable parameter (`?address=a&address=b`). */
export function queryAll(req: Request, name: string): string[] {
  const v = req.query[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}

/** `?cas=<n>` (uint64): undefined when absent; present but not a number → 400 naming the value. */
export function parseCas(req: Request): number | undefined {
  const v = single(req, 'cas');
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new HttpError(400, `Error parsing cas value: strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
  }
  return Number(v);
}

export interface QueryOptions {
  perPage: number;
  nextToken: string;
  reverse: boolean;
}

/**
 * Nomad's parse(): the query options every read (GET) endpoint validates, in its order — `stale`,
 * `per_page`, then `wait` and `index` (parsed, but nothing here blocks).
 */
export function parseQueryOptions(req: Request): QueryOptions {
  parseStale(req);
  const pp = single(req, 'per_page');
  let perPage = 0;
  if (pp !== undefined) {
    perPage = /^[+-]?\d+$/.test(pp) ? Number(pp) : NaN;
    if (!Number.isSafeInteger(perPage) || perPage < -(2 ** 31) || perPage >= 2 ** 31) {
      throw new HttpError(400, 'Expect a number for `per_page` query string parameter');
    }
  }
  const wait = single(req, 'wait');
  if (wait !== undefined) {
    try {
      parseDurationNs(wait);
    } catch {
      throw new HttpError(400, 'Invalid wait time');
    }
  }
  const index = single(req, 'index');
  // Go's ParseUint: digits only, and at most 2^64-1 (a longer number is out of range, not an index).
  if (index !== undefined && (!/^\d+$/.test(index) || BigInt(index) > 0xffff_ffff_ffff_ffffn)) throw new HttpError(400, 'Invalid index');
  return { perPage, nextToken: single(req, 'next_token') ?? '', reverse: single(req, 'reverse') === 'true' };
}
