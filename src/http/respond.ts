// Success encoding (contract §0.1): JSON with `?pretty`, empty 200 for nothing, query meta headers.
import type { Request, Response } from 'express';
import { sendError } from './errors.ts';

/** JSON.stringify that writes bigints (Unix-nanosecond times) as exact JSON numbers. */
export function toJson(body: unknown, indent?: number): string {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000big:${v}` : v), indent);
  return text.replace(/"\\u0000big:(-?\d+)"/g, '$1');
}

export function sendJson(req: Request, res: Response, body: unknown, status = 200): void {
  const pretty = req.query.pretty !== undefined && req.query.pretty !== '0';
  // Exactly `application/json`, as Nomad sends it (Express's res.type / res.send add `; charset=utf-8`).
  // Straight to res.end: Express's res.send re-inspects type, length and freshness on every call.
  const buf = Buffer.from(pretty ? toJson(body, 4) + '\n' : toJson(body), 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', buf.length);
  if (req.method === 'HEAD') res.end();
  else res.end(buf);
}

/** A 200 with an empty body and no Content-Type, as Nomad's nil handler result. */
export function sendEmpty(res: Response, status = 200): void {
  res.status(status).end();
}

/** Nomad's setMeta: X-Nomad-Index, X-Nomad-KnownLeader, X-Nomad-LastContact (ms, 0 on the leader). */
export function setQueryMeta(res: Response, meta: { index: number; knownLeader: boolean; lastContactMs: number }): void {
  res.setHeader('X-Nomad-Index', String(meta.index));
  res.setHeader('X-Nomad-KnownLeader', String(meta.knownLeader));
  res.setHeader('X-Nomad-LastContact', String(Math.max(0, Math.round(meta.lastContactMs))));
}

/** An answer built without Express, so the fast path (fast-path.ts) and the routes share it. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  /** The JSON answer; or `error`, a plain-text one (Nomad's error encoding). */
  body?: unknown;
  error?: string;
}

/** Sends a Reply through Express (`?pretty` honoured). */
export function sendReply(req: Request, res: Response, r: Reply): void {
  for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  if (r.error !== undefined) sendError(res, r.status, r.error);
  else sendJson(req, res, r.body, r.status);
}
