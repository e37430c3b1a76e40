// /v1/vars and /v1/var/<path> (Part A §23): Nomad's variables, namespace "default", with CAS.
import { Router, type Request, type Response } from 'express';
import type { HttpContext } from '../context.ts';
import { aclOf } from '../acl.ts';
import { field, parseJsonBody, rawBody } from '../body.ts';
import { HttpError } from '../errors.ts';
import { leaderOnly } from '../leader.ts';
import { parseCas, parseStale, queryString } from '../query.ts';
import { sendJson, sendReply, setQueryMeta, type Reply } from '../respond.ts';
import { checkRegionMw } from './status.ts';

const PATH_PATTERN = /^[a-zA-Z0-9\-_~/]{1,128}$/;

// The body is read after leaderOnly: a request proxied to the leader must still hold its stream.
export function variableRoutes(ctx: HttpContext): Router {
  const r = Router();
  const staleForReads = (req: Request) => req.method === 'GET' && parseStale(req);

  r.all('/v1/vars', checkRegionMw(ctx), (req, _res, next) => (req.method === 'GET' ? next() : next(new HttpError(400, 'Invalid method'))), leaderOnly(ctx, parseStale), async (req, res) => {
    if (!parseStale(req)) await ctx.consistentRead();
    const prefix = queryString(req, 'prefix') ?? '';
    const acl = await aclOf(ctx, req);
    setQueryMeta(res, readMeta(ctx));
    // Nomad filters the list to what the caller may list, rather than refusing it.
    sendJson(req, res, ctx.state().listVariables(prefix).filter((v) => acl.allowVariableOp(v.Namespace, v.Path, 'list')));
  });

  r.all(['/v1/var', '/v1/var/', '/v1/var/*path'], checkRegionMw(ctx), leaderOnly(ctx, staleForReads, ctx.limits.jsonBodyBytes), rawBody(ctx.limits.jsonBodyBytes), async (req, res) => {
    const path = variablePath(req);
    const op = req.method === 'GET' ? 'read' : req.method === 'DELETE' ? 'destroy' : 'write';
    if (['GET', 'PUT', 'POST', 'DELETE'].includes(req.method) && !(await aclOf(ctx, req)).allowVariableOp('default', path, op)) {
      throw new HttpError(403, 'Permission denied');
    }
    switch (req.method) {
      case 'GET':
        return readVariable(ctx, req, res, path);
      case 'PUT':
      case 'POST':
        return writeVariable(ctx, req, res, path);
      case 'DELETE':
        return deleteVariable(ctx, req, res, path);
      default:
        throw new HttpError(400, 'Invalid method');
    }
  });
  return r;
}

function variablePath(req: Request): string {
  const p = (req.params as { path?: string[] }).path;
  const path = Array.isArray(p) ? p.join('/') : '';
  if (path === '') throw new HttpError(400, 'missing variable path');
  return path;
}

function readMeta(ctx: HttpContext) {
  const s = ctx.raft();
  return { index: ctx.state().latestIndex('variables'), knownLeader: s.leader !== '', lastContactMs: s.lastContactMs };
}

async function readVariable(ctx: HttpContext, req: Request, res: Response, path: string): Promise<void> {
  sendReply(req, res, await variableRead(ctx, path, parseStale(req)));
}

/** GET /v1/var/<path>: after a ReadIndex unless stale; 404 `variable not found`. */
export async function variableRead(ctx: HttpContext, path: string, stale: boolean): Promise<Reply> {
  if (!stale) await ctx.consistentRead();
  const v = ctx.state().variable(path);
  const m = readMeta(ctx);
  const headers = { 'X-Nomad-Index': String(m.index), 'X-Nomad-KnownLeader': String(m.knownLeader), 'X-Nomad-LastContact': String(Math.max(0, Math.round(m.lastContactMs))) };
  if (!v) return { status: 404, headers, error: 'variable not found' };
  return { status: 200, headers, body: v };
}

async function writeVariable(ctx: HttpContext, req: Request, res: Response, path: string): Promise<void> {
  sendReply(req, res, await variableWrite(ctx, path, parseCas(req), req.body));
}

/** PUT /v1/var/<path>[?cas=]: the body checked, the upsert applied through Raft; 409 with the current on a CAS conflict. */
export async function variableWrite(ctx: HttpContext, path: string, cas: number | undefined, body: unknown): Promise<Reply> {
  if (!PATH_PATTERN.test(path)) throw new HttpError(400, `invalid path "${path}"`);
  const items = field(parseJsonBody(body), 'Items');
  if (items === null || items === undefined || typeof items !== 'object' || Array.isArray(items) || Object.keys(items).length === 0) {
    throw new HttpError(400, 'variable missing required Items object');
  }
  for (const [k, v] of Object.entries(items)) {
    if (typeof v !== 'string') throw new HttpError(400, `variable item "${k}" must be a string`);
  }
  const { index, result } = await ctx.apply({
    type: 'upsertVariable',
    path,
    items: items as Record<string, string>,
    time: BigInt(Date.now()) * 1_000_000n,
    ...(cas === undefined ? {} : { cas }),
  });
  if (!result.ok) return failure(result);
  return { status: 200, headers: { 'X-Nomad-Index': String(index) }, body: result.type === 'upsertVariable' ? result.variable : null };
}

async function deleteVariable(ctx: HttpContext, req: Request, res: Response, path: string): Promise<void> {
  if (!PATH_PATTERN.test(path)) throw new HttpError(400, `invalid path "${path}"`);
  const cas = parseCas(req);
  const { index, result } = await ctx.apply({ type: 'deleteVariable', path, ...(cas === undefined ? {} : { cas }) });
  if (!result.ok) return sendReply(req, res, failure(result));
  res.setHeader('X-Nomad-Index', String(index));
  res.status(200).end();
}

function failure(result: Extract<Awaited<ReturnType<HttpContext['apply']>>['result'], { ok: false }>): Reply {
  if (result.code === 'conflict' && 'conflict' in result) {
    const current = result.conflict as { ModifyIndex?: number };
    return { status: 409, headers: { 'X-Nomad-Index': String(current.ModifyIndex ?? 0) }, body: result.conflict };
  }
  throw new HttpError(result.code === 'invalid' ? 400 : result.code === 'not-found' ? 404 : 500, result.error);
}
