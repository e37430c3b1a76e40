// The node runtime: drives the Raft core with timers, storage, links and the state machine.
export * from './ports.ts';
export * from './raft-node.ts';
