// Plain data shared by autopilot's pure functions and its driver. Times are epoch milliseconds,
// durations milliseconds: the Go shapes (durations as strings, RFC 3339 times) exist only in
// the health reply (health-reply.ts).
import type { NodeStatus } from '../node/index.ts';

/** The replicated autopilot configuration as autopilot reads it (§8.2). */
export interface AutopilotSettings {
  cleanupDeadServers: boolean;
  lastContactThresholdMs: number;
  maxTrailingLogs: number;
  minQuorum: number;
  serverStabilizationTimeMs: number;
}

/** Autopilot's statuses (§4.1): Serf alive/leaving → alive; a Raft server no member knows → left. */
export type NodeHealthStatus = 'alive' | 'left' | 'failed' | 'unknown';

/** A server of the local region as the member list knows it (raft-autopilot's "known server"). */
export interface KnownServer {
  id: string;
  /** Member name `<node>.<region>`. */
  name: string;
  /** RPC address "ip:port". */
  address: string;
  status: NodeHealthStatus;
  /** The member's `build` tag. */
  version: string;
}

/** What `Status.RaftStats` tells about one server (§4.1). */
export interface ServerStats {
  /** Time since the server last heard from the leader (0 on the leader). */
  lastContactMs: number;
  lastIndex: number;
  lastTerm: number;
}

export type RaftRole = 'leader' | 'voter' | 'non-voter';

/** One Raft server in autopilot's state. */
export interface ServerState {
  id: string;
  /** "" when no member knows the server. */
  name: string;
  address: string;
  status: NodeHealthStatus;
  version: string;
  role: RaftRole;
  stats: ServerStats;
  healthy: boolean;
  /** When `healthy` last flipped (or the server first appeared). */
  stableSince: number;
}

export interface AutopilotState {
  /** When this leader's autopilot produced its first state (§9.7). */
  firstStateTime: number;
  healthy: boolean;
  failureTolerance: number;
  /** Leader's Raft id, "" if none is known. */
  leader: string;
  /** Leader and voters, sorted as raft-autopilot's ServerLessThan (§1.6). */
  voters: string[];
  /** In Raft configuration order (Nomad's order is undefined). */
  servers: ServerState[];
}

/** The part of the node's status autopilot reads (`RaftNode.status()` fits). */
export type RaftStatusView = Pick<
  NodeStatus,
  'id' | 'role' | 'leader' | 'lastIndex' | 'lastTerm' | 'commitIndex' | 'latestConfig' | 'latestConfigIndex'
>;

export const ZERO_STATS: Readonly<ServerStats> = Object.freeze({ lastContactMs: 0, lastIndex: 0, lastTerm: 0 });
