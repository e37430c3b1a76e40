// The member list read as autopilot's "known servers" (§4.1): Nomad servers of the local region,
// keyed by Raft id, with Serf's statuses mapped to autopilot's.
import { parseServer, type Member, type MemberStatus } from '../membership/index.ts';
import type { KnownServer, NodeHealthStatus } from './types.ts';

const STATUS: Record<MemberStatus, NodeHealthStatus> = {
  alive: 'alive',
  leaving: 'alive', // Nomad reports a leaving member as alive
  left: 'left',
  failed: 'failed',
};

export function knownServers(members: readonly Member[], region: string): Map<string, KnownServer> {
  const out = new Map<string, KnownServer>();
  for (const m of members) {
    const s = parseServer(m);
    if (!s || s.region !== region || !s.id) continue;
    out.set(s.id, { id: s.id, name: s.name, address: s.rpcAddr, status: STATUS[s.status] ?? 'unknown', version: s.build });
  }
  return out;
}
