// The hottest requests without Express: `PUT`/`POST /v1/var/<path>[?cas=<n>]` and
// `GET /v1/var/<path>` served by the leader, in their plain form only. Express's per-request work
// (prototype swaps, router matching, body-parser's streams) cost about 110 µs of the leader's
// ~390 µs per variable write (docs/NOTES.md, issue 7). Everything else — another query
// parameter, an encoded or chunked body, a follower, HEAD, a test variant — goes to the Express
// app unchanged, and both answer through the same functions (routes/variables.ts).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Role } from '../raft/index.ts';
import type { HttpContext } from './context.ts';
import { statusOf } from './errors.ts';
import { toJson } from './respond.ts';
import { variableRead, variableWrite, type VariableReply } from './routes/variables.ts';

/** `/v1/var/` then segments of the characters a variable path may hold, then at most `?cas=<digits>`. */
const PLAIN_VAR = /^\/v1\/var\/([A-Za-z0-9\-_~]+(?:\/[A-Za-z0-9\-_~]+)*)(?:\?cas=(\d{1,15}))?$/;

export function withFastPath(ctx: HttpContext, app: RequestListener): RequestListener {
  return (req, res) => {
    if (!serveFast(ctx, req, res)) app(req, res);
  };
}

/** Takes the request when it is one of the plain forms and we lead; false leaves it to Express. */
function serveFast(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): boolean {
  const method = req.method;
  if (method !== 'PUT' && method !== 'POST' && method !== 'GET') return false;
  const m = PLAIN_VAR.exec(req.url ?? '');
  if (!m || m[1]!.length > 128 || ctx.testLocalReads) return false;
  const s = ctx.raft();
  if (s.role !== Role.Leader || s.leader !== ctx.nodeId) return false;
  const path = m[1]!;
  if (method === 'GET') {
    if (m[2] !== undefined || req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return false;
    answer(ctx, req, res, 'read', path, async () => variableRead(ctx, path, false));
    return true;
  }
  const declared = Number(req.headers['content-length']);
  if (req.headers['content-encoding'] !== undefined || req.headers['transfer-encoding'] !== undefined || !Number.isSafeInteger(declared) || declared > ctx.limits.jsonBodyBytes) return false;
  const cas = m[2] === undefined ? undefined : Number(m[2]);
  answer(ctx, req, res, 'write', path, async () => variableWrite(ctx, path, cas, await readBody(req, declared)));
  return true;
}

function answer(ctx: HttpContext, req: IncomingMessage, res: ServerResponse, op: 'read' | 'write', path: string, serve: () => Promise<VariableReply>): void {
  void (async () => {
    try {
      if (!(await ctx.resolveAcl(req.headers)).allowVariableOp('default', path, op)) {
        req.resume();
        return sendText(res, 403, 'Permission denied', {});
      }
      const r = await serve();
      if (r.error !== undefined) sendText(res, r.status, r.error, r.headers);
      else sendBody(res, r.status, Buffer.from(toJson(r.body), 'utf8'), 'application/json', r.headers);
    } catch (e) {
      req.resume();
      const { status, message } = statusOf(e);
      if (status >= 500) ctx.logger.warn({ method: req.method, path: req.url, err: message }, 'request failed');
      sendText(res, status, message, {});
    }
  })();
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

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  if (res.headersSent) return void res.destroy();
  sendBody(res, status, Buffer.from(text, 'utf8'), 'text/plain; charset=utf-8', headers);
}

function sendBody(res: ServerResponse, status: number, body: Buffer, type: string, headers: Record<string, string>): void {
  if (res.destroyed) return;
  res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': body.length });
  res.end(body);
}
