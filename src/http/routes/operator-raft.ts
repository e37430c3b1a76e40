// /v1/operator/raft/* (contract §1.1–§1.3, Part A §15): the configuration, removing a peer by id
// or address, and directed leadership transfer. Other sub-paths: 404 `Invalid method`.
import { isIP } from 'node:net';
import { Router, type Request } from 'express';
import { authorize } from '../acl.ts';
import type { HttpContext } from '../context.ts';
import { HttpError, NO_LEADER } from '../errors.ts';
import { leaderOnly } from '../leader.ts';
import { parseStale, queryAll } from '../query.ts';
import { sendEmpty, sendJson } from '../respond.ts';
import { onlyMethods } from './methods.ts';
import { checkRegionMw } from './status.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const management = (ctx: HttpContext) => authorize(ctx, (acl) => acl.isManagement());

export function operatorRaftRoutes(ctx: HttpContext): Router {
  const r = Router();
  r.all('/v1/operator/raft/configuration', onlyMethods(['GET']), checkRegionMw(ctx), leaderOnly(ctx, parseStale), management(ctx), (req, res) => {
    sendJson(req, res, raftConfiguration(ctx));
  });

  r.all(
    '/v1/operator/raft/peer',
    (req, _res, next) => (req.method === 'DELETE' ? next() : next(new HttpError(404, 'Invalid method'))),
    checkRegionMw(ctx),
    (req, _res, next) => next(peerQueryError(req)),
    leaderOnly(ctx),
    management(ctx),
    async (req, res) => {
      const [id] = queryAll(req, 'id');
      const [address] = queryAll(req, 'address');
      const c = ctx.raft().latestConfig;
      const members = [...c.voters, ...c.nonVoters];
      let target: string | undefined;
      if (id !== undefined) {
        target = members.find((m) => m === id);
        if (!target) throw new HttpError(500, `id ${JSON.stringify(id)} was not found in the Raft configuration`);
      } else {
        target = members.find((m) => c.addresses?.[m] === address);
        if (!target) throw new HttpError(500, `address ${JSON.stringify(address)} was not found in the Raft configuration`);
      }
      await ctx.changeConfiguration({ type: 'remove', id: target });
      sendEmpty(res);
    },
  );

  r.all(
    '/v1/operator/raft/transfer-leadership',
    (req, res, next) => (req.method === 'PUT' || req.method === 'POST' ? next() : void res.status(405).type('text/plain; charset=utf-8').send('Invalid method')),
    checkRegionMw(ctx),
    (req, _res, next) => next(transferQueryError(req)),
    leaderOnly(ctx),
    management(ctx),
    async (req, res) => {
      const s = ctx.raft();
      if (!s.leader) throw new HttpError(503, NO_LEADER);
      const c = s.latestConfig;
      const [id] = queryAll(req, 'id');
      const [address] = queryAll(req, 'address');
      const all = [...c.voters, ...c.nonVoters];
      const target = id !== undefined ? all.find((m) => m === id) : all.find((m) => c.addresses?.[m] === address);
      if (!target) {
        throw new HttpError(400, id !== undefined ? `id ${JSON.stringify(id)} was not found in the Raft configuration` : `address ${JSON.stringify(address)} was not found in the Raft configuration`);
      }
      const from = { Address: c.addresses?.[s.leader] ?? '', ID: s.leader };
      const to = { Address: c.addresses?.[target] ?? '', ID: target };
      if (target === s.leader) return sendJson(req, res, { From: from, To: to, Noop: true, Err: null });
      if (!c.voters.includes(target)) throw new HttpError(400, `cannot transfer leadership to ${JSON.stringify(target)}: it is not a voter`);
      let last = '';
      for (let attempt = 1; attempt <= 3; attempt++) {
        try {
          await ctx.transferLeadership(target);
          return sendJson(req, res, { From: from, To: to, Noop: false, Err: null });
        } catch (e) {
          last = (e as Error).message;
        }
      }
      throw new HttpError(500, `failed to transfer leadership in 3 attempts. last error: ${last}`);
    },
  );

  r.all(/^\/v1\/operator\/raft\/.*/, () => {
    throw new HttpError(404, 'Invalid method');
  });
  return r;
}

/** `?id=` or `?address=`, exactly one (Part A §15). */
function peerQueryError(req: Request): HttpError | undefined {
  const hasId = req.query.id !== undefined;
  const hasAddress = req.query.address !== undefined;
  if (!hasId && !hasAddress) return new HttpError(400, "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove");
  if (hasId && hasAddress) return new HttpError(400, 'Must specify only one of ?id or ?address');
  return undefined;
}

/** §1.3's validation, in its order. */
function transferQueryError(req: Request): HttpError | undefined {
  const ids = queryAll(req, 'id');
  const addresses = queryAll(req, 'address');
  if (ids.length === 0 && addresses.length === 0) return new HttpError(400, 'must specify id or address');
  if (ids.length > 0 && addresses.length > 0) return new HttpError(400, 'must specify either id or address');
  if (ids.length > 1) return new HttpError(400, 'must specify only one id');
  if (addresses.length > 1) return new HttpError(400, 'must specify only one address');
  if (ids.length === 1) {
    if (ids[0] === '') return new HttpError(400, 'id must be non-empty');
    if (!UUID.test(ids[0]!)) return new HttpError(400, `id must be a uuid: invalid UUID format: ${JSON.stringify(ids[0])}`);
  } else {
    const a = addresses[0]!;
    if (a === '') return new HttpError(400, 'address must be non-empty');
    const i = a.lastIndexOf(':');
    const host = i > 0 ? a.slice(0, i).replace(/^\[(.*)\]$/, '$1') : '';
    const port = i > 0 ? a.slice(i + 1) : '';
    if (!isIP(host) || !/^\d{1,5}$/.test(port) || Number(port) > 65535) return new HttpError(400, `address must be in IP:port format: ${JSON.stringify(a)} is not a literal IP and port`);
  }
  return undefined;
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
