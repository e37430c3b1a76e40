// /v1/operator/scheduler/configuration (contract §1.7, §1.8, Part A §16): GET with query meta;
// PUT/POST replace the whole object (omitted booleans become false), optionally with `cas`.
import { Router, type Request, type Response } from 'express';
import type { SchedulerConfigFields } from '../../fsm/index.ts';
import { authorize, requirePermission } from '../acl.ts';
import { parseJsonBody, rawBody } from '../body.ts';
import type { HttpContext } from '../context.ts';
import { bool, DecodeError, objectAt, str, uint } from '../decode.ts';
import { HttpError } from '../errors.ts';
import { leaderOnly } from '../leader.ts';
import { parseCas, parseStale } from '../query.ts';
import { sendJson, sendReply, setQueryMeta, type Reply } from '../respond.ts';
import { checkRegionMw } from './status.ts';

const T = 'structs.SchedulerConfiguration';

export function schedulerRoutes(ctx: HttpContext): Router {
  const r = Router();
  r.all(
    '/v1/operator/scheduler/configuration',
    (req, res, next) => (['GET', 'PUT', 'POST'].includes(req.method) ? next() : void res.status(405).type('text/plain; charset=utf-8').send('Invalid method')),
    checkRegionMw(ctx),
    leaderOnly(ctx, (req) => req.method === 'GET' && parseStale(req), ctx.limits.jsonBodyBytes),
    // Writes check operator:write after the body and `cas` were validated (§1.8's order).
    authorize(ctx, (acl, req) => req.method !== 'GET' || acl.allowOperatorRead()),
    rawBody(ctx.limits.jsonBodyBytes),
    async (req, res) => (req.method === 'GET' ? getConfig(ctx, req, res) : putConfig(ctx, req, res)),
  );
  return r;
}

async function getConfig(ctx: HttpContext, req: Request, res: Response): Promise<void> {
  if (!parseStale(req)) await ctx.consistentRead();
  const config = ctx.state().schedulerConfig();
  if (!config) throw new HttpError(500, 'scheduler config not initialized yet');
  const s = ctx.raft();
  const meta = { index: config.ModifyIndex, knownLeader: s.leader !== '', lastContactMs: s.lastContactMs };
  setQueryMeta(res, meta);
  sendJson(req, res, { SchedulerConfig: config, Index: meta.index, LastContact: Math.round(meta.lastContactMs) * 1_000_000, KnownLeader: meta.knownLeader, NextToken: '' });
}

/** The body as Go decodes it into SchedulerConfiguration: a whole object, zero values for what is missing. */
export function decodeSchedulerBody(body: unknown): SchedulerConfigFields {
  const o = objectAt(body, T);
  const p = objectAt(o ? findKey(o, 'PreemptionConfig') : undefined, 'structs.PreemptionConfig');
  return {
    SchedulerAlgorithm: str(o, 'SchedulerAlgorithm', T),
    PreemptionConfig: {
      SystemSchedulerEnabled: bool(p, 'SystemSchedulerEnabled', 'structs.PreemptionConfig'),
      SysBatchSchedulerEnabled: bool(p, 'SysBatchSchedulerEnabled', 'structs.PreemptionConfig'),
      BatchSchedulerEnabled: bool(p, 'BatchSchedulerEnabled', 'structs.PreemptionConfig'),
      ServiceSchedulerEnabled: bool(p, 'ServiceSchedulerEnabled', 'structs.PreemptionConfig'),
    },
    MemoryOversubscriptionEnabled: bool(o, 'MemoryOversubscriptionEnabled', T),
    RejectJobRegistration: bool(o, 'RejectJobRegistration', T),
    PauseEvalBroker: bool(o, 'PauseEvalBroker', T),
    NodeLimitForFeasibilityChecks: uint(o, 'NodeLimitForFeasibilityChecks', T, 'uint32'),
  };
}

function findKey(o: Record<string, unknown>, key: string): unknown {
  const k = Object.keys(o).find((x) => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : o[k];
}

async function putConfig(ctx: HttpContext, req: Request, res: Response): Promise<void> {
  sendReply(req, res, await schedulerWrite(ctx, req.body, () => parseCas(req), async () => requirePermission(ctx, req, (acl) => acl.allowOperatorWrite())));
}

/**
 * PUT /v1/operator/scheduler/configuration: the body decoded and checked, then `cas` (`cas()`
 * throws the 400), then operator:write (`authorize()` throws the 403) — Nomad's order (§1.8).
 */
export async function schedulerWrite(ctx: HttpContext, body: unknown, cas: () => number | undefined, authorize: () => Promise<void>): Promise<Reply> {
  let fields: SchedulerConfigFields;
  try {
    fields = decodeSchedulerBody(parseJsonBody(body));
  } catch (e) {
    throw new HttpError(400, `Error parsing scheduler config: ${(e as Error).message}`);
  }
  if (!['', 'binpack', 'spread'].includes(fields.SchedulerAlgorithm)) throw new HttpError(400, `invalid scheduler algorithm: ${fields.SchedulerAlgorithm}`);
  const casIndex = cas();
  await authorize();
  const { index, result } = await ctx.apply({ type: 'setSchedulerConfig', config: fields, ...(casIndex === undefined ? {} : { cas: casIndex }) });
  if (!result.ok) throw new HttpError(result.code === 'invalid' ? 400 : 500, result.error);
  const updated = result.type === 'setSchedulerConfig' ? result.updated : false;
  return { status: 200, headers: { 'X-Nomad-Index': String(index) }, body: { Updated: updated, Index: index } };
}

export { DecodeError };
