// Raft timing from the agent config (Part A §4): ticks of raft_tick × raft_multiplier; heartbeat
// every tick, elections after [10, 20) ticks, leader lease 5 ticks (Nomad's LeaderLeaseTimeout is
// half its election timeout), pre-vote and check-quorum on.
import type { AgentConfig } from '../config/index.ts';
import type { RaftConfig } from '../raft/index.ts';

export function raftTiming(config: Pick<AgentConfig, 'raftTick' | 'server'>): { tickMs: number; raft: Partial<Omit<RaftConfig, 'id' | 'random'>> } {
  return {
    tickMs: config.raftTick * config.server.raftMultiplier,
    raft: {
      heartbeatTick: 1,
      electionTick: 10,
      checkQuorumTick: 5,
      preVote: true,
      checkQuorum: true,
    },
  };
}
