/**
 * Timing profiles. `local` is the faster timing for one machine (`-dev`,
 * `npm start`, `opraft cluster`, tests): a shorter Raft tick (Part A §4),
 * short autopilot intervals (§5), quick failure detection (§6) and joins.
 * It sits under the files and flags, so either can still override it.
 */
import { DEV_BIND_ADDR, DEV_LOG_LEVEL, LOCAL_RAFT_TICK_MS } from './defaults.ts';
import type { ConfigLayer, SourcedLayer } from './layer.ts';
import { autopilotToApi } from './api-shapes.ts';
import type { AgentConfig } from './types.ts';

/** The local profile's values as plain settings (milliseconds). */
export const localProfile = Object.freeze({
  raftTick: LOCAL_RAFT_TICK_MS,
  failureTimeout: 1500,
  retryInterval: 1000,
  autopilotUpdateInterval: 500,
  autopilotReconcileInterval: 1000,
  serverStabilizationTime: 2000,
});

/** The local profile as a config layer. */
export function localProfileLayer(): SourcedLayer {
  const layer: ConfigLayer = {
    raftTick: localProfile.raftTick,
    server: { failureTimeout: localProfile.failureTimeout, join: { retryInterval: localProfile.retryInterval } },
    autopilot: {
      updateInterval: localProfile.autopilotUpdateInterval,
      reconcileInterval: localProfile.autopilotReconcileInterval,
      serverStabilizationTime: localProfile.serverStabilizationTime,
    },
  };
  return { layer, origins: new Map() };
}

/** What `-dev` adds on top of the local profile, as Nomad's DevConfig: one server that bootstraps itself on loopback. */
export function devLayer(): SourcedLayer {
  const layer: ConfigLayer = {
    bindAddr: DEV_BIND_ADDR,
    logLevel: DEV_LOG_LEVEL,
    server: { enabled: true, bootstrapExpect: 1 },
  };
  return { layer, origins: new Map() };
}

/**
 * Puts the local profile's timing into a config built in code. Unlike the
 * `profile: 'local'` load option it overrides whatever the config says.
 */
export function applyLocalProfile(config: AgentConfig): AgentConfig {
  const autopilot = {
    ...config.autopilot,
    updateInterval: localProfile.autopilotUpdateInterval,
    reconcileInterval: localProfile.autopilotReconcileInterval,
    serverStabilizationTime: localProfile.serverStabilizationTime,
  };
  return {
    ...config,
    profile: 'local',
    raftTick: localProfile.raftTick,
    server: { ...config.server, failureTimeout: localProfile.failureTimeout, retryInterval: localProfile.retryInterval },
    autopilot,
    apiDefaults: { ...config.apiDefaults, autopilotConfiguration: autopilotToApi(autopilot) },
  };
}
