// Cheap 32-bit hashes for the simulator's invariant checks (not cryptographic).
// A collision can only hide a violation, never invent one: equal inputs always
// give equal hashes.
import { EntryType, type Entry } from '../../src/raft/index.ts';

/** FNV-1a over bytes. */
export function hashBytes(data: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Murmur3-style combination of a running hash with one 32-bit value. */
export function mix(h: number, v: number): number {
  let k = Math.imul(v | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  return h >>> 0;
}

/** Hash of an entry's content (type, data, membership change), not of its position. */
export function entryContentHash(e: Entry): number {
  let h = mix(0x5bd1e995, e.type);
  h = mix(h, hashBytes(e.data));
  if (e.type === EntryType.Config) {
    if (e.change) {
      h = mix(h, hashString(e.change.type));
      h = mix(h, hashString(e.change.id));
    }
    if (e.config) h = mix(h, hashString(`${e.config.voters.join(',')}|${e.config.nonVoters.join(',')}`));
  }
  return h;
}

/** Rolling prefix hash: h(i) = H(h(i-1), index, term, content). h(0) = 0. */
export function chainHash(prev: number, index: number, term: number, content: number): number {
  return mix(mix(mix(prev, index), term), content);
}
