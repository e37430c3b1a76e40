// Autopilot on this server: the Status.RaftStats RPC every server answers, and the leader-only
// driver with its dependencies mapped onto Raft, membership, the RPC transport and metrics.
import { Autopilot, settingsFromFields, type ServerStats } from '../autopilot/index.ts';
import type { AgentConfig } from '../config/index.ts';
import type { Fsm } from '../fsm/index.ts';
import type { Membership } from '../membership/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { RaftNode } from '../node/index.ts';
import { Role } from '../raft/index.ts';
import type { WsTransport } from '../transport/index.ts';
import type { Logger } from './logger.ts';

export const RAFT_STATS_RPC = 'Status.RaftStats';

/** What `Status.RaftStats` answers: this server's own Raft view (§4.1). */
export function localRaftStats(raft: RaftNode<unknown>): ServerStats {
  const s = raft.status();
  return { lastContactMs: s.role === Role.Leader ? 0 : s.lastContactMs, lastIndex: s.lastIndex, lastTerm: s.lastTerm };
}

function readStats(v: unknown): ServerStats {
  const o = v as Partial<ServerStats> | null;
  const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  if (!o || !ok(o.lastContactMs) || !ok(o.lastIndex) || !ok(o.lastTerm)) throw new Error('Status.RaftStats answer is malformed');
  return { lastContactMs: o.lastContactMs!, lastIndex: o.lastIndex!, lastTerm: o.lastTerm! };
}

export function createAutopilot(d: {
  config: AgentConfig;
  fsm: Fsm;
  raft: RaftNode<unknown>;
  transport: WsTransport;
  membership: () => Membership | undefined;
  metrics: Metrics;
  logger: Logger;
}): Autopilot {
  const timeoutMs = Math.max(50, Math.floor(d.config.autopilot.updateInterval / 2));
  return new Autopilot({
    region: d.config.region,
    updateIntervalMs: d.config.autopilot.updateInterval,
    reconcileIntervalMs: d.config.autopilot.reconcileInterval,
    settings: () => {
      const c = d.fsm.autopilotConfig();
      return c ? settingsFromFields(c) : undefined;
    },
    raft: () => d.raft.status(),
    members: () => d.membership()?.members() ?? [],
    fetchStats: (server, signal) =>
      new Promise<ServerStats>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('stats fetch abandoned')), { once: true });
        d.transport.request(server.address, RAFT_STATS_RPC, {}, timeoutMs).then((v) => resolve(readStats(v)), reject);
      }),
    promote: async (id) => {
      d.logger.info({ id }, 'autopilot: promoting a stable non-voter to voter');
      await d.raft.proposeConfChange({ type: 'promote', id });
    },
    removeServer: async (id) => {
      d.logger.info({ id }, 'autopilot: removing a dead server from the raft configuration');
      await d.raft.proposeConfChange({ type: 'remove', id });
    },
    forceLeave: async (name) => {
      d.logger.info({ name }, 'autopilot: force-leaving a failed server');
      await d.membership()?.forceLeave(name);
    },
    setGauge: (name, value) => d.metrics.setGauge(name, value),
    logger: d.logger,
  });
}
