// The HTTP client the commands share, shaped like Nomad's Go api package: the address from
// -address / NOMAD_ADDR (default http://127.0.0.1:4646), the token as X-Nomad-Token, the region
// as ?region=, `?stale=` for stale reads, and every non-200 answer an error reading
// `Unexpected response code: <status> (<trimmed body>)`.
import { Readable } from 'node:stream';

export const DEFAULT_ADDRESS = 'http://127.0.0.1:4646';

export interface ClientConfig {
  address: string;
  token?: string;
  region?: string;
  namespace?: string;
}

/** A non-200 answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`Unexpected response code: ${status} (${body.trim()})`);
    this.name = 'ApiError';
  }
}

/** The request never got an answer (Go's *url.Error text: `Get "<url>": dial tcp ...`). */
export class TransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface RequestOptions {
  query?: [string, string][];
  /** Send `stale=` (AllowStale). */
  stale?: boolean;
  body?: string | Buffer | Readable;
  /** Whether the region query parameter applies (every endpoint here; agent/self-like calls too). */
  noRegion?: boolean;
  /** Whether to send ?namespace= (variables only). */
  namespace?: boolean;
}

const GO_METHOD: Record<string, string> = { GET: 'Get', PUT: 'Put', POST: 'Post', DELETE: 'Delete' };

export class ApiClient {
  readonly baseUrl: string;
  constructor(readonly config: ClientConfig) {
    let a = config.address.trim() || DEFAULT_ADDRESS;
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(a)) a = `http://${a}`;
    this.baseUrl = a.replace(/\/+$/, '');
  }

  url(path: string, opts: RequestOptions = {}): string {
    const q = new URLSearchParams();
    if (!opts.noRegion && this.config.region) q.append('region', this.config.region);
    if (opts.namespace && this.config.namespace) q.append('namespace', this.config.namespace);
    if (opts.stale) q.append('stale', '');
    for (const [k, v] of opts.query ?? []) q.append(k, v);
    const qs = q.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Sends a request and returns the raw response, whatever its status. */
  async raw(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = this.url(path, opts);
    const headers: Record<string, string> = {};
    if (this.config.token) headers['X-Nomad-Token'] = this.config.token;
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (opts.body !== undefined) {
      if (opts.body instanceof Readable) {
        init.body = Readable.toWeb(opts.body) as unknown as ReadableStream;
        init.duplex = 'half';
      } else {
        init.body = typeof opts.body === 'string' ? opts.body : new Uint8Array(opts.body);
      }
    }
    try {
      return await fetch(url, init);
    } catch (e) {
      throw new TransportError(`${GO_METHOD[method] ?? method} ${JSON.stringify(url)}: ${describeFetchError(e, url)}`);
    }
  }

  /** Sends a request; a non-200 answer throws ApiError. Resolves with the body text and headers. */
  async text(method: string, path: string, opts: RequestOptions = {}): Promise<{ text: string; headers: Headers; status: number }> {
    const res = await this.raw(method, path, opts);
    const text = await res.text();
    if (res.status !== 200) throw new ApiError(res.status, text);
    return { text, headers: res.headers, status: res.status };
  }

  /** As text(), decoding a JSON body (an empty body is null). */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<{ body: T; headers: Headers }> {
    const { text, headers } = await this.text(method, path, opts);
    return { body: (text.trim() === '' ? null : JSON.parse(text)) as T, headers };
  }

  get<T>(path: string, opts: RequestOptions = {}) {
    return this.json<T>('GET', path, opts);
  }
  put<T>(path: string, body: unknown, opts: RequestOptions = {}) {
    return this.json<T>('PUT', path, { ...opts, body: body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Readable ? body : JSON.stringify(body) });
  }
  delete<T>(path: string, opts: RequestOptions = {}) {
    return this.json<T>('DELETE', path, opts);
  }
}

function describeFetchError(e: unknown, url: string): string {
  const cause = (e as { cause?: NodeJS.ErrnoException & { address?: string; port?: number } }).cause;
  const u = new URL(url);
  const hostPort = `${u.hostname.replace(/^\[|\]$/g, '')}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${u.hostname}: no such host`;
    case 'ECONNRESET':
      return `read tcp ${hostPort}: connection reset by peer`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `dial tcp ${hostPort}: i/o timeout`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hostPort}: connect: no route to host`;
    default:
      return cause?.message ?? (e instanceof Error ? e.message : String(e));
  }
}

/** The message a command prints after its own prefix (`Error ...: <this>`). */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
