/**
 * The agent's seed values in the API's JSON shape (§1.4, §1.7), so the FSM
 * and HTTP layers get exactly what `GET …/configuration` shows.
 */
import { formatDuration } from './duration.ts';
import type { ApiAutopilotConfiguration, ApiSchedulerConfiguration, AutopilotConfig } from './types.ts';

/** Nomad's DefaultSchedulerConfig (§8.3). */
export function defaultApiSchedulerConfiguration(): ApiSchedulerConfiguration {
  return {
    SchedulerAlgorithm: 'binpack',
    PreemptionConfig: { SystemSchedulerEnabled: true, SysBatchSchedulerEnabled: false, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: false },
    MemoryOversubscriptionEnabled: false,
    RejectJobRegistration: false,
    PauseEvalBroker: false,
    NodeLimitForFeasibilityChecks: 0,
  };
}

/**
 * `default_scheduler_config { … }` (already checked, snake_case) in the API
 * shape. A block replaces Nomad's defaults whole, as Nomad's agent does: keys
 * it leaves out are false, an empty algorithm is `binpack`.
 */
export function schedulerBlockToApi(block: Record<string, unknown> | null): ApiSchedulerConfiguration {
  if (block === null) return defaultApiSchedulerConfiguration();
  const p = (block.preemption_config ?? {}) as Record<string, unknown>;
  const algorithm = block.scheduler_algorithm;
  return {
    SchedulerAlgorithm: algorithm === 'spread' ? 'spread' : 'binpack',
    PreemptionConfig: {
      SystemSchedulerEnabled: p.system_scheduler_enabled === true,
      SysBatchSchedulerEnabled: p.sysbatch_scheduler_enabled === true,
      BatchSchedulerEnabled: p.batch_scheduler_enabled === true,
      ServiceSchedulerEnabled: p.service_scheduler_enabled === true,
    },
    MemoryOversubscriptionEnabled: block.memory_oversubscription_enabled === true,
    RejectJobRegistration: block.reject_job_registration === true,
    PauseEvalBroker: block.pause_eval_broker === true,
    NodeLimitForFeasibilityChecks: typeof block.node_limit_for_feasibility_checks === 'number' ? block.node_limit_for_feasibility_checks : 0,
  };
}

export function autopilotToApi(a: AutopilotConfig): ApiAutopilotConfiguration {
  return {
    LastContactThreshold: formatDuration(a.lastContactThreshold),
    ServerStabilizationTime: formatDuration(a.serverStabilizationTime),
    CleanupDeadServers: a.cleanupDeadServers,
    MaxTrailingLogs: a.maxTrailingLogs,
    MinQuorum: a.minQuorum,
    EnableRedundancyZones: a.enableRedundancyZones,
    DisableUpgradeMigration: a.disableUpgradeMigration,
    EnableCustomUpgrades: a.enableCustomUpgrades,
  };
}
