// /v1/operator/raft/* (contract §1.1): the configuration. Other sub-paths: 404 `Invalid method`.
import { Router } from 'express';
import type { HttpContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { leaderOnly } from '../leader.ts';
import { parseStale } from '../query.ts';
import { sendJson } from '../respond.ts';
import { onlyMethods } from './methods.ts';
import { checkRegionMw } from './status.ts';

export function operatorRaftRoutes(ctx: HttpContext): Router {
  const r = Router();
  r.all('/v1/operator/raft/configuration', onlyMethods(['GET']), checkRegionMw(ctx), leaderOnly(ctx, parseStale), (req, res) => {
    sendJson(req, res, raftConfiguration(ctx));
  });
  r.all(/^\/v1\/operator\/raft\/.*/, () => {
    throw new HttpError(404, 'Invalid method');
  });
  return r;
}

export function raftConfiguration(ctx: HttpContext) {
  const s = ctx.raft();
  const c = s.latestConfig;
  const byAddress = new Map<string, { name: string; raftVsn: string }>();
  for (const m of ctx.members()) {
    if (m.Tags['role'] !== 'nomad' || !m.Tags['port']) continue;
    byAddress.set(`${m.Addr}:${m.Tags['port']}`, { name: m.Name, raftVsn: m.Tags['raft_vsn'] ?? 'unknown' });
  }
  const leaderAddr = s.leader ? c.addresses?.[s.leader] : undefined;
  const server = (id: string, voter: boolean) => {
    const address = c.addresses?.[id] ?? '';
    const member = byAddress.get(address);
    return {
      ID: id,
      Node: member?.name ?? '(unknown)',
      Address: address,
      Leader: s.leader === id || (leaderAddr !== undefined && address === leaderAddr),
      Voter: voter,
      RaftProtocol: member?.raftVsn ?? 'unknown',
    };
  };
  return { Servers: [...c.voters.map((id) => server(id, true)), ...c.nonVoters.map((id) => server(id, false))], Index: s.latestConfigIndex };
}
