// One state-update round (§4.2): every server of the Raft configuration with its health and
// StableSince, the cluster's health and failure tolerance. Pure: the driver gathers the inputs.
import type { Configuration } from '../raft/index.ts';
import { failureTolerance } from './tolerance.ts';
import {
  ZERO_STATS,
  type AutopilotSettings,
  type AutopilotState,
  type KnownServer,
  type NodeHealthStatus,
  type RaftRole,
  type ServerState,
  type ServerStats,
} from './types.ts';

export interface StateInputs {
  now: number;
  /** The previous round's state (undefined for this leader's first round). */
  previous: AutopilotState | undefined;
  settings: AutopilotSettings;
  /** The newest Raft configuration (hashicorp's GetConfiguration returns the latest one too). */
  config: Configuration;
  known: ReadonlyMap<string, KnownServer>;
  leaderId: string;
  leaderLastIndex: number;
  leaderLastTerm: number;
  /** Stats fetched this round; servers missing here keep last round's. */
  fetched: ReadonlyMap<string, ServerStats>;
}

/** Rules 1–5 of §4.2. */
export function isServerHealthy(
  s: { status: NodeHealthStatus; stats: ServerStats },
  leaderLastTerm: number,
  leaderLastIndex: number,
  settings: AutopilotSettings,
): boolean {
  if (leaderLastIndex === 0 || leaderLastTerm === 0) return false; // 1: no known leader
  if (s.status !== 'alive') return false; // 2
  const c = s.stats.lastContactMs;
  if (c < 0 || c > settings.lastContactThresholdMs) return false; // 3
  if (s.stats.lastTerm !== leaderLastTerm) return false; // 4
  return s.stats.lastIndex + settings.maxTrailingLogs >= leaderLastIndex; // 5
}

export function nextState(i: StateInputs): AutopilotState {
  const prev = new Map((i.previous?.servers ?? []).map((s) => [s.id, s]));
  const ids = [...i.config.voters, ...i.config.nonVoters];
  const voterSet = new Set(i.config.voters);
  const servers = ids.map((id) => buildServer(i, id, voterSet.has(id), prev.get(id)));

  const voters = servers.filter((s) => s.role !== 'non-voter');
  const healthyVoters = voters.filter((s) => s.healthy).length;
  const byId = new Map(servers.map((s) => [s.id, s]));
  const voterIds = voters.map((s) => s.id).sort((a, b) => compareServers(byId.get(a)!, byId.get(b)!));
  return {
    firstStateTime: i.previous?.firstStateTime ?? i.now,
    healthy: servers.every((s) => s.healthy),
    failureTolerance: failureTolerance(voters.length, healthyVoters),
    leader: servers.some((s) => s.role === 'leader') ? i.leaderId : '',
    voters: voterIds,
    servers,
  };
}

function buildServer(i: StateInputs, id: string, voter: boolean, prev: ServerState | undefined): ServerState {
  const known = i.known.get(id);
  // A server that vanished from the member list keeps the name it had, as raft-autopilot does.
  const status: NodeHealthStatus = known ? known.status : 'left';
  const stats = i.fetched.get(id) ?? prev?.stats ?? ZERO_STATS;
  const role: RaftRole = id === i.leaderId ? 'leader' : voter ? 'voter' : 'non-voter';
  const healthy = isServerHealthy({ status, stats }, i.leaderLastTerm, i.leaderLastIndex, i.settings);
  return {
    id,
    name: known?.name ?? prev?.name ?? '',
    address: i.config.addresses?.[id] ?? known?.address ?? prev?.address ?? '',
    status,
    version: known?.version ?? prev?.version ?? '',
    role,
    stats: { ...stats },
    healthy,
    stableSince: prev !== undefined && prev.healthy === healthy ? prev.stableSince : i.now,
  };
}

/**
 * raft-autopilot's ServerLessThan as a comparator: leader first, then voters, healthy before
 * unhealthy; among equals a healthy server stable longer comes first (an unhealthy one later),
 * then by id.
 */
export function compareServers(a: ServerState, b: ServerState): number {
  if (a.id === b.id) return 0;
  if (a.role === 'leader') return -1;
  if (b.role === 'leader') return 1;
  if (a.role === 'voter' && b.role !== 'voter') return -1;
  if (a.role !== 'voter' && b.role === 'voter') return 1;
  if (a.healthy !== b.healthy) return a.healthy ? -1 : 1;
  if (a.stableSince < b.stableSince) return a.healthy ? -1 : 1;
  if (b.stableSince < a.stableSince) return a.healthy ? 1 : -1;
  return a.id < b.id ? -1 : 1;
}
