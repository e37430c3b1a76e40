// One opraft server: storage, peers.json recovery, the state machine, Raft, the RPC transport,
// membership and bootstrap, the leader's duties, and the HTTP API, started and stopped in order.
import { mkdir, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AgentConfig } from '../config/index.ts';
import { Fsm } from '../fsm/index.ts';
import { checkPlainRequest, createHttpApp, listenHttp, PLAIN_FORWARD_RPC, servePlainForwarded } from '../http/index.ts';
import { BootstrapExpect, Membership, retryJoin } from '../membership/index.ts';
import { loadPublicKeys, type TrustedKey } from '../license/index.ts';
import { Metrics, NOMAD_METRICS } from '../metrics/index.ts';
import { RaftNode } from '../node/index.ts';
import { Role } from '../raft/index.ts';
import { ensureNodeId, openRaftStorage, paths, recoverFromPeersJson, type RaftStorage } from '../storage/index.ts';
import { raftLink, WsTransport } from '../transport/index.ts';
import { VERSION } from '../version.ts';
import { buildHttpContext } from './http-context.ts';
import { LeaderDuties, type MemberView } from './leader-duties.ts';
import { createAutopilot, localRaftStats, RAFT_STATS_RPC } from './autopilot-wiring.ts';
import type { Autopilot } from '../autopilot/index.ts';
import type { Logger } from './logger.ts';
import { missingClusterState } from './seed.ts';
import { raftTiming } from './timing.ts';

export interface AgentOptions {
  logger: Logger;
  /** Test-only storage behaviour (crash mode, ack-before-sync); from OPRAFT_TEST_STORAGE. */
  storageTestMode?: 'crashable' | 'ackBeforeSync';
  /** Test modes: the longest random hold of a storage batch before its write (OPRAFT_TEST_STORAGE_DELAY_MS). */
  storageTestDelayMs?: number;
  /**
   * Test-only known-bad variants, from OPRAFT_TEST_BROKEN (chaos tests prove their checkers
   * catch them): 'localReads' = a follower serves non-stale reads from its own state;
   * 'readIndexNoQuorum' = the leader answers ReadIndex without its quorum round.
   */
  testBroken?: 'localReads' | 'readIndexNoQuorum';
  /** Called when Raft stops after a fatal error (a failed disk write); `opraft agent` exits non-zero. */
  onFatal?: (e: Error) => void;
}

export class Agent {
  private http: Server | undefined;
  private duties: LeaderDuties | undefined;
  autopilot!: Autopilot;
  private background: NodeJS.Timeout[] = [];
  private stopping = false;
  private joinAbort = new AbortController();
  private bootstrapper: BootstrapExpect | undefined;

  private constructor(
    readonly config: AgentConfig,
    readonly nodeId: string,
    readonly log: Logger,
    readonly storage: RaftStorage,
    readonly fsm: Fsm,
    readonly transport: WsTransport,
    readonly raft: RaftNode<unknown>,
    readonly rpcAddr: string,
  ) {}

  /** Set once HTTP listens (our HTTP address is one of our membership tags). */
  membership!: Membership;
  readonly metrics = new Metrics();
  /** Loaded once at start: a bad key stops start-up. */
  licenseKeys: TrustedKey[] = [];
  /** Test-only broken variant (AgentOptions.testBroken); undefined in normal operation. */
  testBroken: AgentOptions['testBroken'];

  /** Gauges read from Raft when someone asks (and on a timer, for the Prometheus scrape path). */
  refreshMetrics(): void {
    const s = this.raft.status();
    this.metrics.setGauge(NOMAD_METRICS.raftAppliedIndex, s.appliedIndex);
    this.metrics.setGauge(NOMAD_METRICS.raftLastIndex, s.lastIndex);
    this.metrics.setGauge(NOMAD_METRICS.raftLastContact, s.lastContactMs);
  }
  /** The longest election timeout (ticks × tick length): how long a transfer may take. */
  get electionTimeoutMs(): number {
    const t = raftTiming(this.config);
    return t.tickMs * 2 * (t.raft.electionTick ?? 10);
  }
  httpAddr = '';

  static async start(config: AgentConfig, opts: AgentOptions): Promise<Agent> {
    const log = opts.logger;
    const p = paths(config.dataDir);
    await mkdir(p.raftDir, { recursive: true });
    const licenseKeys = await loadPublicKeys(config.server.licensePublicKeys);
    const nodeId = await ensureNodeId(p.serverDir);
    log.info({ nodeId, dataDir: config.dataDir, version: VERSION }, 'starting opraft server');

    const storage = await openRaftStorage({ raftDir: p.raftDir, logger: log, ...(opts.storageTestMode ? { testMode: opts.storageTestMode } : {}), ...(opts.storageTestDelayMs !== undefined ? { testDelayMs: opts.storageTestDelayMs } : {}) });
    try {
      // recoverFromPeersJson writes peers.info itself: writing it here first would make a
      // peers.json next to a missing peers.info look armed and be ingested (§3.2 step 1).
      const recovery = await recoverFromPeersJson({ raftDir: p.raftDir, storage, newStateMachine: () => new Fsm(), logger: log, localId: nodeId });
      if (recovery.recovered) log.info({ config: recovery.config }, 'recovered the raft configuration from peers.json');
    } catch (e) {
      await storage.close();
      throw e;
    }

    const fsm = new Fsm();
    const transport = new WsTransport({
      localId: nodeId,
      host: config.bindAddr,
      port: config.ports.rpc,
      encrypt: config.server.encrypt ?? undefined,
      maxFrameBytes: config.limits.rpcMaxFrameBytes,
      // 0 means no limit (Nomad's meaning, config/types.ts); the transport takes positive values only.
      // (Passing 0 stopped start-up, and rpc_handshake_timeout was read but never passed on.)
      maxConnsPerClient: config.limits.rpcMaxConnsPerClient || 2 ** 31 - 1,
      handshakeTimeoutMs: Math.min(2 ** 31 - 1, Math.ceil(config.limits.rpcHandshakeTimeout) || 2 ** 31 - 1),
      logger: log,
    });
    await transport.start();
    const rpcAddr = advertised(config.advertise.rpc, transport.port);
    const timing = raftTiming(config);
    const raft = await RaftNode.open<unknown>({
      id: nodeId,
      log: storage.log,
      snapshots: storage.snapshots,
      link: raftLink(transport),
      fsm,
      tickMs: timing.tickMs,
      raft: opts.testBroken === 'readIndexNoQuorum' ? { ...timing.raft, broken: 'readIndexWithoutQuorum' } : timing.raft,
      snapshotThreshold: config.server.raftSnapshotThreshold,
      trailingLogs: config.server.raftTrailingLogs,
      applyTimeoutMs: config.server.applyTimeout,
      logger: log,
      ...(opts.onFatal ? { onFatal: opts.onFatal } : {}),
    });

    const agent = new Agent(config, nodeId, log, storage, fsm, transport, raft, rpcAddr);
    agent.licenseKeys = licenseKeys;
    agent.testBroken = opts.testBroken;
    await agent.run();
    return agent;
  }

  private async run(): Promise<void> {
    const { config, log, raft, transport, fsm } = this;
    const localPeers = () => {
      const c = raft.status().latestConfig;
      return [...c.voters, ...c.nonVoters].map((id) => c.addresses?.[id] ?? id);
    };
    transport.handle('Status.Peers', localPeers);
    transport.handle(RAFT_STATS_RPC, () => localRaftStats(raft));
    this.autopilot = createAutopilot({ config, fsm, raft, transport, membership: () => this.membership, metrics: this.metrics, logger: log });
    raft.onRoleChange((role, leader, term) => {
      this.autopilot.setLeader(role === Role.Leader);
      // The autopilot gauges are the leader's alone (Nomad issue #13219).
      if (role !== Role.Leader) for (const g of [NOMAD_METRICS.autopilotHealthy, NOMAD_METRICS.autopilotFailureTolerance]) this.metrics.removeGauge(g);
      if (role === Role.Leader) this.metrics.incrCounter(NOMAD_METRICS.raftStateLeader);
      if (role === Role.Candidate) this.metrics.incrCounter(NOMAD_METRICS.raftStateCandidate);
      if (role === Role.Leader) log.info({ term }, 'this server is now the leader');
      else log.info({ role, leader: leader || undefined, term }, 'raft role changed');
      // Write missing cluster state (scheduler/autopilot defaults, license, cluster ID) at once, as
      // Nomad's establishLeadership does, instead of on the next duty tick up to 500 ms later:
      // until then reads answer 500 `… not initialized yet` and snapshots lack the records.
      if (role === Role.Leader) setImmediate(() => void (this.stopping ? undefined : this.duties?.tick()));
    });
    raft.start();

    const httpCtx = buildHttpContext(this);
    // The leader's side of followers' forwarded plain requests (src/http/fast-path.ts).
    transport.handle(PLAIN_FORWARD_RPC, (body) => servePlainForwarded(httpCtx, checkPlainRequest(body, httpCtx.limits.jsonBodyBytes)));
    const app = createHttpApp(httpCtx);
    this.http = await listenHttp(app, config.bindAddr, config.ports.http, {
      // The headers are part of the request: with a header timeout over the request timeout (say
      // only http_request_timeout = "5s", the header default being 10 s) Node never applied the
      // request timeout, and a client that stalled in its body held its connection forever.
      headersTimeoutMs: Math.min(config.limits.httpHeaderTimeout, config.limits.httpRequestTimeout),
      requestTimeoutMs: config.limits.httpRequestTimeout,
      maxConnsPerClient: config.limits.httpMaxConnsPerClient,
    });
    const httpPort = (this.http.address() as { port: number }).port;
    this.httpAddr = advertised(config.advertise.http, httpPort);
    const rpcAddr = this.rpcAddr;
    const membership = new Membership({
      local: {
        nodeName: config.name,
        nodeId: this.nodeId,
        region: config.region,
        datacenter: config.datacenter,
        addr: rpcAddr.slice(0, rpcAddr.lastIndexOf(':')),
        port: Number(rpcAddr.slice(rpcAddr.lastIndexOf(':') + 1)),
        httpAddr: this.httpAddr,
        expect: config.server.bootstrapExpect,
        build: VERSION,
      },
      rpc: transport,
      failureTimeoutMs: config.server.failureTimeout,
      reapTimeoutMs: config.server.reapTimeout,
      logger: log,
    });
    this.membership = membership;
    // A restarted server replays its committed log first, so it knows (and the transport uses) its
    // cluster ID before it joins: adopting it mid-join would cut the join's links, and a failed
    // join waits a whole retry_interval (30 s by default) before the next attempt.
    await this.replayCommitted(3000);
    this.syncPeers();
    membership.start();
    log.info({ http: this.httpAddr, rpc: this.rpcAddr }, 'opraft server listening');

    // Keep transport peers and the cluster ID in step with Raft and membership.
    this.every(100, () => this.syncPeers());

    // Bootstrap (§5.2).
    const expect = config.server.bootstrapExpect;
    const hasState = await this.storage.hasState();
    if (expect === 1 && !hasState && !raft.hasState) {
      raft.bootstrap({ voters: [this.nodeId], nonVoters: [], addresses: { [this.nodeId]: this.rpcAddr } });
    } else if (expect > 1) {
      const be = new BootstrapExpect({
        expect,
        region: config.region,
        localName: membership.local().name,
        members: () => membership.members(),
        hasLocalRaftState: async () => raft.hasState || (await this.storage.hasState()),
        // Our own view needs no round trip (the transport refuses to dial itself).
        askPeers: async (s) => (s.id === this.nodeId ? localPeers() : ((await transport.request(s.rpcAddr, 'Status.Peers', {}, 2000)) as string[])),
        bootstrap: (servers) => {
          const voters = servers.filter((s) => s.voter).map((s) => s.id);
          const nonVoters = servers.filter((s) => !s.voter).map((s) => s.id);
          const addresses = Object.fromEntries(servers.map((s) => [s.id, s.address]));
          raft.bootstrap({ voters, nonVoters, addresses });
        },
        logger: log,
      });
      this.bootstrapper = be;
      membership.onChange(() => void be.check());
      void be.check();
    }

    // Joining (§5.4): retry_join in the background; giving up stops the agent as Nomad does.
    if (config.server.retryJoin.length > 0) {
      retryJoin({
        addresses: config.server.retryJoin,
        intervalMs: config.server.retryInterval,
        max: config.server.retryMax,
        join: (a: string[]) => membership.join(a),
        signal: this.joinAbort.signal,
        logger: log,
      }).catch((e: Error) => {
        if (this.stopping) return;
        log.error({ err: e.message }, 'retry_join gave up; shutting down');
        process.kill(process.pid, 'SIGTERM');
      });
    }

    this.duties = new LeaderDuties({
      node: raft,
      selfId: this.nodeId,
      missingState: () => missingClusterState(fsm, config),
      members: () => this.memberViews(),
      logger: log,
      intervalMs: Math.min(500, config.autopilot.reconcileInterval),
    });
    this.duties.start();
    if (raft.status().role === Role.Leader) this.autopilot.start();
  }

  /** Waits (bounded) until the entries known committed at start are applied. */
  private async replayCommitted(maxMs: number): Promise<void> {
    const target = this.raft.status().commitIndex;
    const deadline = Date.now() + maxMs;
    while (this.raft.status().appliedIndex < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  memberViews(): MemberView[] {
    return this.membership.members().map((m) => ({ id: m.tags['id'] ?? m.id, name: m.name, status: m.status, rpcAddr: `${m.addr}:${m.port}` }));
  }

  private syncPeers(): void {
    const s = this.raft.status();
    const want = new Map<string, string>();
    for (const m of this.membership.members()) if (m.id && m.id !== this.nodeId && m.status !== 'left') want.set(m.id, `${m.addr}:${m.port}`);
    for (const [id, addr] of Object.entries(s.latestConfig.addresses ?? {})) if (id !== this.nodeId) want.set(id, addr);
    for (const [id, addr] of want) this.transport.setPeer(id, addr);
    const meta = this.fsm.clusterMetadata();
    if (meta && this.transport.clusterId !== meta.ClusterID) {
      this.log.info({ clusterId: meta.ClusterID }, 'adopting the cluster ID');
      this.transport.setClusterId(meta.ClusterID);
    }
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      try {
        fn();
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'background task failed');
      }
    }, ms);
    t.unref();
    this.background.push(t);
  }

  /** Stops the server. With `leave`, first leaves the cluster gracefully (removed from Raft). */
  async stop(opts: { leave: boolean }): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.joinAbort.abort();
    if (opts.leave) await this.leave().catch((e: Error) => this.log.warn({ err: e.message }, 'graceful leave failed'));
    this.duties?.stop();
    this.autopilot?.stop();
    this.bootstrapper?.stop();
    for (const t of this.background) clearInterval(t);
    await new Promise<void>((r) => (this.http ? this.http.close(() => r()) : r()));
    this.http?.closeAllConnections();
    this.membership?.stop();
    await this.raft.stop();
    await this.transport.stop();
    await this.storage.close();
    // -dev runs on temporary data, as Nomad's -dev runs in memory: nothing is left behind.
    if (this.config.dataDirIsTemporary) await rm(this.config.dataDir, { recursive: true, force: true });
    this.log.info({}, 'opraft server stopped');
  }

  /** Leaves the Raft configuration when the rest keeps quorum, then tells membership. */
  private async leave(): Promise<void> {
    const s = this.raft.status();
    const c = s.latestConfig;
    const voters = c.voters.filter((v) => v !== this.nodeId);
    const alive = new Set(this.memberViews().filter((m) => m.status === 'alive').map((m) => m.id));
    const aliveOthers = voters.filter((v) => alive.has(v)).length;
    const keepsQuorum = voters.length > 0 && aliveOthers >= Math.floor(voters.length / 2) + 1;
    const member = c.voters.includes(this.nodeId) || c.nonVoters.includes(this.nodeId);
    if (member && keepsQuorum) {
      if (s.role === Role.Leader) {
        this.log.info({}, 'leaving: removing this leader from the raft configuration');
        await this.raft.proposeConfChange({ type: 'remove', id: this.nodeId });
      } else {
        this.log.info({}, 'leaving: asking the leader to remove this server');
      }
    } else if (member) {
      this.log.warn({ voters: c.voters.length, aliveOthers }, 'leaving without removal from raft: the rest would lose quorum');
    }
    await this.membership.leave();
    if (member && keepsQuorum && s.role !== Role.Leader) {
      // The leader removes a `left` member; wait (bounded) to see it happen.
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        const cfg = this.raft.status().latestConfig;
        if (!cfg.voters.includes(this.nodeId) && !cfg.nonVoters.includes(this.nodeId)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

/** "host:port" from an advertise setting whose port may be 0 (then the bound port). */
function advertised(addr: string, boundPort: number): string {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  return port === 0 ? `${addr.slice(0, i)}:${boundPort}` : addr;
}
