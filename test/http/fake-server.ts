// An in-process HTTP app over a real Fsm and a fake single-leader Raft: commands apply at once at
// increasing indexes. Fast enough for every status code and JSON shape of the operator API.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpApp, ALLOW_ALL, type AclChecks, type HttpContext, type JoinResult, type MemberJson } from '../../src/http/index.ts';
import { Fsm, encodeCommand, defaultAutopilotFields, defaultSchedulerFields, type ApplyResult, type Command } from '../../src/fsm/index.ts';
import type { ConfChange, Configuration } from '../../src/raft/index.ts';
import { Role } from '../../src/raft/index.ts';
import { Metrics } from '../../src/metrics/index.ts';
import { healthReply, type OperatorHealthReplyJson } from '../../src/autopilot/index.ts';
import type { TrustedKey } from '../../src/license/index.ts';
import { resolveToken, tokenFromHeaders } from '../../src/acl/index.ts';

export interface FakeServer {
  url: string;
  fsm: Fsm;
  config: Configuration;
  /** Set to '' to play a server that knows no leader. */
  leader: string;
  acl: AclChecks;
  changes: ConfChange[];
  transfers: string[];
  licenseKeys: TrustedKey[];
  /** With ACLs enabled, tokens resolve against the FSM (the `acl` field is then ignored). */
  aclEnabled: boolean;
  bootstrapReset: number;
  /** What /v1/agent/members lists (default: none). */
  members: MemberJson[];
  /** Overrides the autopilot health reply (default: the zero reply, unhealthy → 429). */
  health?: OperatorHealthReplyJson;
  /** Calls to /v1/agent/join and /v1/agent/force-leave, and join's answer. */
  joins: string[][];
  forceLeaves: { node: string; prune: boolean }[];
  joinResult: JoinResult;
  /** Applies a command straight to the Fsm at the next index, bypassing HTTP (e.g. an already-expired token). */
  applyDirect(c: Command): { index: number; result: ApplyResult };
  close(): Promise<void>;
  fetch(path: string, init?: RequestInit): Promise<{ status: number; text: string; json: unknown; headers: Headers }>;
}

export async function startFakeServer(opts: { seed?: boolean; fastPath?: boolean } = {}): Promise<FakeServer> {
  const fsm = new Fsm();
  let index = 0;
  const apply = (c: Command) => {
    index++;
    return { index, result: fsm.apply(index, encodeCommand(c)) as ApplyResult };
  };
  if (opts.seed !== false) apply({ type: 'seedDefaults', scheduler: defaultSchedulerFields(), autopilot: defaultAutopilotFields() });
  const s: Partial<FakeServer> = {
    fsm,
    config: { voters: ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'], nonVoters: [], addresses: { '11111111-1111-4111-8111-111111111111': '10.0.0.1:4647', '22222222-2222-4222-8222-222222222222': '10.0.0.2:4647' } },
    leader: '11111111-1111-4111-8111-111111111111',
    acl: ALLOW_ALL,
    changes: [],
    transfers: [],
    licenseKeys: [],
    aclEnabled: false,
    bootstrapReset: 0,
    members: [],
    joins: [],
    forceLeaves: [],
    joinResult: { num_joined: 0, error: '' },
  };
  const self = s as FakeServer;
  self.applyDirect = apply;
  const ctx: HttpContext = {
    nodeId: '11111111-1111-4111-8111-111111111111',
    nodeName: 'fake',
    region: 'global',
    datacenter: 'dc1',
    holdTimeoutMs: 100,
    limits: { jsonBodyBytes: 128 * 1024, snapshotRestoreBytes: 1 << 20, snapshotRestoreUncompressedBytes: 8 << 20, maxEntryBytes: 1 << 20 },
    autopilotHealth: () => ({ precondition: undefined, reply: self.health ?? healthReply(undefined) }),
    metrics: new Metrics(),
    get licenseKeys() {
      return self.licenseKeys;
    },
    refreshMetrics: () => {},
    snapshotPoint: () => ({ index, term: 2, config: self.config, configIndex: 1 }),
    logger: { info() {}, warn() {} },
    raft: () => ({
      id: ctx.nodeId, role: self.leader === ctx.nodeId ? Role.Leader : Role.Follower, leader: self.leader, term: 2, vote: '', commitIndex: index, appliedIndex: index,
      lastIndex: index, lastTerm: 2, snapshotIndex: 0, snapshotTerm: 0, config: self.config, latestConfig: self.config, latestConfigIndex: 1, lastContactMs: 0,
    }) as ReturnType<HttpContext['raft']>,
    httpAddressOf: () => undefined,
    members: () => self.members,
    self: () => ({ Name: 'fake.global', Addr: '10.0.0.1', Port: 4647, Tags: {}, Status: 'alive', ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4 }),
    redactedConfig: () => ({}),
    join: async (addresses) => {
      self.joins.push(addresses);
      return self.joinResult;
    },
    forceLeave: async (node, prune) => {
      self.forceLeaves.push({ node, prune });
    },
    apply: async (c) => apply(c),
    consistentRead: async () => {},
    state: () => fsm,
    get aclEnabled() {
      return self.aclEnabled;
    },
    resolveAcl: async (headers) => (self.aclEnabled ? resolveToken(tokenFromHeaders(headers), { enabled: true, state: fsm }).acl : self.acl),
    resolveIdentity: async (headers) => resolveToken(tokenFromHeaders(headers), { enabled: self.aclEnabled, state: fsm }),
    readBootstrapReset: async () => self.bootstrapReset,
    changeConfiguration: async (c) => {
      self.changes.push(c);
    },
    transferLeadership: async (id) => {
      self.transfers.push(id);
      self.leader = id;
    },
  };
  const server = http.createServer(createHttpApp(ctx, { fastPath: opts.fastPath ?? true }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  self.url = url;
  self.close = () => new Promise((r) => server.close(() => r()));
  self.fetch = async (path, init) => {
    const res = await fetch(url + path, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, headers: res.headers };
  };
  return self;
}
