// Parsed policies by Rules text. Parsing costs about 2 ms (the HCL reader is a GopherJS
// build) and resolution happens on every request, while stored policies rarely change.
// Keyed by the text itself, so an edited policy can never be served stale.
import { parsePolicy } from './parse-policy.ts';
import type { PolicyRules } from './rules.ts';

const MAX_ENTRIES = 512;
const cache = new Map<string, PolicyRules>();

/** Shared entries are frozen, so a careless caller fails loudly instead of changing others' grants. */
function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const inner of Object.values(v)) deepFreeze(inner);
    Object.freeze(v);
  }
  return v;
}

/** parsePolicy, remembered. The result is shared: callers must not modify it. */
export function parsePolicyCached(rules: string): PolicyRules {
  const hit = cache.get(rules);
  if (hit !== undefined) {
    // Re-insert so the Map's order is least recently used first.
    cache.delete(rules);
    cache.set(rules, hit);
    return hit;
  }
  const parsed = deepFreeze(parsePolicy(rules));
  cache.set(rules, parsed);
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return parsed;
}
