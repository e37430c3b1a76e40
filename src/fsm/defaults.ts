// The values that seed the replicated scheduler and autopilot configuration the first
// time a leader finds none (§1.5, §1.8, §8.2, §8.3), and the conversions from the agent
// config's blocks into the FSM's shapes.

import type { AutopilotConfigFields, PreemptionConfig, SchedulerConfigFields } from './types.ts';
import { SCHEDULER_ALGORITHMS } from './types.ts';
import { ShapeError, isPlainObject, kindOf } from './validate.ts';

const NS_PER_MS = 1_000_000;

/** Nomad's DefaultSchedulerConfig (§8.3). */
export function defaultSchedulerFields(): SchedulerConfigFields {
  return {
    SchedulerAlgorithm: 'binpack',
    PreemptionConfig: {
      SystemSchedulerEnabled: true,
      SysBatchSchedulerEnabled: false,
      BatchSchedulerEnabled: false,
      ServiceSchedulerEnabled: false,
    },
    MemoryOversubscriptionEnabled: false,
    RejectJobRegistration: false,
    PauseEvalBroker: false,
    NodeLimitForFeasibilityChecks: 0,
  };
}

/** Nomad's autopilot defaults (§8.2), durations in nanoseconds. */
export function defaultAutopilotFields(): AutopilotConfigFields {
  return {
    LastContactThreshold: 200 * NS_PER_MS,
    ServerStabilizationTime: 10_000 * NS_PER_MS,
    CleanupDeadServers: true,
    MaxTrailingLogs: 250,
    MinQuorum: 0,
    EnableRedundancyZones: false,
    DisableUpgradeMigration: false,
    EnableCustomUpgrades: false,
  };
}

/** The agent config's `autopilot { }` values this needs (durations in milliseconds). */
export interface AgentAutopilotBlock {
  cleanupDeadServers: boolean;
  lastContactThreshold: number;
  maxTrailingLogs: number;
  minQuorum: number;
  serverStabilizationTime: number;
  enableRedundancyZones: boolean;
  disableUpgradeMigration: boolean;
  enableCustomUpgrades: boolean;
}

function msToNs(ms: number, name: string): number {
  const ns = Math.round(ms * NS_PER_MS);
  if (!Number.isFinite(ms) || ms < 0 || !Number.isSafeInteger(ns)) {
    throw new ShapeError(`autopilot.${name} must be a non-negative duration, got ${ms} ms`);
  }
  return ns;
}

function count(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new ShapeError(`autopilot.${name} must be a non-negative integer, got ${n}`);
  return n;
}

export function autopilotFieldsFromAgent(a: AgentAutopilotBlock): AutopilotConfigFields {
  return {
    LastContactThreshold: msToNs(a.lastContactThreshold, 'last_contact_threshold'),
    ServerStabilizationTime: msToNs(a.serverStabilizationTime, 'server_stabilization_time'),
    CleanupDeadServers: a.cleanupDeadServers,
    MaxTrailingLogs: count(a.maxTrailingLogs, 'max_trailing_logs'),
    MinQuorum: count(a.minQuorum, 'min_quorum'),
    EnableRedundancyZones: a.enableRedundancyZones,
    DisableUpgradeMigration: a.disableUpgradeMigration,
    EnableCustomUpgrades: a.enableCustomUpgrades,
  };
}

const AT = 'server.default_scheduler_config';

/** HCL1 may hand a block back as a one-element list; both spellings mean the same block. */
function block(v: unknown, at: string): Record<string, unknown> {
  if (Array.isArray(v) && v.length === 1) v = v[0];
  if (!isPlainObject(v)) throw new ShapeError(`${at} must be a block, got ${kindOf(v)}`);
  return v;
}

function checkKeys(o: Record<string, unknown>, allowed: readonly string[], at: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ShapeError(`${at}: unexpected key "${k}" (valid keys: ${allowed.join(', ')})`);
  }
}

function flag(o: Record<string, unknown>, key: string, at: string): boolean {
  const v = o[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ShapeError(`${at}.${key} must be true or false, got ${kindOf(v)}`);
  return v;
}

/**
 * The agent's `server { default_scheduler_config { … } }` block (snake_case keys) as
 * scheduler fields. No block: Nomad's defaults. A block replaces the defaults wholesale,
 * as Nomad's agent does, so keys it leaves out are false / "binpack" / 0.
 */
export function schedulerFieldsFromAgent(cfg: Record<string, unknown> | null | undefined): SchedulerConfigFields {
  if (cfg === null || cfg === undefined) return defaultSchedulerFields();
  const o = block(cfg, AT);
  checkKeys(o, ['scheduler_algorithm', 'preemption_config', 'memory_oversubscription_enabled',
    'reject_job_registration', 'pause_eval_broker', 'node_limit_for_feasibility_checks'], AT);
  const algorithm = o.scheduler_algorithm ?? '';
  if (typeof algorithm !== 'string' || !['', ...SCHEDULER_ALGORITHMS].includes(algorithm)) {
    throw new ShapeError(`${AT}.scheduler_algorithm must be "binpack" or "spread", got ${typeof algorithm === 'string' ? `"${algorithm}"` : kindOf(algorithm)}`);
  }
  let preemption: PreemptionConfig = { SystemSchedulerEnabled: false, SysBatchSchedulerEnabled: false, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: false };
  if (o.preemption_config !== undefined) {
    const pAt = `${AT}.preemption_config`;
    const p = block(o.preemption_config, pAt);
    checkKeys(p, ['system_scheduler_enabled', 'sysbatch_scheduler_enabled', 'batch_scheduler_enabled', 'service_scheduler_enabled'], pAt);
    preemption = {
      SystemSchedulerEnabled: flag(p, 'system_scheduler_enabled', pAt),
      SysBatchSchedulerEnabled: flag(p, 'sysbatch_scheduler_enabled', pAt),
      BatchSchedulerEnabled: flag(p, 'batch_scheduler_enabled', pAt),
      ServiceSchedulerEnabled: flag(p, 'service_scheduler_enabled', pAt),
    };
  }
  const limit = o.node_limit_for_feasibility_checks ?? 0;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
    throw new ShapeError(`${AT}.node_limit_for_feasibility_checks must be a non-negative integer, got ${kindOf(limit)}`);
  }
  return {
    SchedulerAlgorithm: algorithm === '' ? 'binpack' : algorithm,
    PreemptionConfig: preemption,
    MemoryOversubscriptionEnabled: flag(o, 'memory_oversubscription_enabled', AT),
    RejectJobRegistration: flag(o, 'reject_job_registration', AT),
    PauseEvalBroker: flag(o, 'pause_eval_broker', AT),
    NodeLimitForFeasibilityChecks: limit,
  };
}
