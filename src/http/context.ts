// What the HTTP layer needs from the running server. The agent implements it; tests may fake it.
import type { ApplyResult, Command, Fsm } from '../fsm/index.ts';
import type { IncomingHttpHeaders } from 'node:http';
import type { Identity } from '../acl/index.ts';
import type { OperatorHealthReplyJson } from '../autopilot/index.ts';
import type { TrustedKey } from '../license/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { NodeStatus } from '../node/index.ts';
import type { ConfChange, Configuration } from '../raft/index.ts';
import type { AclChecks } from './acl.ts';
import type { PlainAnswer, PlainRequest } from './fast-path.ts';

/** A member as Nomad's API shows it (Serf's member object, §1.13). */
export interface MemberJson {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  Status: string;
  ProtocolMin: number;
  ProtocolMax: number;
  ProtocolCur: number;
  DelegateMin: number;
  DelegateMax: number;
  DelegateCur: number;
}

export interface JoinResult {
  num_joined: number;
  error: string;
  warning?: string;
}

export interface HttpContext {
  readonly nodeId: string;
  readonly nodeName: string;
  readonly region: string;
  readonly datacenter: string;
  /** How long a request waits for a leader before `No cluster leader` (Nomad's RPCHoldTimeout). */
  readonly holdTimeoutMs: number;
  /** The local Raft view. */
  raft(): NodeStatus;
  /**
   * Hands a plain request (fast-path.ts) to the leader at its RPC address and resolves with the
   * leader's answer; rejects when the leader cannot be reached. Absent: followers proxy over HTTP.
   */
  forwardPlain?(rpcAddr: string, req: PlainRequest): Promise<PlainAnswer>;
  /** The HTTP address ("host:port") of a server, from membership tags; undefined if unknown. */
  httpAddressOf(nodeId: string): string | undefined;
  /** Every member this server knows (all statuses). */
  members(): MemberJson[];
  /** This server's own member entry. */
  self(): MemberJson;
  /** The effective agent configuration, secrets redacted (for /v1/agent/self). */
  redactedConfig(): unknown;
  /** Extra stats for /v1/agent/self (`stats.raft` is built by the HTTP layer from raft()). */
  join(addresses: string[]): Promise<JoinResult>;
  forceLeave(node: string, prune: boolean): Promise<void>;
  /** Request limits (Part A §13). */
  readonly limits: {
    jsonBodyBytes: number;
    snapshotRestoreBytes: number;
    snapshotRestoreUncompressedBytes: number;
    /** The largest command one Raft entry may carry (a restored state.bin travels as one). */
    maxEntryBytes: number;
  };
  /** Proposes a command through Raft (on the leader); resolves with the state machine's result. */
  apply(command: Command): Promise<{ index: number; result: ApplyResult }>;
  /** Waits until a read here is linearizable (ReadIndex, Part A §8). */
  consistentRead(): Promise<void>;
  /** `acl { enabled }`: with it off every ACL endpoint answers 400 `ACL support disabled`. */
  readonly aclEnabled: boolean;
  /** Who the caller is (for /v1/acl/token/self and policy visibility); throws PermissionDeniedError. */
  resolveIdentity(headers: IncomingHttpHeaders): Promise<Identity>;
  /** The number in `<data_dir>/server/acl-bootstrap-reset`, 0 when there is none (§6.3). */
  readBootstrapReset(): Promise<number>;
  /** The caller's permissions from the request's token (ACLs disabled: everything allowed). */
  resolveAcl(headers: IncomingHttpHeaders): Promise<AclChecks>;
  /** One Raft membership change, on the leader; resolves once committed. */
  changeConfiguration(change: ConfChange): Promise<void>;
  /** Moves leadership to the server `id`; resolves once it leads (rejects after the attempts fail). */
  transferLeadership(id: string): Promise<void>;
  /** What a snapshot taken now belongs to: the applied index, its term and the configuration. */
  snapshotPoint(): { index: number; term: number; config: Configuration; configIndex: number };
  /** The keys license blobs must be signed with (`server { license_public_keys }`). */
  readonly licenseKeys: readonly TrustedKey[];
  /** Autopilot's health reply (§1.6) on this leader, or the 500 text that refuses it. */
  autopilotHealth(): { precondition: string | undefined; reply: OperatorHealthReplyJson };
  /** Test-only fault hooks (OPRAFT_TEST_FAULTS=1); absent in normal operation. */
  readonly testFaults?: {
    setPartitioned(nodes: string[]): void;
    partitioned(): string[];
    /** One-way cuts (chaos tests); optional so fakes need not have them. */
    setCut?(cut: { in: string[]; out: string[] }): void;
    cut?(): { in: string[]; out: string[] };
    /** Disk faults of the storage batch writer: a delay before every synced write, a failing write. */
    disk?: { delayMs: number; fail: boolean; delayedBatches: number; failedBatches: number };
  };
  /**
   * Test-only broken variant (OPRAFT_TEST_BROKEN=localReads): followers serve non-stale reads
   * from their own state. Absent in normal operation.
   */
  readonly testLocalReads?: boolean;
  /** This server's metrics (Part A §22). */
  readonly metrics: Metrics;
  /** Brings the gauges up to date before they are read. */
  refreshMetrics(): void;
  /** The local replicated state (read-only use). */
  state(): Fsm;
  readonly logger: { info(o: object, m: string): void; warn(o: object, m: string): void };
}
