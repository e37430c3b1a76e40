// /v1/agent/self, members, health, join, force-leave (contract §1.13, Part A §22).
import os from 'node:os';
import { Router } from 'express';
import { formatDuration } from '../../config/duration.ts';
import type { NodeStatus } from '../../node/index.ts';
import { Role } from '../../raft/index.ts';
import type { HttpContext } from '../context.ts';
import { aclOf, authorize, PERMISSION_DENIED } from '../acl.ts';
import { tokenFromHeaders } from '../../acl/index.ts';
import { HttpError } from '../errors.ts';
import { queryAll, queryString } from '../query.ts';
import { sendJson } from '../respond.ts';
import { onlyMethods, onlyMethodsOr } from './methods.ts';
import { checkRegionMw } from './status.ts';
import { VERSION } from '../../version.ts';

export const ANONYMOUS_JOIN_WARNING = 'joining without an ACL token is deprecated: send a token with agent write permission';

export function agentRoutes(ctx: HttpContext): Router {
  const r = Router();

  r.all('/v1/agent/self', onlyMethods(['GET']), authorize(ctx, (acl) => acl.allowAgentRead()), (req, res) => {
    const s = ctx.raft();
    const leaderAddr = s.leader ? (s.latestConfig.addresses?.[s.leader] ?? '') : '';
    sendJson(req, res, {
      config: ctx.redactedConfig(),
      member: ctx.self(),
      stats: {
        nomad: {
          server: 'true',
          leader: String(s.role === Role.Leader),
          leader_addr: leaderAddr,
          bootstrap: String(ctx.self().Tags['bootstrap'] === '1'),
          known_regions: '1',
        },
        raft: raftStats(s),
        serf: { members: String(ctx.members().length), health_score: '0' },
        runtime: runtimeStats(),
      },
    });
  });

  r.all('/v1/agent/members', onlyMethods(['GET']), checkRegionMw(ctx), authorize(ctx, (acl) => acl.allowNodeRead()), (req, res) => {
    sendJson(req, res, { ServerName: ctx.nodeName, ServerRegion: ctx.region, ServerDC: ctx.datacenter, Members: ctx.members() });
  });

  r.all('/v1/agent/health', onlyMethods(['GET']), (req, res) => {
    const type = queryString(req, 'type');
    if (type !== undefined && type !== '' && type !== 'server') {
      throw new HttpError(400, `unknown health check type "${type}": this agent runs a server only`);
    }
    const leader = ctx.raft().leader;
    if (leader) sendJson(req, res, { server: { ok: true, message: 'ok' } });
    else sendJson(req, res, { server: { ok: false, message: 'no leader' } }, 500);
  });

  // §6.2 / §1.13: agent write; a request without any token is still let through ("anonymous joins
  // currently succeed with a deprecation warning"), with the warning in the answer's `warning`.
  r.all('/v1/agent/join', onlyMethodsOr(['PUT', 'POST'], 405, 'Invalid method'), async (req, res) => {
    const acl = await aclOf(ctx, req); // a secret that does not resolve → 403
    let warning: string | undefined;
    if (!acl.allowAgentWrite()) {
      if (tokenFromHeaders(req.headers) !== '') throw new HttpError(403, PERMISSION_DENIED);
      warning = ANONYMOUS_JOIN_WARNING;
    }
    const addresses = queryAll(req, 'address').filter((a) => a !== '');
    if (addresses.length === 0) throw new HttpError(400, 'missing address to join');
    const result = await ctx.join(addresses);
    sendJson(req, res, warning === undefined ? result : { ...result, warning: result.warning ? `${result.warning}; ${warning}` : warning });
  });

  r.all('/v1/agent/force-leave', onlyMethodsOr(['PUT', 'POST'], 405, 'Invalid method'), authorize(ctx, (acl) => acl.allowAgentWrite()), async (req, res) => {
    const node = queryString(req, 'node');
    if (!node) throw new HttpError(400, 'missing node to force leave');
    const prune = queryString(req, 'prune');
    await ctx.forceLeave(node, prune === '' || prune === 'true' || prune === '1');
    res.status(200).end();
  });

  r.all('/v1/agent/version', onlyMethods(['GET']), (req, res) => {
    sendJson(req, res, { Version: VERSION, Build: VERSION });
  });
  return r;
}

const STATE_NAMES: Record<string, string> = {
  [Role.Leader]: 'Leader',
  [Role.Candidate]: 'Candidate',
  [Role.PreCandidate]: 'Candidate',
  [Role.Follower]: 'Follower',
};

/** hashicorp/raft's Stats() map: every value a string. */
export function raftStats(s: NodeStatus): Record<string, string> {
  const c = s.latestConfig;
  const entries = [
    ...c.voters.map((id) => `{Suffrage:Voter ID:${id} Address:${c.addresses?.[id] ?? ''}}`),
    ...c.nonVoters.map((id) => `{Suffrage:Nonvoter ID:${id} Address:${c.addresses?.[id] ?? ''}}`),
  ];
  const selfVoter = c.voters.includes(s.id);
  let lastContact: string;
  if (s.role === Role.Leader) lastContact = '0';
  else if (!s.leader && s.lastContactMs > 1e12) lastContact = 'never';
  else lastContact = formatDuration(s.lastContactMs);
  return {
    state: STATE_NAMES[s.role] ?? 'Follower',
    term: String(s.term),
    last_log_index: String(s.lastIndex),
    last_log_term: String(s.lastTerm),
    commit_index: String(s.commitIndex),
    applied_index: String(s.appliedIndex),
    fsm_pending: String(Math.max(0, s.commitIndex - s.appliedIndex)),
    last_snapshot_index: String(s.snapshotIndex),
    last_snapshot_term: String(s.snapshotTerm),
    latest_configuration_index: String(s.latestConfigIndex),
    latest_configuration: `[${entries.join(' ')}]`,
    num_peers: String(selfVoter ? c.voters.length - 1 : 0),
    last_contact: lastContact,
    protocol_version: '3',
    protocol_version_min: '0',
    protocol_version_max: '3',
    snapshot_version_min: '0',
    snapshot_version_max: '1',
    logstore_backend: 'leveldb',
  };
}

function runtimeStats(): Record<string, string> {
  const mem = process.memoryUsage();
  return {
    version: process.version,
    arch: process.arch,
    os: process.platform,
    cpu_count: String(os.availableParallelism()),
    heap_used: String(mem.heapUsed),
    rss: String(mem.rss),
  };
}
