/**
 * A config layer: the settings one source (defaults, a profile, one file, the
 * flags) sets, already checked and converted (durations in ms, sizes in bytes,
 * addresses normalised). Layers merge in order; a setting present in a later
 * layer wins. Lists and `default_scheduler_config` are replaced whole, never
 * appended, as Nomad merges its config files.
 */
import type { AutopilotConfig, LimitsConfig, LogLevel, ServerConfig } from './types.ts';

export interface JoinLayer {
  startJoin?: string[];
  retryJoin?: string[];
  retryMax?: number;
  retryInterval?: number;
}

export type ServerLayer = Partial<Omit<ServerConfig, 'startJoin' | 'retryJoin' | 'retryMax' | 'retryInterval'>> & {
  /** `server { server_join { … } }` and the join flags. */
  join?: JoinLayer;
  /** Nomad's pre-0.10 spellings directly in `server { }`: they may not be combined with server_join (§5.4). */
  deprecatedJoin?: JoinLayer;
};

export interface ConfigLayer {
  dataDir?: string;
  name?: string;
  region?: string;
  datacenter?: string;
  bindAddr?: string;
  /** As written: `host` or `host:port` (checked); completed when the config is resolved. */
  advertise?: { http?: string; rpc?: string };
  ports?: { http?: number; rpc?: number };
  leaveOnInterrupt?: boolean;
  leaveOnTerminate?: boolean;
  server?: ServerLayer;
  autopilot?: Partial<AutopilotConfig>;
  acl?: { enabled?: boolean };
  limits?: Partial<LimitsConfig>;
  logLevel?: LogLevel;
  logJson?: boolean;
  raftTick?: number;
  httpApiResponseHeaders?: Record<string, string>;
}

/** Where a setting came from, for errors found only after merging (join conflicts). */
export interface Origin {
  file?: string;
  /** The key path as written (`server.retry_join`) or the flag (`-retry-join`). */
  key: string;
}

export interface SourcedLayer {
  layer: ConfigLayer;
  /** Internal path (`server.deprecatedJoin.retryJoin`) to where it was set. */
  origins: Map<string, Origin>;
}

/** Settings replaced whole rather than merged key by key. */
const ATOMIC = new Set(['defaultSchedulerConfig']);

export function mergeLayers(layers: readonly SourcedLayer[]): SourcedLayer {
  const layer: ConfigLayer = {};
  const origins = new Map<string, Origin>();
  for (const next of layers) {
    mergeInto(layer as Record<string, unknown>, next.layer as Record<string, unknown>);
    for (const [path, origin] of next.origins) origins.set(path, origin);
  }
  return { layer, origins };
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const current = target[key];
    if (!ATOMIC.has(key) && isMergeable(value) && isMergeable(current)) {
      mergeInto(current, value);
    } else {
      target[key] = clone(value);
    }
  }
}

function isMergeable(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === null || typeof v !== 'object' ? v : structuredClone(v);
}
