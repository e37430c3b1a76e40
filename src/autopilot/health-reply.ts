// The body of `GET /v1/operator/autopilot/health` (§1.6) and its status code, plus the leader's
// autopilot gauges (Part A §22). Key order follows Nomad's marshallers.
import { formatDuration } from '../config/duration.ts';
import type { AutopilotState, NodeHealthStatus, ServerState } from './types.ts';

export interface ServerHealthJson {
  LastContact: string;
  ID: string;
  Name: string;
  Address: string;
  SerfStatus: 'alive' | 'left' | 'failed' | 'none';
  Version: string;
  Leader: boolean;
  LastTerm: number;
  LastIndex: number;
  Healthy: boolean;
  Voter: boolean;
  StableSince: string;
}

export interface OperatorHealthReplyJson {
  Healthy: boolean;
  FailureTolerance: number;
  Servers: ServerHealthJson[] | null;
  Leader: string;
  Voters: string[] | null;
}

const SERF_STATUS: Record<NodeHealthStatus, ServerHealthJson['SerfStatus']> = {
  alive: 'alive',
  left: 'left',
  failed: 'failed',
  unknown: 'none',
};

/** Go's RFC 3339 form of a time rounded to the second, in UTC: `2024-02-20T16:40:55Z`. */
export function formatStableSince(ms: number): string {
  return new Date(Math.round(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function serverHealthJson(s: ServerState): ServerHealthJson {
  return {
    LastContact: formatDuration(s.stats.lastContactMs),
    ID: s.id,
    Name: s.name,
    Address: s.address,
    SerfStatus: SERF_STATUS[s.status],
    Version: s.version,
    Leader: s.role === 'leader',
    LastTerm: s.stats.lastTerm,
    LastIndex: s.stats.lastIndex,
    Healthy: s.healthy,
    Voter: s.role !== 'non-voter',
    StableSince: formatStableSince(s.stableSince),
  };
}

/** Before the first state (or after a reset) Nomad answers the zero reply: unhealthy, nulls (§1.6). */
export function healthReply(state: AutopilotState | undefined): OperatorHealthReplyJson {
  const servers = state?.servers ?? [];
  const voters = state?.voters ?? [];
  return {
    Healthy: state?.healthy ?? false,
    FailureTolerance: state?.failureTolerance ?? 0,
    Servers: servers.length > 0 ? servers.map(serverHealthJson) : null,
    Leader: state?.leader ?? '',
    Voters: voters.length > 0 ? [...voters] : null,
  };
}

/** 200 when healthy, 429 otherwise; the body is the same either way. */
export function healthStatusCode(reply: OperatorHealthReplyJson): 200 | 429 {
  return reply.Healthy ? 200 : 429;
}

export const GAUGE_HEALTHY = 'nomad.autopilot.healthy';
export const GAUGE_FAILURE_TOLERANCE = 'nomad.autopilot.failure_tolerance';

export function autopilotGauges(state: AutopilotState): Record<typeof GAUGE_HEALTHY | typeof GAUGE_FAILURE_TOLERANCE, number> {
  return { [GAUGE_HEALTHY]: state.healthy ? 1 : 0, [GAUGE_FAILURE_TOLERANCE]: state.failureTolerance };
}

/**
 * §1.6's refusals, checked against alive servers of the region before answering:
 * an error text for a 500, or undefined.
 */
export function healthPrecondition(servers: readonly { status: string; raftVersion: number }[]): string | undefined {
  const alive = servers.filter((s) => s.status === 'alive'); // Nomad skips leaving members too
  if (alive.length === 0) return 'error getting server raft protocol versions: No servers found';
  if (alive.some((s) => s.raftVersion < 3)) return 'all servers must have raft_protocol set to 3 or higher to use this endpoint';
  return undefined;
}
