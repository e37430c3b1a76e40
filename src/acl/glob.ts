// Glob rules for namespace names and variable paths, as Nomad matches them
// (ryanuber/go-glob, and findClosestMatchingGlob in nomad:acl/acl.go).

/** go-glob's Glob: `*` matches any run of characters (slashes included); nothing else is special. */
export function globMatch(pattern: string, subject: string): boolean {
  if (pattern === '') return subject === '';
  if (pattern === '*') return true;
  const parts = pattern.split('*');
  if (parts.length === 1) return subject === pattern;
  const leading = pattern.startsWith('*');
  const trailing = pattern.endsWith('*');
  const end = parts.length - 1;
  let rest = subject;
  // Each inner part is found leftmost, in order, as go-glob does.
  for (let i = 0; i < end; i++) {
    const idx = rest.indexOf(parts[i]!);
    if (i === 0 ? !leading && idx !== 0 : idx < 0) return false;
    rest = rest.slice(idx + parts[i]!.length);
  }
  return trailing || rest.endsWith(parts[end]!);
}

/**
 * The exact entry for `name`, else the closest matching glob: the smallest
 * len(name) − len(glob) + count("*") (Nomad's "difference"). On a tie Nomad's stable sort
 * with a `<=` comparison puts the last key in byte order first, so that one wins here too.
 */
export function closestMatch<T>(exact: ReadonlyMap<string, T>, globs: ReadonlyMap<string, T>, name: string): T | undefined {
  const hit = exact.get(name);
  if (hit !== undefined) return hit;
  let best: { key: string; diff: number; value: T } | undefined;
  for (const [key, value] of globs) {
    if (!globMatch(key, name)) continue;
    const diff = name.length - key.length + (key.split('*').length - 1);
    if (best === undefined || diff < best.diff || (diff === best.diff && key > best.key)) best = { key, diff, value };
  }
  return best?.value;
}
