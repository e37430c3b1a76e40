// The HttpContext (what the HTTP layer sees) of a running agent.
import { encodeCommand, type ApplyResult } from '../fsm/index.ts';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PermissionDeniedError, PolicyError, resolveToken, tokenFromHeaders } from '../acl/index.ts';
import { checkPlainAnswer, PLAIN_FORWARD_RPC, ALLOW_ALL, HttpError, PERMISSION_DENIED, type HttpContext, type MemberJson } from '../http/index.ts';
import { NOMAD_METRICS } from '../metrics/index.ts';
import { healthPrecondition, healthReply } from '../autopilot/index.ts';
import { parseServer } from '../membership/index.ts';
import { ProposalError, Role } from '../raft/index.ts';
import { testDiskFaults } from '../storage/index.ts';
import type { Member } from '../membership/index.ts';
import type { Agent } from './agent.ts';

export function memberJson(m: Member): MemberJson {
  return {
    Name: m.name,
    Addr: m.addr,
    Port: m.port,
    Tags: { ...m.tags },
    Status: m.status,
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}

/** RaftNode.readIndex's rejection when no read point was confirmed in time. */
const READ_INDEX_TIMEOUT = 'timed out waiting for a read index';

export function buildHttpContext(agent: Agent): HttpContext {
  const cfg = agent.config;
  return {
    nodeId: agent.nodeId,
    nodeName: cfg.name,
    region: cfg.region,
    datacenter: cfg.datacenter,
    holdTimeoutMs: 5000,
    logger: agent.log,
    raft: () => agent.raft.status(),
    // Followers hand plain variable and scheduler writes to the leader over the RPC transport.
    forwardPlain: async (rpcAddr, req) => checkPlainAnswer(await agent.transport.request(rpcAddr, PLAIN_FORWARD_RPC, req, cfg.server.applyTimeout + 5000)),
    httpAddressOf: (id) => agent.membership.members().find((m) => m.id === id && m.status !== 'left')?.tags['http_addr'] || undefined,
    members: () => agent.membership.members().map(memberJson),
    self: () => memberJson(agent.membership.local()),
    redactedConfig: () => redact(cfg),
    join: async (addresses) => {
      const r = await agent.membership.join(addresses);
      return { num_joined: r.joined, error: r.errors.join('; ') };
    },
    limits: {
      jsonBodyBytes: cfg.limits.httpMaxJsonBodyBytes,
      snapshotRestoreBytes: cfg.limits.snapshotRestoreMaxBytes,
      snapshotRestoreUncompressedBytes: cfg.limits.snapshotRestoreMaxUncompressedBytes,
      // One entry must fit in one RPC frame with room for the append's envelope.
      maxEntryBytes: cfg.limits.rpcMaxFrameBytes - 64 * 1024,
    },
    snapshotPoint: () => {
      const s = agent.raft.status();
      const index = s.appliedIndex;
      return {
        index,
        term: agent.raft.termAt(index) ?? s.lastTerm,
        config: s.config,
        configIndex: s.latestConfigIndex <= index ? s.latestConfigIndex : 0,
      };
    },
    autopilotHealth: () => {
      const servers = agent.membership.members().map(parseServer).filter((x) => x !== undefined && x.region === cfg.region);
      return { precondition: healthPrecondition(servers.map((x) => ({ status: x!.status, raftVersion: x!.raftVersion }))), reply: healthReply(agent.autopilot.getState()) };
    },
    // Test-only hooks (drills and the chaos suite): OPRAFT_TEST_FAULTS=1 serves /v1/opraft/test/*
    // (partitions, one-way cuts, disk faults); OPRAFT_TEST_BROKEN (read by `opraft agent`) selects
    // a deliberately broken variant the chaos checkers must catch. Both inert unless set.
    ...(process.env.OPRAFT_TEST_FAULTS === '1'
      ? {
          testFaults: {
            setPartitioned: (nodes: string[]) => agent.transport.setPartitioned(nodes),
            partitioned: () => agent.transport.partitionedFrom,
            setCut: (cut: { in: string[]; out: string[] }) => agent.transport.setCut(cut),
            cut: () => agent.transport.cut,
            disk: testDiskFaults,
          },
        }
      : {}),
    ...(agent.testBroken === 'localReads' ? { testLocalReads: true } : {}),
    metrics: agent.metrics,
    licenseKeys: agent.licenseKeys,
    refreshMetrics: () => agent.refreshMetrics(),
    apply: async (command) => {
      try {
        const started = performance.now();
        const { index, result } = await agent.raft.propose(encodeCommand(command));
        agent.metrics.incrCounter(NOMAD_METRICS.raftApply);
        agent.metrics.addSample(NOMAD_METRICS.raftCommitTime, performance.now() - started);
        return { index, result: result as ApplyResult };
      } catch (e) {
        // Refused before it was proposed: it never takes effect (Part A §7).
        if (e instanceof ProposalError && e.code === 'not-leader') throw new HttpError(500, 'No cluster leader');
        throw e;
      }
    },
    consistentRead: async () => {
      // The broken variant: a follower answers from its own state, no ReadIndex (tests only).
      if (agent.testBroken === 'localReads' && agent.raft.status().role !== Role.Leader) return;
      try {
        await agent.raft.readIndex();
      } catch (e) {
        // §0.1's texts: a server that is not (or no longer) the leader knows no leader to read from;
        // a leader that cannot confirm a read point in time is not ready to serve consistent reads.
        if (e instanceof ProposalError && e.code === 'not-leader') throw new HttpError(500, 'No cluster leader');
        if ((e as Error).message === READ_INDEX_TIMEOUT) throw new HttpError(500, 'Not ready to serve consistent reads');
        throw e;
      }
    },
    state: () => agent.fsm,
    aclEnabled: cfg.acl.enabled,
    resolveAcl: async (headers) => {
      if (!cfg.acl.enabled) return ALLOW_ALL;
      try {
        return resolveToken(tokenFromHeaders(headers), { enabled: true, state: agent.fsm }).acl;
      } catch (e) {
        if (e instanceof PermissionDeniedError) throw new HttpError(403, PERMISSION_DENIED);
        if (e instanceof PolicyError) throw new HttpError(500, `a policy of this token no longer parses: ${e.message}`);
        throw e;
      }
    },
    resolveIdentity: async (headers) => resolveToken(tokenFromHeaders(headers), { enabled: cfg.acl.enabled, state: agent.fsm }),
    readBootstrapReset: async () => {
      // Nomad reads <data_dir>/server/acl-bootstrap-reset on the leader handling the request (§6.3).
      try {
        const text = (await readFile(path.join(cfg.dataDir, 'server', 'acl-bootstrap-reset'), 'utf8')).trim();
        const n = Number(text);
        return Number.isSafeInteger(n) && n >= 0 && /^\d+$/.test(text) ? n : 0;
      } catch {
        return 0;
      }
    },
    changeConfiguration: async (change) => {
      try {
        await agent.raft.proposeConfChange(change);
      } catch (e) {
        if (e instanceof ProposalError && e.code === 'not-leader') throw new HttpError(500, 'No cluster leader');
        throw e;
      }
    },
    transferLeadership: async (id) => {
      agent.raft.transferLeadership(id);
      // The core aborts a transfer after an election timeout; wait a little longer than that.
      const deadline = Date.now() + agent.electionTimeoutMs * 2;
      while (Date.now() < deadline) {
        const s = agent.raft.status();
        if (s.leader === id && s.term > 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`leadership did not move to ${id} within ${agent.electionTimeoutMs * 2} ms`);
    },
    forceLeave: async (node, prune) => {
      await agent.membership.forceLeave(node, prune);
    },
  };
}

function redact(cfg: object): unknown {
  return JSON.parse(
    JSON.stringify(cfg, (k, v) => (k === 'encrypt' && v ? '<redacted>' : v)),
  );
}
