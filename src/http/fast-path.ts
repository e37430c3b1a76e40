// The hottest requests without Express, in their plain form only: `PUT`/`POST /v1/var/<path>
// [?cas=<n>]`, `GET /v1/var/<path>` and `PUT`/`POST /v1/operator/scheduler/configuration
// [?cas=<n>]`. The leader serves them; a follower streams them to the leader. Express's
// per-request work (prototype swaps, router matching, body-parser's streams) was over half of
// the leader's CPU per variable write (0.39 → 0.17 ms; docs/NOTES.md, issue 7). Everything else
// (another query parameter, an encoded or chunked body, HEAD, no known leader, a test variant)
// goes to the Express app unchanged, and both answer through the same functions.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Role } from '../raft/index.ts';
import { PERMISSION_DENIED, type AclChecks } from './acl.ts';
import type { HttpContext } from './context.ts';
import { HttpError, sendError, statusOf } from './errors.ts';
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
  if (!Number.isSafeInteger(declared) || declared > ctx.limits.jsonBodyBytes || (method === 'GET' && declared > 0)) return false;

  const s = ctx.raft();
  if (s.role !== Role.Leader || s.leader !== ctx.nodeId) {
    // A follower streams it to the leader, as Express's leaderOnly would, when one is known and reachable.
    const addr = s.leader && s.leader !== ctx.nodeId && !h[FORWARDED_HEADER] ? ctx.httpAddressOf(s.leader) : undefined;
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
