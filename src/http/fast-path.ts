// The hottest requests without Express, in their plain form only: `PUT`/`POST /v1/var/<path>
// [?cas=<n>]`, `GET /v1/var/<path>` and `PUT`/`POST /v1/operator/scheduler/configuration
// [?cas=<n>]`. The leader serves them; a follower hands them to the leader over the RPC
// transport (Nomad forwards RPCs, not HTTP), or streams them over HTTP when it cannot. Express's
// per-request work (prototype swaps, router matching, body-parser's streams) was over half of
// the leader's CPU per variable write (0.39 → 0.17 ms; docs/NOTES.md, issue 7). Everything else
// (another query parameter, an encoded or chunked body, HEAD, no known leader, a test variant)
// goes to the Express app unchanged, and both answer through the same functions.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Role } from '../raft/index.ts';
import { PERMISSION_DENIED, type AclChecks } from './acl.ts';
import type { HttpContext } from './context.ts';
import { HttpError, NO_LEADER, sendError, statusOf } from './errors.ts';
import { FORWARDED_HEADER, proxy } from './leader.ts';
import { toJson, type Reply } from './respond.ts';
import { schedulerWrite } from './routes/operator-scheduler.ts';
import { variableRead, variableWrite } from './routes/variables.ts';

interface PlainRoute {
  /** The whole URL: path and query. */
  pattern: RegExp;
  methods: readonly string[];
  /** `acl()` resolves the caller once; `body` is the buffered body (undefined for GET). */
  serve(ctx: HttpContext, m: RegExpExecArray, method: string, body: Buffer | undefined, acl: () => Promise<AclChecks>): Promise<Reply>;
}

const CAS = '(?:\\?cas=(\\d{1,15}))?';
const denied = () => new HttpError(403, PERMISSION_DENIED);

const ROUTES: PlainRoute[] = [
  {
    // Segments of the characters a variable path may hold; at most 128 of them (checked below).
    pattern: new RegExp(`^/v1/var/([A-Za-z0-9\\-_~]+(?:/[A-Za-z0-9\\-_~]+)*)${CAS}$`),
    methods: ['PUT', 'POST', 'GET'],
    async serve(ctx, m, method, body, acl) {
      const path = m[1]!;
      if (!(await acl()).allowVariableOp('default', path, method === 'GET' ? 'read' : 'write')) throw denied();
      return method === 'GET' ? variableRead(ctx, path, false) : variableWrite(ctx, path, m[2] === undefined ? undefined : Number(m[2]), body);
    },
  },
  {
    pattern: new RegExp(`^/v1/operator/scheduler/configuration${CAS}$`),
    methods: ['PUT', 'POST'],
    async serve(ctx, m, _method, body, acl) {
      // The token is resolved at the door (an unknown one is refused first), the permission
      // checked after the body and `cas`, as the Express route does.
      const caller = await acl();
      return schedulerWrite(ctx, body, () => (m[1] === undefined ? undefined : Number(m[1])), async () => {
        if (!caller.allowOperatorWrite()) throw denied();
      });
    },
  },
];

export function withFastPath(ctx: HttpContext, app: RequestListener): RequestListener {
  return (req, res) => {
    if (!serveFast(ctx, req, res)) app(req, res);
  };
}

/** Takes the request when it is a plain form and a leader is at hand; false leaves it to Express. */
function serveFast(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): boolean {
  const method = req.method ?? '';
  if (ctx.testLocalReads) return false;
  const url = req.url ?? '';
  let route: PlainRoute | undefined;
  let m: RegExpExecArray | null = null;
  for (const r of ROUTES) {
    if (r.methods.includes(method) && (m = r.pattern.exec(url))) {
      route = r;
      break;
    }
  }
  if (!route || !m || (route === ROUTES[0] && m[1]!.length > 128)) return false;
  const h = req.headers;
  if (h['content-encoding'] !== undefined || h['transfer-encoding'] !== undefined) return false;
  const declared = h['content-length'] === undefined ? 0 : Number(h['content-length']);
  if (!Number.isSafeInteger(declared) || (method === 'GET' && declared > 0)) return false;
  if (declared > ctx.limits.jsonBodyBytes) {
    // Refused where it arrives, leader or follower, unread, as Express's rawBody does (a follower
    // streaming it on raced the leader's 413 and close against its own write: EPIPE, a 500).
    res.setHeader('Connection', 'close');
    sendError(res, 413, 'Request body too large');
    return true;
  }

  const s = ctx.raft();
  if (s.role !== Role.Leader || s.leader !== ctx.nodeId) {
    if (!s.leader || s.leader === ctx.nodeId || h[FORWARDED_HEADER]) return false;
    // A follower hands it to the leader over the RPC transport when it can, else streams it over
    // HTTP as Express's leaderOnly would; with neither, Express waits for a leader.
    const rpc = ctx.forwardPlain ? s.latestConfig.addresses?.[s.leader] : undefined;
    if (rpc) {
      void forward(ctx, req, res, rpc, { method, url, headers: tokenHeaders(h) }, declared);
      return true;
    }
    const addr = ctx.httpAddressOf(s.leader);
    if (!addr) return false;
    void proxy(req, res, addr, url);
    return true;
  }
  const matched = m;
  void answer(ctx, req, res, async () => {
    const body = method === 'GET' ? undefined : await readBody(req, declared);
    let acl: Promise<AclChecks> | undefined;
    return route.serve(ctx, matched, method, body, () => (acl ??= ctx.resolveAcl(req.headers)));
  });
  return true;
}

/** What a follower sends the leader (PLAIN_FORWARD_RPC): the request line, the token headers, the body. */
export interface PlainRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/** The leader's answer, encoded there (JSON text keeps the bigint times exact). */
export interface PlainAnswer {
  status: number;
  headers: Record<string, string>;
  type: string;
  text: string;
}

/** The RPC method a follower forwards plain requests with (registered by the agent). */
export const PLAIN_FORWARD_RPC = 'HTTP.Plain';

/** Serves a forwarded plain request on the leader (the handler of PLAIN_FORWARD_RPC). */
export async function servePlainForwarded(ctx: HttpContext, r: PlainRequest): Promise<PlainAnswer> {
  const route = ROUTES.find((x) => x.methods.includes(r.method) && x.pattern.test(r.url));
  const m = route?.pattern.exec(r.url);
  if (!route || !m) return { status: 400, headers: {}, type: TEXT, text: `not a plain request: ${r.method} ${r.url.slice(0, 200)}` };
  const s = ctx.raft();
  // Leadership moved on since the follower looked: nothing was applied, the client may retry.
  if (s.role !== Role.Leader || s.leader !== ctx.nodeId) return { status: 500, headers: {}, type: TEXT, text: NO_LEADER };
  try {
    let acl: Promise<AclChecks> | undefined;
    const body = r.body === undefined ? undefined : Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength);
    const reply = await route.serve(ctx, m, r.method, body, () => (acl ??= ctx.resolveAcl(r.headers)));
    if (reply.error !== undefined) return { status: reply.status, headers: reply.headers, type: TEXT, text: reply.error };
    return { status: reply.status, headers: reply.headers, type: 'application/json', text: toJson(reply.body) };
  } catch (e) {
    const { status, message } = statusOf(e);
    if (status >= 500) ctx.logger.warn({ method: r.method, path: r.url, err: message }, 'forwarded request failed');
    return { status, headers: {}, type: TEXT, text: message };
  }
}

const TEXT = 'text/plain; charset=utf-8';

const isStringRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/** A PlainRequest off the wire, checked; throws naming the bad field. */
export function checkPlainRequest(v: unknown, maxBodyBytes: number): PlainRequest {
  const r = v as Partial<PlainRequest> | null;
  if (typeof r !== 'object' || r === null) throw new Error('forwarded request: not an object');
  if (typeof r.method !== 'string' || !['GET', 'PUT', 'POST'].includes(r.method)) throw new Error('forwarded request: bad method');
  if (typeof r.url !== 'string' || r.url.length > 2048) throw new Error('forwarded request: bad url');
  if (!isStringRecord(r.headers)) throw new Error('forwarded request: bad headers');
  if (r.body !== undefined && (!(r.body instanceof Uint8Array) || r.body.byteLength > maxBodyBytes)) throw new Error('forwarded request: bad body');
  return { method: r.method, url: r.url, headers: r.headers, ...(r.body !== undefined ? { body: r.body } : {}) };
}

/** A PlainAnswer off the wire, checked; throws naming the bad field. */
export function checkPlainAnswer(v: unknown): PlainAnswer {
  const a = v as Partial<PlainAnswer> | null;
  if (typeof a !== 'object' || a === null) throw new Error('forwarded answer: not an object');
  if (typeof a.status !== 'number' || !Number.isInteger(a.status) || a.status < 100 || a.status > 599) throw new Error('forwarded answer: bad status');
  if (!isStringRecord(a.headers) || typeof a.type !== 'string' || typeof a.text !== 'string') throw new Error('forwarded answer: bad headers, type or text');
  return { status: a.status, headers: a.headers, type: a.type, text: a.text };
}

/** The headers that say who the caller is; the plain forms read no others. */
function tokenHeaders(h: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['x-nomad-token', 'authorization']) {
    const v = h[k];
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/**
 * Forwards to the leader over RPC. A request that certainly never left (no link to a leader that
 * just died, a cut), or that reached a server no longer leading (it applied nothing), is tried
 * again, with whoever leads then, until the hold time is over — as
 * Nomad's RPC forwarding waits out a leader election; one that may have arrived is never sent
 * twice (its failure is indeterminate for the client).
 */
async function forward(ctx: HttpContext, req: IncomingMessage, res: ServerResponse, rpcAddr: string, r: PlainRequest, declared: number): Promise<void> {
  let addr = rpcAddr;
  try {
    if (r.method !== 'GET') r.body = await readBody(req, declared);
    const deadline = Date.now() + ctx.holdTimeoutMs;
    let a: PlainAnswer | undefined;
    for (;;) {
      try {
        a = await ctx.forwardPlain!(addr, r);
        // A leader that had stepped down when it arrived applied nothing: ask the next one.
        if (!(a.status === 500 && a.text === NO_LEADER && Date.now() < deadline)) break;
      } catch (e) {
        if (!(e as { notDelivered?: boolean }).notDelivered || Date.now() >= deadline) throw e;
      }
      await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 75));
      const s = ctx.raft();
      if (s.role === Role.Leader && s.leader === ctx.nodeId) {
        a = await servePlainForwarded(ctx, r);
        break;
      }
      const next = s.leader ? s.latestConfig.addresses?.[s.leader] : undefined;
      if (next) addr = next;
      else if (Date.now() >= deadline) {
        a = { status: 500, headers: {}, type: TEXT, text: NO_LEADER };
        break;
      }
    }
    if (res.destroyed) return;
    const body = Buffer.from(a.text, 'utf8');
    res.writeHead(a.status, { ...a.headers, 'Content-Type': a.type, 'Content-Length': body.length });
    res.end(body);
  } catch (e) {
    req.resume();
    // As the HTTP proxy answers: indeterminate for the client (the leader may have applied it).
    if (!res.destroyed) sendError(res, 500, `failed to forward the request to the leader at ${addr}: ${(e as Error).message}`);
  }
}

async function answer(ctx: HttpContext, req: IncomingMessage, res: ServerResponse, serve: () => Promise<Reply>): Promise<void> {
  try {
    const r = await serve();
    if (res.destroyed) return;
    for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
    if (r.error !== undefined) return sendError(res, r.status, r.error);
    const body = Buffer.from(toJson(r.body), 'utf8');
    res.writeHead(r.status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  } catch (e) {
    req.resume();
    const { status, message } = statusOf(e);
    if (status >= 500) ctx.logger.warn({ method: req.method, path: req.url, err: message }, 'request failed');
    if (!res.destroyed) sendError(res, status, message);
  }
}

/** The body, exactly `declared` bytes (Node's parser enforces Content-Length). */
function readBody(req: IncomingMessage, declared: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, declared)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client closed the request before its body ended'));
    });
  });
}
