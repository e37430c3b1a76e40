// Rules text to a plain tree, and typed reads from it. HCL goes through js-hcl-parser (the
// HCL1 grammar Nomad parses policies with); JSON is checked with JSON.parse first because
// the HCL reader accepts broken JSON, then read by the same HCL reader so both syntaxes
// give one tree shape: an attribute is its value, a block is a list of bodies, and a
// labelled block is a list of { label: [body] } objects.
import HCL from 'js-hcl-parser';
import { PolicyError } from './errors.ts';

export type Body = Record<string, unknown>;

export function parseTree(text: string): Body {
  if (text.trimStart().startsWith('{')) {
    try {
      JSON.parse(text);
    } catch (e) {
      throw new PolicyError(`Failed to parse ACL Policy: invalid JSON: ${(e as Error).message}`);
    }
  }
  let out: unknown;
  try {
    out = HCL.parse(text);
  } catch (e) {
    throw new PolicyError(`Failed to parse ACL Policy: ${(e as Error).message ?? String(e)}`);
  }
  if (typeof out !== 'string' || !out.trimStart().startsWith('{')) {
    throw new PolicyError(`Failed to parse ACL Policy: ${String(out).replace(/^unable to parse JSON: /, '')}`);
  }
  return JSON.parse(out) as Body;
}

function isBody(v: unknown): v is Body {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function describe(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

/** The bodies of an unlabelled block (one per occurrence). */
export function blockBodies(v: unknown, where: string): Body[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || !list.every(isBody)) {
    throw new PolicyError(`Invalid ${where}: expected a block, got ${describe(v)}`);
  }
  return list;
}

/** [label, body] for each occurrence of a labelled block. A body found where a label
 *  belongs means the label is missing (`namespace { policy = "read" }`). */
export function labelledBodies(v: unknown, where: string): Array<[string, Body]> {
  const out: Array<[string, Body]> = [];
  for (const item of blockBodies(v, where)) {
    if (Object.keys(item).length === 0) throw new PolicyError(`Invalid ${where}: the block needs a label, as in ${where} "name" { ... }`);
    for (const [label, inner] of Object.entries(item)) {
      const bodies = Array.isArray(inner) && inner.length > 0 && inner.every(isBody) ? inner : null;
      if (bodies === null) {
        throw new PolicyError(`Invalid ${where}: the block needs a label, as in ${where} "name" { ... } (found ${label} = ${describe(inner)})`);
      }
      for (const body of bodies) out.push([label, body]);
    }
  }
  return out;
}

/** Refuses keys a block does not have, naming them (Nomad's strict parse does this at the top). */
export function onlyKeys(body: Body, allowed: readonly string[], where: string): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length > 0) {
    throw new PolicyError(`Invalid or duplicate policy keys: ${extra.map((k) => (where ? `${where}.${k}` : k)).join(', ')}`);
  }
}

/** A string attribute; absent means "". */
export function stringAttr(body: Body, key: string, where: string): string {
  const v = body[key];
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new PolicyError(`Invalid ${where} ${key}: expected a string, got ${describe(v)}`);
  return v;
}

/** A list-of-strings attribute; absent means []. */
export function stringListAttr(body: Body, key: string, where: string): string[] {
  const v = body[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new PolicyError(`Invalid ${where} ${key}: expected a list of strings, got ${describe(v)}`);
  }
  return v as string[];
}
