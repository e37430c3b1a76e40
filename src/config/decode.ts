/**
 * One parsed config file to a config layer: every key checked, Nomad keys
 * opraft does not use accepted with a warning, unknown keys refused. The key
 * names are Nomad's agent config keys plus opraft's own (Part A §4–§7, §13, §14).
 */
import { formatHostPort, isUnspecifiedAddress, parseHostPort, parseJoinAddress } from './address.ts';
import type { ConfigLayer, JoinLayer, Origin, ServerLayer, SourcedLayer } from './layer.ts';
import { checkLicensePublicKey } from './license-keys.ts';
import type { RawTree } from './parse.ts';
import { BlockReader, type ReadContext } from './reader.ts';
import {
  checkBindAddr, checkBool, checkDuration, checkEncryptKey, checkInt, checkLogLevel, checkName, checkPort,
  checkRaftMultiplier, checkSize, checkString, checkStringList, type Check,
} from './values.ts';

const NOT_USED = 'a Nomad setting that opraft does not use; ignored';
const NO_SERF = 'opraft has no Serf: membership runs over the RPC port; ignored';

/** Top-level Nomad keys with no meaning in opraft, and why. */
const NOMAD_ONLY_TOP: ReadonlyArray<[string[], string]> = [
  [['client'], 'opraft runs servers only; the client block is ignored'],
  [['telemetry'], 'opraft serves its metrics at /v1/metrics and sends them nowhere; the telemetry block is ignored'],
  [['consul'], 'opraft does not use Consul; the consul block is ignored'],
  [['vault'], 'opraft does not use Vault; the vault block is ignored'],
  [['plugin', 'plugin_dir'], 'opraft runs no task drivers or plugins; ignored'],
  [['tls'], 'opraft has no TLS: its HTTP and RPC ports speak plain text (use server { encrypt } to authenticate servers); the tls block is ignored'],
  [['addresses'], 'opraft binds HTTP and RPC to bind_addr; the addresses block is ignored'],
  [['ui', 'sentinel', 'audit', 'reporting', 'keyring', 'enable_debug', 'enable_syslog', 'syslog_facility',
    'disable_update_check', 'disable_anonymous_signature', 'log_file', 'log_include_location',
    'log_rotate_duration', 'log_rotate_bytes', 'log_rotate_max_files'], NOT_USED],
];

const NOMAD_ONLY_SERVER = [
  'authoritative_region', 'data_dir', 'num_schedulers', 'enabled_schedulers', 'node_gc_threshold', 'job_gc_interval',
  'job_gc_threshold', 'eval_gc_threshold', 'batch_eval_gc_threshold', 'deployment_gc_threshold',
  'csi_volume_claim_gc_interval', 'csi_volume_claim_gc_threshold', 'csi_plugin_gc_threshold', 'acl_token_gc_threshold',
  'root_key_gc_interval', 'root_key_gc_threshold', 'root_key_rotation_threshold', 'heartbeat_grace', 'min_heartbeat_ttl',
  'max_heartbeats_per_second', 'failover_heartbeat_ttl', 'rejoin_after_leave', 'non_voting_server', 'redundancy_zone',
  'upgrade_version', 'plan_rejection_tracker', 'enable_event_broker', 'event_buffer_size', 'license_path', 'search',
  'deploy_query_rate_limit', 'raft_boltdb', 'raft_logstore', 'raft_snapshot_interval', 'job_default_priority',
  'job_max_priority', 'job_max_source_size', 'job_tracked_versions', 'oidc_issuer', 'client_introduction',
];

/** Decodes one file's tree. `file` names the file in errors and warnings. */
export function decodeConfigTree(tree: RawTree, file: string): { layer: SourcedLayer; warnings: string[] } {
  const ctx: ReadContext = { file, warnings: [], origins: new Map<string, Origin>() };
  const top = new BlockReader(tree, '', ctx);
  const layer: ConfigLayer = {};

  layer.dataDir = top.take('data_dir', (v) => checkString(v));
  layer.name = top.take('name', (v) => checkName(v));
  layer.region = top.take('region', (v) => checkName(v));
  layer.datacenter = top.take('datacenter', (v) => checkName(v, '*'));
  layer.bindAddr = top.take('bind_addr', checkBindAddr);
  layer.leaveOnInterrupt = top.take('leave_on_interrupt', checkBool);
  layer.leaveOnTerminate = top.take('leave_on_terminate', checkBool);
  layer.logLevel = top.take('log_level', checkLogLevel);
  layer.logJson = top.take('log_json', checkBool);
  layer.raftTick = top.take('raft_tick', (v) => checkDuration(v, { min: 1, max: 1000 }));

  const ports = top.block('ports');
  if (ports) {
    layer.ports = { http: ports.take('http', checkPort), rpc: ports.take('rpc', checkPort) };
    ports.nomadOnly(['serf'], NO_SERF);
    ports.finish();
  }
  const advertise = top.block('advertise');
  if (advertise) {
    layer.advertise = { http: advertise.take('http', checkAdvertise), rpc: advertise.take('rpc', checkAdvertise) };
    advertise.nomadOnly(['serf'], NO_SERF);
    advertise.finish();
  }
  const server = top.block('server');
  if (server) layer.server = decodeServer(server);
  const autopilot = top.block('autopilot');
  if (autopilot) layer.autopilot = decodeAutopilot(autopilot);
  const acl = top.block('acl');
  if (acl) {
    layer.acl = { enabled: acl.take('enabled', checkBool) };
    acl.nomadOnly(['token_ttl', 'policy_ttl', 'role_ttl', 'replication_token', 'token_min_expiration_ttl', 'token_max_expiration_ttl'], NOT_USED);
    acl.finish();
  }
  const limits = top.block('limits');
  if (limits) layer.limits = decodeLimits(limits);
  const headers = top.block('http_api_response_headers');
  if (headers) layer.httpApiResponseHeaders = decodeHeaders(headers);

  for (const [keys, why] of NOMAD_ONLY_TOP) top.nomadOnly(keys, why);
  top.finish();
  return { layer: { layer: prune(layer), origins: ctx.origins }, warnings: ctx.warnings };
}

function decodeServer(r: BlockReader): ServerLayer {
  const s: ServerLayer = {
    enabled: r.take('enabled', checkBool),
    bootstrapExpect: r.take('bootstrap_expect', (v) => checkInt(v, { min: 0 })),
    raftMultiplier: r.take('raft_multiplier', checkRaftMultiplier),
    raftSnapshotThreshold: r.take('raft_snapshot_threshold', (v) => checkInt(v, { min: 1 })),
    raftTrailingLogs: r.take('raft_trailing_logs', (v) => checkInt(v, { min: 1 })),
    encrypt: r.take('encrypt', checkEncryptKey),
    licensePublicKeys: r.take('license_public_keys', checkLicenseKeys),
    failureTimeout: r.take('failure_timeout', (v) => checkDuration(v, { positive: true })),
    reapTimeout: r.take('reap_timeout', (v) => checkDuration(v, { positive: true })),
    applyTimeout: r.take('apply_timeout', (v) => checkDuration(v, { positive: true })),
  };
  const raftProtocol = r.take('raft_protocol', checkInt);
  if (raftProtocol !== undefined && raftProtocol !== 3 && raftProtocol !== 0) {
    r.fail('raft_protocol', `raft_protocol must be 3 in Nomad v1.4 and later, got ${raftProtocol}`);
  }
  const protocolVersion = r.take('protocol_version', checkInt);
  if (protocolVersion !== undefined && protocolVersion !== 0) r.warn('protocol_version', 'Please remove deprecated protocol_version field from config.');

  const serverJoin = r.block('server_join');
  if (serverJoin) {
    s.join = decodeJoin(serverJoin, 'server.join');
    serverJoin.finish();
  }
  const deprecated = decodeJoin(r, 'server.deprecatedJoin');
  if (Object.values(deprecated).some((v) => v !== undefined)) s.deprecatedJoin = deprecated;
  for (const key of ['start_join', 'retry_join', 'retry_max', 'retry_interval']) {
    if (r.has(key)) r.warn(key, 'deprecated directly in server { }; prefer the server_join block');
  }
  const scheduler = r.block('default_scheduler_config');
  if (scheduler) s.defaultSchedulerConfig = decodeSchedulerConfig(scheduler);

  r.nomadOnly(NOMAD_ONLY_SERVER, NOT_USED);
  r.finish();
  return s;
}

/** start_join / retry_join / retry_max / retry_interval, in server_join or (deprecated) directly in server. */
function decodeJoin(r: BlockReader, internal: string): JoinLayer {
  const addresses = (key: string): string[] | undefined => {
    const list = r.take(key, checkStringList, `${internal}.${key === 'retry_join' ? 'retryJoin' : 'startJoin'}`);
    if (list === undefined) return undefined;
    return list.map((text, i) => {
      const a = parseJoinAddress(text);
      if (!a.ok) r.fail(`${key}[${i}]`, a.problem);
      if (a.warning) r.warn(`${key}[${i}]`, a.warning);
      return formatHostPort(a.host, a.port);
    });
  };
  return {
    startJoin: addresses('start_join'),
    retryJoin: addresses('retry_join'),
    retryMax: r.take('retry_max', (v) => checkInt(v, { min: 0 }), `${internal}.retryMax`),
    retryInterval: r.take('retry_interval', (v) => checkDuration(v, { positive: true }), `${internal}.retryInterval`),
  };
}

const PREEMPTION_KEYS = ['system_scheduler_enabled', 'sysbatch_scheduler_enabled', 'batch_scheduler_enabled', 'service_scheduler_enabled'];

/** Checked and kept in its written (snake_case) form; absent keys stay absent. */
function decodeSchedulerConfig(r: BlockReader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const algorithm = r.take('scheduler_algorithm', (v) => checkString(v, { allowEmpty: true }));
  if (algorithm !== undefined) {
    if (!['', 'binpack', 'spread'].includes(algorithm)) r.fail('scheduler_algorithm', `invalid scheduler algorithm: ${algorithm} (use "binpack" or "spread")`);
    out.scheduler_algorithm = algorithm;
  }
  for (const key of ['memory_oversubscription_enabled', 'reject_job_registration', 'pause_eval_broker']) {
    const v = r.take(key, checkBool);
    if (v !== undefined) out[key] = v;
  }
  const limit = r.take('node_limit_for_feasibility_checks', (v) => checkInt(v, { min: 0 }));
  if (limit !== undefined) out.node_limit_for_feasibility_checks = limit;
  const preemption = r.block('preemption_config');
  if (preemption) {
    const p: Record<string, boolean> = {};
    for (const key of PREEMPTION_KEYS) {
      const v = preemption.take(key, checkBool);
      if (v !== undefined) p[key] = v;
    }
    preemption.finish();
    out.preemption_config = p;
  }
  r.finish();
  return out;
}

function decodeAutopilot(r: BlockReader): ConfigLayer['autopilot'] {
  const a: ConfigLayer['autopilot'] = {
    cleanupDeadServers: r.take('cleanup_dead_servers', checkBool),
    lastContactThreshold: r.take('last_contact_threshold', (v) => checkDuration(v)),
    maxTrailingLogs: r.take('max_trailing_logs', (v) => checkInt(v, { min: 0 })),
    minQuorum: r.take('min_quorum', (v) => checkInt(v, { min: 0 })),
    serverStabilizationTime: r.take('server_stabilization_time', (v) => checkDuration(v)),
    enableRedundancyZones: r.take('enable_redundancy_zones', checkBool),
    disableUpgradeMigration: r.take('disable_upgrade_migration', checkBool),
    enableCustomUpgrades: r.take('enable_custom_upgrades', checkBool),
    updateInterval: r.take('update_interval', (v) => checkDuration(v, { positive: true })),
    reconcileInterval: r.take('reconcile_interval', (v) => checkDuration(v, { positive: true })),
  };
  r.finish();
  return a;
}

function decodeLimits(r: BlockReader): ConfigLayer['limits'] {
  const size = (v: unknown) => checkSize(v, { positive: true });
  const l: ConfigLayer['limits'] = {
    httpMaxJsonBodyBytes: r.take('http_max_json_body_size', size),
    snapshotRestoreMaxBytes: r.take('snapshot_restore_max_size', size),
    snapshotRestoreMaxUncompressedBytes: r.take('snapshot_restore_max_uncompressed_size', size),
    httpHeaderTimeout: r.take('http_header_timeout', (v) => checkDuration(v, { positive: true })),
    httpRequestTimeout: r.take('http_request_timeout', (v) => checkDuration(v, { positive: true })),
    rpcMaxFrameBytes: r.take('rpc_max_frame_size', checkFrameSize),
    rpcHandshakeTimeout: r.take('rpc_handshake_timeout', (v) => checkDuration(v)),
    httpMaxConnsPerClient: r.take('http_max_conns_per_client', (v) => checkInt(v, { min: 0 })),
    rpcMaxConnsPerClient: r.take('rpc_max_conns_per_client', (v) => checkInt(v, { min: 0 })),
  };
  r.nomadOnly(['https_handshake_timeout'], 'opraft has no TLS; ignored');
  r.finish();
  return l;
}

/** Raft appends, snapshot chunks and a restore (the frame less 64 KiB, one entry) must fit in a frame. */
const MIN_FRAME_BYTES = 1024 * 1024;

function checkFrameSize(v: unknown): Check<number> {
  const r = checkSize(v, { positive: true });
  if (r.ok && r.value < MIN_FRAME_BYTES) return { ok: false, problem: `must be at least 1MiB (${MIN_FRAME_BYTES} bytes): Raft entries and a snapshot restore travel in one frame, got ${r.value} bytes` };
  return r;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function decodeHeaders(r: BlockReader): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of r.entries()) {
    if (!HEADER_NAME.test(name)) r.fail(name, 'not a valid HTTP header name');
    const v = checkString(value, { allowEmpty: true });
    if (!v.ok) r.fail(name, v.problem);
    if (/[\r\n\0]/.test(v.value)) r.fail(name, 'a header value cannot contain line breaks');
    out[name] = v.value;
  }
  return out;
}

/** `advertise { http rpc }`: a host, or host:port; kept as written once checked. */
export function checkAdvertise(value: unknown): Check<string> {
  const s = checkString(value);
  if (!s.ok) return s;
  const parsed = parseHostPort(s.value.trim(), 0);
  if (!parsed.ok) return parsed;
  if (isUnspecifiedAddress(parsed.host)) return { ok: false, problem: `cannot advertise ${parsed.host}: other servers must be able to dial the address; give this server's own address` };
  return { ok: true, value: parsed.port === 0 ? parsed.host : formatHostPort(parsed.host, parsed.port) };
}

function checkLicenseKeys(value: unknown): Check<string[]> {
  const list = checkStringList(value);
  if (!list.ok) return list;
  const keys: string[] = [];
  for (const [i, key] of list.value.entries()) {
    const r = checkLicensePublicKey(key);
    if (!r.ok) return { ok: false, problem: `item ${i}: ${r.problem}` };
    keys.push(r.value);
  }
  return { ok: true, value: keys };
}

/** Drops keys whose value is undefined, so that merging never sees "set to undefined". */
function prune<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k] = prune(v);
  }
  return out as T;
}
