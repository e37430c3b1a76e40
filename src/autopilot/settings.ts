// The replicated autopilot configuration (durations in nanoseconds, API key names) read as
// autopilot's settings (milliseconds). Values are used as stored: Nomad validates nothing (§1.5).
import type { AutopilotConfigFields } from '../fsm/types.ts';
import type { AutopilotSettings } from './types.ts';

const NS_PER_MS = 1_000_000;

export function settingsFromFields(f: AutopilotConfigFields): AutopilotSettings {
  return {
    cleanupDeadServers: f.CleanupDeadServers,
    lastContactThresholdMs: f.LastContactThreshold / NS_PER_MS,
    maxTrailingLogs: f.MaxTrailingLogs,
    minQuorum: f.MinQuorum,
    serverStabilizationTimeMs: f.ServerStabilizationTime / NS_PER_MS,
  };
}
