// Requests that need the leader: served here when we lead, otherwise proxied over HTTP to the
// leader's advertised HTTP address (Part A §3), waiting up to the hold time for one to be known.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Role } from '../raft/index.ts';
import type { HttpContext } from './context.ts';
import { HttpError, NO_LEADER, sendError } from './errors.ts';

/** Marks a proxied request, so it is never proxied twice (no loops while leadership moves). */
export const FORWARDED_HEADER = 'x-opraft-forwarded';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (with jitter, ≤ hold/16 per step) until a leader is known; undefined after the hold time. */
export async function waitForLeader(ctx: HttpContext, holdMs = ctx.holdTimeoutMs): Promise<string | undefined> {
  const deadline = Date.now() + holdMs;
  for (;;) {
    const leader = ctx.raft().leader;
    if (leader) return leader;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await sleep(Math.min(left, Math.max(10, (Math.random() * holdMs) / 16)));
  }
}

/**
 * Middleware: call `next()` when this server is the leader; proxy to the leader otherwise.
 * `isStale(req)` lets read endpoints skip it with `?stale`.
 */
export function leaderOnly(ctx: HttpContext, isStale: (req: Request) => boolean = () => false, bodyLimit?: number): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (isStale(req)) return next();
      // Test-only broken variant (OPRAFT_TEST_BROKEN=localReads): serve reads here, never forward.
      if (ctx.testLocalReads && req.method === 'GET') return next();
      const deadline = Date.now() + ctx.holdTimeoutMs;
      for (;;) {
        const leader = await waitForLeader(ctx, Math.max(0, deadline - Date.now()));
        if (!leader) throw new HttpError(500, NO_LEADER);
        if (leader === ctx.nodeId && ctx.raft().role === Role.Leader) return next();
        const addr = leader === ctx.nodeId ? undefined : ctx.httpAddressOf(leader);
        if (addr && !req.headers[FORWARDED_HEADER]) {
          // Judged here, as the leader would: streaming an oversized body on raced the leader's
          // 413 and its close against our write, and EPIPE turned the answer into a 500.
          if (bodyLimit !== undefined && overLimit(req, bodyLimit)) {
            res.setHeader('Connection', 'close');
            throw new HttpError(413, 'Request body too large');
          }
          return await proxy(req, res, addr, req.originalUrl);
        }
        // We know a leader but cannot reach it over HTTP (yet): wait for things to settle.
        if (Date.now() >= deadline) throw new HttpError(500, NO_LEADER);
        await sleep(50);
      }
    } catch (e) {
      next(e);
    }
  };
}

/** A declared body over `limit` (an encoded one is judged by whoever decodes it). */
export function overLimit(req: IncomingMessage, limit: number): boolean {
  const declared = Number(req.headers['content-length']);
  return req.headers['content-encoding'] === undefined && Number.isFinite(declared) && declared > limit;
}

/** Streams the request to `addr` and the answer back; bodies are never buffered whole. */
export function proxy(req: IncomingMessage, res: ServerResponse, addr: string, path: string): Promise<void> {
  return new Promise((resolve) => {
    const [host, port] = splitHostPort(addr);
    const headers = { ...req.headers, [FORWARDED_HEADER]: '1' };
    delete headers.host;
    delete headers.connection;
    const out = http.request({ host, port, method: req.method, path, headers }, (answer) => {
      res.statusCode = answer.statusCode ?? 502;
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && k !== 'connection' && k !== 'transfer-encoding') res.setHeader(k, v);
      answer.pipe(res);
      answer.on('end', () => resolve());
      answer.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    out.on('error', (err) => {
      sendError(res, 500, `failed to forward the request to the leader at ${addr}: ${err.message}`);
      resolve();
    });
    // The client went away before its answer was sent (an upload cut mid-stream, a reader that
    // left): drop the forwarded request too, or the leader holds a half-read body open until its
    // request timeout, pinning one of its per-client connections.
    res.on('close', () => {
      if (!res.writableFinished) {
        out.destroy();
        resolve();
      }
    });
    req.pipe(out);
  });
}

export function splitHostPort(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  let host = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [host, Number(addr.slice(i + 1))];
}
