// /v1/status/leader and /v1/status/peers (contract §1.12).
import { Router } from 'express';
import type { HttpContext } from '../context.ts';
import { leaderOnly } from '../leader.ts';
import { checkRegion, parseQueryOptions, parseStale } from '../query.ts';
import { sendJson } from '../respond.ts';
import { onlyMethods } from './methods.ts';

export function statusRoutes(ctx: HttpContext): Router {
  const r = Router();
  const pre = [onlyMethods(['GET']), checkRegionMw(ctx), leaderOnly(ctx, parseStale)];

  r.all('/v1/status/leader', ...pre, (req, res) => {
    const s = ctx.raft();
    const addr = s.leader ? (s.latestConfig.addresses?.[s.leader] ?? '') : '';
    sendJson(req, res, addr);
  });

  r.all('/v1/status/peers', ...pre, (req, res) => {
    const c = ctx.raft().latestConfig;
    const ids = [...c.voters, ...c.nonVoters];
    sendJson(req, res, ids.map((id) => c.addresses?.[id] ?? id));
  });
  return r;
}

/**
 * Nomad's parse() / parseWriteRequest() at the door of an endpoint: a read's query options are
 * validated first (400), then a region other than ours answers 500 `No path to region` (Part A §19).
 */
export function checkRegionMw(ctx: HttpContext) {
  return (req: import('express').Request, _res: unknown, next: (e?: unknown) => void) => {
    try {
      if (req.method === 'GET') parseQueryOptions(req);
      checkRegion(req, ctx.region);
      next();
    } catch (e) {
      next(e);
    }
  };
}
