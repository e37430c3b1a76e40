/**
 * The agent configuration after loading: every value present, typed and
 * checked. Durations are milliseconds, sizes are bytes. Defaults and their
 * sources are in defaults.ts.
 */

/** pino's level names; Nomad's TRACE/DEBUG/INFO/WARN/ERROR/OFF map onto them (OFF is pino's `silent`). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface AgentConfig {
  /** Absolute path of the data directory (`data_dir`, `-data-dir`). */
  dataDir: string;
  /** True when `-dev` made a fresh temporary data directory, which the agent may delete when it stops. */
  dataDirIsTemporary: boolean;
  /** Node name (`name`, `-node`); the host name by default. Members are named `<name>.<region>`. */
  name: string;
  region: string;
  datacenter: string;
  /** The address the HTTP and RPC listeners bind to (`bind_addr`, `-bind`). */
  bindAddr: string;
  /**
   * The `host:port` addresses other servers and clients use to reach this one
   * (`advertise { http rpc }`), completed as Nomad does: a missing port is the
   * listener's port, a missing address is derived from bind_addr. When a port
   * is 0 (any free port), the agent must put the real port in after listening.
   */
  advertise: { http: string; rpc: string };
  /** Listener ports (`ports { http rpc }`, `-http-port`, `-rpc-port`); 0 means any free port. */
  ports: { http: number; rpc: number };
  /** Leave the cluster gracefully on SIGINT / SIGTERM (Nomad's server defaults: false). */
  leaveOnInterrupt: boolean;
  leaveOnTerminate: boolean;
  server: ServerConfig;
  autopilot: AutopilotConfig;
  acl: { enabled: boolean };
  limits: LimitsConfig;
  logLevel: LogLevel;
  logJson: boolean;
  /** opraft's Raft tick in ms (`raft_tick`); the Raft timeouts are counted in ticks of raft_tick × raft_multiplier (Part A §4). */
  raftTick: number;
  /** Extra headers on every HTTP response (`http_api_response_headers`, §0.1). */
  httpApiResponseHeaders: Record<string, string>;
  /**
   * The values the first leader writes into the replicated state when it finds
   * none (§1.5, §1.8), already in the API's JSON shape (what GET returns,
   * without the indexes).
   */
  apiDefaults: { schedulerConfiguration: ApiSchedulerConfiguration; autopilotConfiguration: ApiAutopilotConfiguration };
  /** Started with `-dev`. */
  dev: boolean;
  /** The timing profile under the files and flags: `local` with `-dev` or when the caller asked for it. */
  profile: 'default' | 'local';
  /** The config files loaded (absolute paths), in the order they were merged. */
  files: string[];
}

/** `SchedulerConfig` of `GET /v1/operator/scheduler/configuration` (§1.7), without the indexes. */
export interface ApiSchedulerConfiguration {
  SchedulerAlgorithm: 'binpack' | 'spread';
  PreemptionConfig: {
    SystemSchedulerEnabled: boolean;
    SysBatchSchedulerEnabled: boolean;
    BatchSchedulerEnabled: boolean;
    ServiceSchedulerEnabled: boolean;
  };
  MemoryOversubscriptionEnabled: boolean;
  RejectJobRegistration: boolean;
  PauseEvalBroker: boolean;
  /** 0 means "use 100". */
  NodeLimitForFeasibilityChecks: number;
}

/** The body of `GET /v1/operator/autopilot/configuration` (§1.4), without the indexes; durations are Go duration strings. */
export interface ApiAutopilotConfiguration {
  LastContactThreshold: string;
  ServerStabilizationTime: string;
  CleanupDeadServers: boolean;
  MaxTrailingLogs: number;
  MinQuorum: number;
  EnableRedundancyZones: boolean;
  DisableUpgradeMigration: boolean;
  EnableCustomUpgrades: boolean;
}

export interface ServerConfig {
  enabled: boolean;
  /** 0: never self-bootstrap; 1: single-server cluster; N: wait for N servers (§5.2). */
  bootstrapExpect: number;
  /** Servers to join once at start-up (`start_join`); the agent stops when none answers. `host:port` as retryJoin. */
  startJoin: string[];
  /** Servers to join, as `host:port` (`[v6]:port` for IPv6), port 4647 when none was given. */
  retryJoin: string[];
  /** Wait between join attempts, ms. */
  retryInterval: number;
  /** Failed join attempts before the agent gives up; 0 retries forever. */
  retryMax: number;
  /**
   * `default_scheduler_config { … }` as written (snake_case keys, blocks
   * unwrapped to objects, already checked), or null when absent. The same
   * values in the API's shape are `AgentConfig.apiDefaults.schedulerConfiguration`.
   */
  defaultSchedulerConfig: Record<string, unknown> | null;
  /** Scales the Raft tick (1–10). */
  raftMultiplier: number;
  /** Log entries written since the last snapshot before another one is taken. */
  raftSnapshotThreshold: number;
  /** Log entries kept after a snapshot. */
  raftTrailingLogs: number;
  /** Base64 of a 32-byte key that RPC handshakes must prove (Part A §2), or null. */
  encrypt: string | null;
  /** Ed25519 public keys (PEM or base64 SPKI, as written) that license blobs are verified against (Part A §14). */
  licensePublicKeys: string[];
  /** A member that does not answer probes for this long becomes `failed` (Part A §6), ms. */
  failureTimeout: number;
  /** A failed member is reaped as `left` after this long (Part A §6), ms. */
  reapTimeout: number;
  /** A write not committed within this long answers 500 (Part A §7), ms. */
  applyTimeout: number;
}

/** The agent's `autopilot { }` block: seeds the replicated autopilot configuration once (§8.2), plus opraft's intervals (Part A §5). */
export interface AutopilotConfig {
  cleanupDeadServers: boolean;
  /** ms */
  lastContactThreshold: number;
  maxTrailingLogs: number;
  minQuorum: number;
  /** ms */
  serverStabilizationTime: number;
  /** Enterprise settings: stored and reported, never acted on. */
  enableRedundancyZones: boolean;
  disableUpgradeMigration: boolean;
  enableCustomUpgrades: boolean;
  /** How often autopilot refreshes server health, ms. */
  updateInterval: number;
  /** How often autopilot promotes and prunes servers, ms. */
  reconcileInterval: number;
}

/** The `limits { }` block (Part A §13). Sizes in bytes, durations in ms. */
export interface LimitsConfig {
  /** JSON request bodies; larger ones answer 413 `Request body too large`. */
  httpMaxJsonBodyBytes: number;
  /** A snapshot restore body as sent (compressed). */
  snapshotRestoreMaxBytes: number;
  /** A snapshot restore body once decompressed (the gzip-bomb limit). */
  snapshotRestoreMaxUncompressedBytes: number;
  /** Time for a client to send its request headers. */
  httpHeaderTimeout: number;
  /** Time for a whole HTTP request. */
  httpRequestTimeout: number;
  /** Largest RPC (Raft transport) frame. */
  rpcMaxFrameBytes: number;
  /** Time for an RPC connection to complete its handshake; 0 means no limit (Nomad). */
  rpcHandshakeTimeout: number;
  /** Open HTTP connections per client address; 0 means no limit (Nomad). */
  httpMaxConnsPerClient: number;
  /** Open RPC connections per client address; 0 means no limit (Nomad). */
  rpcMaxConnsPerClient: number;
}
