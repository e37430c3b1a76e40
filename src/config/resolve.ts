/**
 * The merged layers on top of the defaults: a complete AgentConfig, with the
 * checks that need the whole picture (a server must be enabled, a data
 * directory given) and the advertise addresses completed as Nomad does.
 */
import path from 'node:path';
import { defaultAdvertiseHost, formatHostPort, parseHostPort, type InterfaceTable } from './address.ts';
import { autopilotToApi, schedulerBlockToApi } from './api-shapes.ts';
import {
  AUTOPILOT_DEFAULTS, DEFAULT_BIND_ADDR, DEFAULT_DATACENTER, DEFAULT_HTTP_PORT, DEFAULT_LOG_LEVEL, DEFAULT_RAFT_TICK_MS,
  DEFAULT_REGION, DEFAULT_RPC_PORT, LIMITS_DEFAULTS, SERVER_DEFAULTS,
} from './defaults.ts';
import { ConfigError } from './errors.ts';
import type { SourcedLayer } from './layer.ts';
import type { AgentConfig, ServerConfig } from './types.ts';

export interface ResolveContext {
  cwd: string;
  hostname: string;
  interfaces: InterfaceTable;
  dev: boolean;
  profile: 'default' | 'local';
  files: string[];
  warnings: string[];
}

/** Returns the config; `dataDir` is '' when -dev must still make its temporary directory. */
export function resolveConfig(merged: SourcedLayer, ctx: ResolveContext): AgentConfig {
  const l = merged.layer;
  const s = l.server ?? {};
  const { join, deprecatedJoin: _unused, ...serverSettings } = s;

  const server: ServerConfig = {
    ...SERVER_DEFAULTS,
    ...serverSettings,
    startJoin: join?.startJoin ?? [...SERVER_DEFAULTS.startJoin],
    retryJoin: join?.retryJoin ?? [...SERVER_DEFAULTS.retryJoin],
    retryMax: join?.retryMax ?? SERVER_DEFAULTS.retryMax,
    retryInterval: join?.retryInterval ?? SERVER_DEFAULTS.retryInterval,
    licensePublicKeys: serverSettings.licensePublicKeys ?? [],
    defaultSchedulerConfig: serverSettings.defaultSchedulerConfig ?? null,
    encrypt: serverSettings.encrypt ?? null,
  };

  if (!server.enabled) {
    throw new ConfigError('Must specify either server or dev mode for the agent: opraft runs servers only, so set server { enabled = true } or pass -server or -dev');
  }
  let dataDir = '';
  if (l.dataDir !== undefined) {
    dataDir = path.resolve(ctx.cwd, l.dataDir);
  } else if (!ctx.dev) {
    throw new ConfigError('Must specify "data_dir" config option or "data-dir" CLI flag');
  }
  if (!ctx.dev && server.bootstrapExpect === 1) {
    ctx.warnings.push('bootstrap_expect = 1: bootstrap mode enabled! Potentially unsafe operation (this server elects itself without waiting for others)');
  } else if (!ctx.dev && server.bootstrapExpect > 1 && server.bootstrapExpect % 2 === 0) {
    ctx.warnings.push(`bootstrap_expect = ${server.bootstrapExpect}: the number of bootstrap servers should ideally be set to an odd number`);
  }

  const ports = { http: l.ports?.http ?? DEFAULT_HTTP_PORT, rpc: l.ports?.rpc ?? DEFAULT_RPC_PORT };
  const bindAddr = l.bindAddr ?? DEFAULT_BIND_ADDR;
  const autopilot = { ...AUTOPILOT_DEFAULTS, ...l.autopilot };

  return {
    dataDir,
    dataDirIsTemporary: false,
    name: l.name ?? ctx.hostname,
    region: l.region ?? DEFAULT_REGION,
    datacenter: l.datacenter ?? DEFAULT_DATACENTER,
    bindAddr,
    advertise: {
      http: completeAdvertise(l.advertise?.http, ports.http, bindAddr, ctx),
      rpc: completeAdvertise(l.advertise?.rpc, ports.rpc, bindAddr, ctx),
    },
    ports,
    leaveOnInterrupt: l.leaveOnInterrupt ?? false,
    leaveOnTerminate: l.leaveOnTerminate ?? false,
    server,
    autopilot,
    acl: { enabled: l.acl?.enabled ?? false },
    limits: { ...LIMITS_DEFAULTS, ...l.limits },
    logLevel: l.logLevel ?? DEFAULT_LOG_LEVEL,
    logJson: l.logJson ?? false,
    raftTick: l.raftTick ?? DEFAULT_RAFT_TICK_MS,
    httpApiResponseHeaders: { ...l.httpApiResponseHeaders },
    apiDefaults: {
      schedulerConfiguration: schedulerBlockToApi(server.defaultSchedulerConfig),
      autopilotConfiguration: autopilotToApi(autopilot),
    },
    dev: ctx.dev,
    profile: ctx.profile,
    files: [...ctx.files],
  };
}

/** Nomad's normalizeAdvertise: a missing port is the listener's, a missing address comes from bind_addr. */
function completeAdvertise(written: string | undefined, port: number, bindAddr: string, ctx: ResolveContext): string {
  if (written !== undefined) {
    const parsed = parseHostPort(written, port);
    if (parsed.ok) return formatHostPort(parsed.host, parsed.port === 0 ? port : parsed.port);
  }
  const chosen = defaultAdvertiseHost(bindAddr, ctx.interfaces);
  if (chosen.warning && !ctx.warnings.includes(chosen.warning)) ctx.warnings.push(chosen.warning);
  return formatHostPort(chosen.host, port);
}
