// Autopilot (contract §4): server health, failure tolerance, the stable promoter and dead-server
// cleanup as pure functions, and the leader-only driver that runs them.
export { Autopilot, type AutopilotDeps, type AutopilotTimers, type AutopilotLogger } from './driver.ts';
export { nextState, isServerHealthy, compareServers, type StateInputs } from './health.ts';
export { failureTolerance, requiredQuorum } from './tolerance.ts';
export { promotions, stabilizationWindow } from './promoter.ts';
export { cleanupPlan, type CleanupAction, type CleanupPlan, type CleanupSkip } from './cleanup.ts';
export {
  healthReply, healthStatusCode, serverHealthJson, formatStableSince, autopilotGauges, healthPrecondition,
  GAUGE_HEALTHY, GAUGE_FAILURE_TOLERANCE,
  type OperatorHealthReplyJson, type ServerHealthJson,
} from './health-reply.ts';
export { knownServers } from './known-servers.ts';
export { settingsFromFields } from './settings.ts';
export { StatsFetcher, type FetchStats, type FetchTimers } from './stats-fetcher.ts';
export type {
  AutopilotSettings, AutopilotState, KnownServer, NodeHealthStatus, RaftRole, RaftStatusView, ServerState, ServerStats,
} from './types.ts';
