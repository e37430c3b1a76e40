// The agent: one opraft server process, assembled from the other rooms.
export { Agent, type AgentOptions } from './agent.ts';
export { createLogger, type Logger } from './logger.ts';
export { raftTiming } from './timing.ts';
