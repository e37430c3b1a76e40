// What the harness needs of a 3-node cluster, whichever system it is.
import { randomBytes } from 'node:crypto';

export interface BenchNode {
  readonly name: string;
  readonly httpPort: number;
  readonly dataDir: string;
  /** PID of the running server process (undefined while stopped). */
  pid(): number | undefined;
  running(): boolean;
}

export interface Workload {
  /** e.g. "var-put", "sched-put", "kv-put", "var-get", "kv-range". */
  readonly name: string;
  readonly kind: 'write' | 'read';
  readonly method: 'GET' | 'PUT' | 'POST';
  path(n: number): string;
  /** The body of request n (undefined for none). */
  body(n: number): string | undefined;
}

export interface Cluster {
  /** "etcd", "opraft" (Nomad's timing) or "opraft-local" (the local profile's tick). */
  readonly label: string;
  readonly nodes: BenchNode[];
  /** Extra facts for the report (version, timing flags). */
  readonly info: Record<string, unknown>;
  start(): Promise<void>;
  /** Index into `nodes` of the leader every running node agrees on (waits for one). */
  leader(timeoutMs?: number): Promise<number>;
  kill9(i: number): Promise<void>;
  restart(i: number): Promise<void>;
  /** Every node running, one agreed leader, every node caught up with the leader. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every server by PID; `graceful` sends SIGTERM first (needed for --cpu-prof output). */
  stop(graceful?: boolean): Promise<void>;
  /** Removes the data directories. */
  cleanup(): Promise<void>;
  writeWorkloads(): Workload[];
  readWorkloads(): Workload[];
  /** The workload the failover stream, strace and the history run use. */
  failoverWrite(): Workload;
  url(i: number, path: string): string;
  /** Nodes that died without the harness stopping them: described (exit, log tail), restarted, cluster healthy again. */
  heal(): Promise<string[]>;
}

/** Keys written and read: bench/0 … bench/999 (the state stays the same size for both systems). */
export const KEYSPACE = 1000;
export const VALUE_BYTES = 100;
// Random (base64) text: opraft's LevelDB compresses its blocks, so a repetitive value would hide
// how much log it keeps. Fixed per run; values are 100-byte windows of it.
const NOISE = randomBytes(48 * 1024).toString('base64');

/** A 100-byte printable value, different for each `n`, about as incompressible as base64 gets. */
export function value100(n: number): string {
  const head = `v${n}-`;
  const at = (n * 7919) % (NOISE.length - VALUE_BYTES);
  return head + NOISE.slice(at, at + VALUE_BYTES - head.length);
}
