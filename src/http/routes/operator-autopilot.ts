// /v1/operator/autopilot/configuration (contract §1.4, §1.5, Part A §17): GET (durations as Go
// strings); PUT replaces the whole object, optionally with `cas`, and answers a JSON boolean;
// /v1/operator/autopilot/health (§1.6): 200 when healthy, 429 with the same body when not.
import { Router, type Request, type Response } from 'express';
import { formatDurationNs, parseDurationNs } from '../../config/duration.ts';
import type { AutopilotConfig, AutopilotConfigFields } from '../../fsm/index.ts';
import { authorize, requirePermission } from '../acl.ts';
import { field, jsonBody, rawBody } from '../body.ts';
import type { HttpContext } from '../context.ts';
import { bool, DecodeError, objectAt, uint } from '../decode.ts';
import { HttpError } from '../errors.ts';
import { leaderOnly } from '../leader.ts';
import { parseCas, parseStale } from '../query.ts';
import { sendJson } from '../respond.ts';
import { checkRegionMw } from './status.ts';

const T = 'api.AutopilotConfiguration';

export function autopilotConfigRoutes(ctx: HttpContext): Router {
  const r = Router();
  r.all(
    '/v1/operator/autopilot/configuration',
    (req, _res, next) => (req.method === 'GET' || req.method === 'PUT' ? next() : next(new HttpError(404, 'Invalid method'))),
    checkRegionMw(ctx),
    leaderOnly(ctx, (req) => req.method === 'GET' && parseStale(req)),
    // Writes check operator:write after the body and `cas` were validated (§1.5's order).
    authorize(ctx, (acl, req) => req.method !== 'GET' || acl.allowOperatorRead()),
    rawBody(ctx.limits.jsonBodyBytes),
    async (req, res) => (req.method === 'GET' ? getConfig(ctx, req, res) : putConfig(ctx, req, res)),
  );
  // Health: always the leader's view, since only the leader runs autopilot (stale is ignored).
  r.all(
    '/v1/operator/autopilot/health',
    (req, _res, next) => (req.method === 'GET' ? next() : next(new HttpError(404, 'Invalid method'))),
    checkRegionMw(ctx),
    leaderOnly(ctx),
    authorize(ctx, (acl) => acl.allowOperatorRead()),
    (req, res) => {
      const h = ctx.autopilotHealth();
      if (h.precondition) throw new HttpError(500, h.precondition);
      sendJson(req, res, h.reply, h.reply.Healthy ? 200 : 429);
    },
  );
  return r;
}

/** The API's JSON: the two durations first, as Nomad's marshaller writes them. */
export function autopilotJson(c: AutopilotConfig) {
  return {
    LastContactThreshold: formatDurationNs(BigInt(c.LastContactThreshold)),
    ServerStabilizationTime: formatDurationNs(BigInt(c.ServerStabilizationTime)),
    CleanupDeadServers: c.CleanupDeadServers,
    MaxTrailingLogs: c.MaxTrailingLogs,
    MinQuorum: c.MinQuorum,
    EnableRedundancyZones: c.EnableRedundancyZones,
    DisableUpgradeMigration: c.DisableUpgradeMigration,
    EnableCustomUpgrades: c.EnableCustomUpgrades,
    CreateIndex: c.CreateIndex,
    ModifyIndex: c.ModifyIndex,
  };
}

async function getConfig(ctx: HttpContext, req: Request, res: Response): Promise<void> {
  if (!parseStale(req)) await ctx.consistentRead();
  const c = ctx.state().autopilotConfig();
  if (!c) throw new HttpError(500, 'autopilot config not initialized yet');
  sendJson(req, res, autopilotJson(c));
}

/** A duration field: a Go duration string; "" or missing is zero; a number or bad text is an error. */
function duration(o: Record<string, unknown> | undefined, key: string): number {
  const v = o ? field(o, key) : undefined;
  if (v === undefined || v === null || v === '') return 0;
  if (typeof v !== 'string') throw new DecodeError(`json: cannot unmarshal ${typeof v} into Go struct field ${T}.${key} of type string`);
  let ns: bigint;
  try {
    ns = parseDurationNs(v);
  } catch (e) {
    throw new DecodeError(`${key}: time: ${(e as Error).message}`);
  }
  if (ns < 0n) throw new DecodeError(`${key}: must not be negative, got ${JSON.stringify(v)}`);
  if (ns > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError(`${key}: ${JSON.stringify(v)} is too long`);
  return Number(ns);
}

export function decodeAutopilotBody(body: unknown): AutopilotConfigFields {
  const o = objectAt(body, T);
  return {
    LastContactThreshold: duration(o, 'LastContactThreshold'),
    ServerStabilizationTime: duration(o, 'ServerStabilizationTime'),
    CleanupDeadServers: bool(o, 'CleanupDeadServers', T),
    MaxTrailingLogs: uint(o, 'MaxTrailingLogs', T),
    MinQuorum: uint(o, 'MinQuorum', T, 'uint'),
    EnableRedundancyZones: bool(o, 'EnableRedundancyZones', T),
    DisableUpgradeMigration: bool(o, 'DisableUpgradeMigration', T),
    EnableCustomUpgrades: bool(o, 'EnableCustomUpgrades', T),
  };
}

async function putConfig(ctx: HttpContext, req: Request, res: Response): Promise<void> {
  let fields: AutopilotConfigFields;
  try {
    fields = decodeAutopilotBody(jsonBody(req));
  } catch (e) {
    throw new HttpError(400, `Error parsing autopilot config: ${(e as Error).message}`);
  }
  const cas = parseCas(req);
  await requirePermission(ctx, req, (acl) => acl.allowOperatorWrite());
  const { result } = await ctx.apply({ type: 'setAutopilotConfig', config: fields, ...(cas === undefined ? {} : { cas }) });
  if (!result.ok) throw new HttpError(result.code === 'invalid' ? 400 : 500, result.error);
  sendJson(req, res, result.type === 'setAutopilotConfig' ? result.updated : false);
}
