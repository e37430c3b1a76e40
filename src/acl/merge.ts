// How several policies combine on one token (§6.2): policy words by precedence, and
// capability sets as a union in which `deny` wins over everything.
import { CAP_DENY, POLICY_DENY, POLICY_LIST, POLICY_READ, POLICY_WRITE } from './words.ts';

/** Nomad's maxPrivilege: deny > write > read > list; "" when neither says anything. */
export function maxPrivilege(a: string, b: string): string {
  for (const word of [POLICY_DENY, POLICY_WRITE, POLICY_READ, POLICY_LIST]) {
    if (a === word || b === word) return word;
  }
  return '';
}

/** Adds `caps` to `into`; a deny on either side leaves only deny (order does not matter). */
export function mergeCaps(into: Set<string>, caps: Iterable<string>): void {
  if (into.has(CAP_DENY)) return;
  const add = [...caps];
  if (add.includes(CAP_DENY)) {
    into.clear();
    into.add(CAP_DENY);
    return;
  }
  for (const c of add) into.add(c);
}

/** Merges `caps` into the set stored under `key`, creating it. */
export function mergeInto(map: Map<string, Set<string>>, key: string, caps: Iterable<string>): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  mergeCaps(set, caps);
}
