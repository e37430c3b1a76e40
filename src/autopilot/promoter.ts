// The CE stable promoter (§4.4): promote every healthy non-voter that has been stable for the
// stabilization window. It never demotes and never moves leadership.
import type { AutopilotSettings, AutopilotState } from './types.ts';

/**
 * The window W. While this leader's first state is no older than W, W = 0: right after an
 * election every healthy non-voter is promotable at once (§9.7, raft-autopilot PR #9).
 */
export function stabilizationWindow(state: AutopilotState, settings: AutopilotSettings, now: number): number {
  const w = settings.serverStabilizationTimeMs;
  return now - state.firstStateTime > w ? w : 0;
}

/** Ids to promote this reconcile tick, in Raft configuration order. */
export function promotions(state: AutopilotState, settings: AutopilotSettings, now: number): string[] {
  if (state.leader === '') return []; // no valid state to judge by
  const w = stabilizationWindow(state, settings, now);
  return state.servers.filter((s) => s.role === 'non-voter' && s.healthy && now - s.stableSince >= w).map((s) => s.id);
}
