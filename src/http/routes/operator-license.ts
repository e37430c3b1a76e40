// /v1/operator/license (Part A §14): GET the cluster's license (served by the contacted server,
// as Nomad's is not forwarded); PUT a signed license blob, verified on the leader before it is
// written through Raft.
import { Router, type Request, type Response } from 'express';
import { LicenseError, verifyLicense } from '../../license/index.ts';
import { authorize } from '../acl.ts';
import { rawBody } from '../body.ts';
import type { HttpContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { leaderOnly } from '../leader.ts';
import { queryString } from '../query.ts';
import { sendJson, setQueryMeta } from '../respond.ts';
import { checkRegionMw } from './status.ts';

export function licenseRoutes(ctx: HttpContext): Router {
  const r = Router();
  r.all(
    '/v1/operator/license',
    (req, res, next) => (req.method === 'GET' || req.method === 'PUT' || req.method === 'POST' ? next() : void res.status(405).end()),
    checkRegionMw(ctx),
    leaderOnly(ctx, (req) => req.method === 'GET'),
    authorize(ctx, (acl, req) => (req.method === 'GET' ? acl.allowOperatorRead() || acl.allowOperatorOperation('license-read') : acl.allowOperatorWrite())),
    rawBody(ctx.limits.jsonBodyBytes),
    async (req, res) => (req.method === 'GET' ? getLicense(ctx, req, res) : putLicense(ctx, req, res)),
  );
  return r;
}

function getLicense(ctx: HttpContext, req: Request, res: Response): void {
  const stored = ctx.state().license();
  if (!stored) throw new HttpError(500, 'license not initialized yet');
  const s = ctx.raft();
  const meta = { index: stored.ModifyIndex, knownLeader: s.leader !== '', lastContactMs: s.lastContactMs };
  setQueryMeta(res, meta);
  sendJson(req, res, { License: stored.License, ConfigOutdated: false, Index: meta.index, KnownLeader: meta.knownLeader, LastContact: Math.round(meta.lastContactMs) * 1_000_000 });
}

async function putLicense(ctx: HttpContext, req: Request, res: Response): Promise<void> {
  const blob = (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)).toString('utf8').trim();
  if (blob === '') throw new HttpError(400, 'Request body is empty: send the license blob');
  const force = queryString(req, 'force');
  let license;
  try {
    license = await verifyLicense(blob, ctx.licenseKeys, { now: new Date(), current: ctx.state().license(), force: force === '' || force === 'true' || force === '1' });
  } catch (e) {
    if (e instanceof LicenseError) throw new HttpError(400, e.message);
    throw e;
  }
  const { index, result } = await ctx.apply({ type: 'setLicense', blob, license });
  if (!result.ok) throw new HttpError(result.code === 'invalid' ? 400 : 500, result.error);
  res.setHeader('X-Nomad-Index', String(index));
  sendJson(req, res, { Index: index });
}
