// The request's secret, exactly as Nomad's parseToken reads it (nomad:command/agent/http.go,
// spec §0.1): a non-empty X-Nomad-Token wins (trimmed); else `Authorization: Bearer <t>`.

/** Node's IncomingHttpHeaders, or any map of header names (any case) to values. */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The first value of a header, looked up case-insensitively (Go's Header.Get). */
function header(headers: HeaderMap, name: string): string {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== name) continue;
    const first = typeof v === 'string' ? v : v?.[0];
    if (first !== undefined) return first;
  }
  return '';
}

/** The secret the request carries; "" means anonymous. */
export function tokenFromHeaders(headers: HeaderMap): string {
  // Non-empty before trimming, as Go tests it: a header of only spaces still wins, as "".
  const direct = header(headers, 'x-nomad-token');
  if (direct !== '') return direct.trim();

  const auth = header(headers, 'authorization');
  if (auth === '') return '';
  // Split on single spaces (not all whitespace), as strings.Split(v, " ") does.
  const parts = auth.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return '';
  const value = parts.slice(1).join(' ').trim();
  // Bearer tokens hold no spaces (RFC 6750 §2): only the first word counts.
  return value.split(' ')[0]!.trim();
}
