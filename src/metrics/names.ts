// The metric names opraft reports, as Nomad names them (Part A §22), so dashboards carry over.
export const NOMAD_METRICS = {
  /** Counter: commands applied through Raft by this server as leader. */
  raftApply: 'nomad.raft.apply',
  /** Sample (ms): from proposing a command to it being applied. */
  raftCommitTime: 'nomad.raft.commitTime',
  /** Gauge (ms): time since this follower last heard from the leader. */
  raftLastContact: 'nomad.raft.leader.lastContact',
  /** Counter: times this server became leader. */
  raftStateLeader: 'nomad.raft.state.leader',
  /** Counter: times this server became a candidate. */
  raftStateCandidate: 'nomad.raft.state.candidate',
  raftAppliedIndex: 'nomad.raft.appliedIndex',
  raftLastIndex: 'nomad.raft.lastIndex',
  /** Gauges emitted by the leader only (§4.3). */
  autopilotHealthy: 'nomad.autopilot.healthy',
  autopilotFailureTolerance: 'nomad.autopilot.failure_tolerance',
} as const;
