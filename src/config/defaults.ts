/**
 * Default values, each with where it comes from. "§" refers to the API
 * contract (`nomad-operator-api.md`); Nomad sources are named as the contract
 * names them.
 */
import type { AutopilotConfig, LimitsConfig, LogLevel, ServerConfig } from './types.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Part A §4: the Raft tick at Nomad's timing (heartbeat 100 ms, elections after 1–2 s). */
export const DEFAULT_RAFT_TICK_MS = 100;
/** The local profile (`-dev`, `npm start`, tests): a shorter tick, as Part A §4 allows (25–50 ms). */
export const LOCAL_RAFT_TICK_MS = 50;

export const DEFAULT_REGION = 'global'; // §8.3, nomad:command/agent/config.go
export const DEFAULT_DATACENTER = 'dc1'; // §8.3
export const DEFAULT_BIND_ADDR = '0.0.0.0'; // nomad:command/agent/config.go DefaultConfig
export const DEV_BIND_ADDR = '127.0.0.1'; // Nomad's DevConfig on Linux
export const DEFAULT_HTTP_PORT = 4646; // §0, §8.3
export const DEFAULT_RPC_PORT = 4647; // §0, §8.3; also Raft and membership (Part A §1)
export const DEFAULT_LOG_LEVEL: LogLevel = 'info'; // Nomad's DefaultConfig LogLevel "INFO"
export const DEV_LOG_LEVEL: LogLevel = 'debug'; // Nomad's DevConfig LogLevel "DEBUG"

export const SERVER_DEFAULTS: Readonly<ServerConfig> = Object.freeze({
  enabled: false, // Nomad's DefaultConfig: a server only when asked (-server, server { enabled = true }, -dev)
  bootstrapExpect: 0, // §5.2: 0 never self-bootstraps
  startJoin: [],
  retryJoin: [],
  retryInterval: 30 * SECOND, // §5.4, §8.3
  retryMax: 0, // §5.4: retry forever
  defaultSchedulerConfig: null, // §8.3: the FSM's own default (binpack, system preemption on) applies
  raftMultiplier: 1, // §8.1
  raftSnapshotThreshold: 8192, // §8.1
  raftTrailingLogs: 10240, // §8.1
  encrypt: null, // Part A §2: without a key the RPC port trusts anyone who can reach it
  licensePublicKeys: [],
  failureTimeout: 5 * SECOND, // Part A §6
  reapTimeout: 72 * HOUR, // Part A §6, §8.3 (Serf reconnect timeout)
  applyTimeout: 10 * SECOND, // Part A §7
}) as Readonly<ServerConfig>;

export const AUTOPILOT_DEFAULTS: Readonly<AutopilotConfig> = Object.freeze({
  cleanupDeadServers: true, // §8.2
  lastContactThreshold: 200, // §8.2
  maxTrailingLogs: 250, // §8.2
  minQuorum: 0, // §8.2: no floor
  serverStabilizationTime: 10 * SECOND, // §8.2
  enableRedundancyZones: false, // §8.2 (ENT)
  disableUpgradeMigration: false, // §8.2 (ENT)
  enableCustomUpgrades: false, // §8.2 (ENT)
  updateInterval: 2 * SECOND, // §8.2 ServerHealthInterval, Part A §5
  reconcileInterval: 10 * SECOND, // §8.2 AutopilotInterval, Part A §5
});

export const LIMITS_DEFAULTS: Readonly<LimitsConfig> = Object.freeze({
  httpMaxJsonBodyBytes: 1 * MiB, // Part A §13
  snapshotRestoreMaxBytes: 1 * GiB, // Part A §13
  snapshotRestoreMaxUncompressedBytes: 4 * GiB, // Part A §13
  httpHeaderTimeout: 10 * SECOND, // Part A §13
  httpRequestTimeout: 5 * MINUTE, // Part A §13
  rpcMaxFrameBytes: 8 * MiB, // Part A §13
  rpcHandshakeTimeout: 5 * SECOND, // Nomad's DefaultLimits rpc_handshake_timeout "5s"
  httpMaxConnsPerClient: 100, // Part A §13, Nomad's DefaultLimits
  rpcMaxConnsPerClient: 100, // Part A §13, Nomad's DefaultLimits
});
