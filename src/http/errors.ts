// Nomad's error encoding (contract §0.1): plain text bodies, the status chosen by the error.
import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { RuleError, ShapeError } from '../fsm/index.ts';

/** An error with the HTTP status it answers with (Nomad's CodedError). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const NO_LEADER = 'No cluster leader';
const JOB_REGISTRATION_DISABLED = 'Job registration, dispatch, and scale are disabled by the scheduler configuration';
const FILTER_WITH_OTHER_PARAMETERS = 'Filter expression cannot be used with other filter parameters';

/** Maps an error to Nomad's status and text, in §0.1's order. */
export function statusOf(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  // A command that breaks a rule of its own (too large, bad path…) is refused before it is proposed.
  if (err instanceof RuleError || err instanceof ShapeError) return { status: 400, message: err.message };
  const e = err as { status?: number; statusCode?: number; type?: string; message?: string };
  // body-parser errors (express.json / express.raw)
  if (e?.type === 'entity.too.large') return { status: 413, message: 'Request body too large' };
  if (e?.type === 'entity.parse.failed') return { status: 400, message: `Failed to parse request body: ${e.message ?? ''}` };
  const message = e?.message ?? String(err);
  // An RPC-coded error: `RPC Error:: <code>,<msg>` (nomad:nomad/structs/errors.go).
  const rpc = /^RPC Error:: (\d{3}),([\s\S]*)$/.exec(message);
  if (rpc) return { status: Number(rpc[1]), message: rpc[2]! };
  if (message.endsWith('Permission denied')) return { status: 403, message: 'Permission denied' };
  if (message.endsWith('ACL token not found')) return { status: 403, message: 'ACL token not found' };
  if (message.endsWith(JOB_REGISTRATION_DISABLED)) return { status: 403, message };
  if (message.endsWith(FILTER_WITH_OTHER_PARAMETERS)) return { status: 400, message };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 600) return { status: e.status, message };
  return { status: 500, message };
}

/** A plain-text error answer; works on Express's response and Node's own (the fast path). */
export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(message, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.end(body); // Node drops the body of a HEAD answer itself
}

/** The last middleware: every error becomes a plain-text answer; the server keeps serving. */
export function errorMiddleware(log: { warn(o: object, m: string): void }) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const { status, message } = statusOf(err);
    if (status >= 500) log.warn({ method: req.method, path: req.path, err: message }, 'request failed');
    sendError(res, status, message);
  };
}
