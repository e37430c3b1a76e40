// Dead-server cleanup (§4.5, raft-autopilot v0.1.6 pruneDeadServers): what to remove in one pass.
// Failed servers are asked to leave (membership force-leave; the leave event then removes them
// from Raft); stale servers (no member at all) are removed from Raft directly.
import type { Configuration } from '../raft/index.ts';
import type { AutopilotSettings, KnownServer } from './types.ts';

export type CleanupAction =
  | { kind: 'forceLeave'; id: string; name: string; voter: boolean }
  | { kind: 'removeServer'; id: string; voter: boolean };

export interface CleanupSkip {
  id: string;
  reason: 'min-quorum' | 'majority';
}

export interface CleanupPlan {
  actions: CleanupAction[];
  /** Voters left alone by the guards, for the log. */
  skipped: CleanupSkip[];
}

export function cleanupPlan(
  config: Configuration,
  known: ReadonlyMap<string, KnownServer>,
  settings: AutopilotSettings,
  /** The leader itself is never a cleanup candidate. */
  selfId: string,
): CleanupPlan {
  const voterSet = new Set(config.voters);
  const failedVoters: KnownServer[] = [];
  const failedNonVoters: KnownServer[] = [];
  const staleVoters: string[] = [];
  const staleNonVoters: string[] = [];
  for (const id of [...config.voters, ...config.nonVoters]) {
    if (id === selfId) continue;
    const k = known.get(id);
    if (!k) (voterSet.has(id) ? staleVoters : staleNonVoters).push(id);
    else if (k.status !== 'alive') (voterSet.has(id) ? failedVoters : failedNonVoters).push(k);
  }
  const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  staleVoters.sort(byId);
  staleNonVoters.sort(byId);
  failedVoters.sort((a, b) => byId(a.id, b.id));
  failedNonVoters.sort((a, b) => byId(a.id, b.id));

  const actions: CleanupAction[] = [];
  const skipped: CleanupSkip[] = [];
  for (const k of failedNonVoters) actions.push({ kind: 'forceLeave', id: k.id, name: k.name, voter: false });
  for (const id of staleNonVoters) actions.push({ kind: 'removeServer', id, voter: false });

  // Dead voters count: the guard is about the voter set as Raft sees it (computed once).
  let voters = config.voters.length;
  let maxRemoval = Math.floor((voters - 1) / 2);
  const voterCandidates: CleanupAction[] = [
    ...staleVoters.map((id): CleanupAction => ({ kind: 'removeServer', id, voter: true })),
    ...failedVoters.map((k): CleanupAction => ({ kind: 'forceLeave', id: k.id, name: k.name, voter: true })),
  ];
  for (const a of voterCandidates) {
    if (voters - 1 < settings.minQuorum) skipped.push({ id: a.id, reason: 'min-quorum' });
    else if (maxRemoval < 1) skipped.push({ id: a.id, reason: 'majority' });
    else {
      actions.push(a);
      voters--;
      maxRemoval--;
    }
  }
  return { actions, skipped };
}
