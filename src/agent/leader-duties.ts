// What the leader does besides Raft and autopilot: write the cluster ID, the configured defaults
// and the temporary license once, and turn membership news into Raft configuration changes (one
// at a time): alive servers join as non-voters (autopilot promotes them), left ones are removed.
import { randomUUID } from 'node:crypto';
import type { RaftNode } from '../node/index.ts';
import { Role, type ConfChange, type Configuration } from '../raft/index.ts';

export interface MemberView {
  id: string;
  name: string;
  status: 'alive' | 'leaving' | 'failed' | 'left';
  rpcAddr: string;
}

export interface LeaderDutiesDeps {
  node: RaftNode<unknown>;
  selfId: string;
  /** Commands the state machine needs proposed, if any (cluster ID, defaults); encoded. */
  missingState(): { what: string; data: Uint8Array }[];
  members(): MemberView[];
  logger: { info(o: object, m: string): void; warn(o: object, m: string): void; debug(o: object, m: string): void };
  intervalMs: number;
}

/** The next Raft change that membership asks for, or undefined (pure: §5.3, §4.6). */
export function nextChange(config: Configuration, members: MemberView[], selfId: string): ConfChange | undefined {
  const inConfig = (id: string) => config.voters.includes(id) || config.nonVoters.includes(id);
  for (const m of members) {
    if (m.id === selfId || !m.id) continue;
    if (m.status === 'left' && inConfig(m.id)) return { type: 'remove', id: m.id };
  }
  // §5.3: an entry that shares only the address with a live member (a server replaced at the same
  // address with a fresh node ID) goes first, or both would sit in the configuration.
  for (const m of members) {
    if (m.id === selfId || !m.id || m.status !== 'alive' || inConfig(m.id)) continue;
    const clash = [...config.voters, ...config.nonVoters].find((id) => id !== m.id && id !== selfId && config.addresses?.[id] === m.rpcAddr);
    if (clash) return { type: 'remove', id: clash };
  }
  for (const m of members) {
    if (m.id === selfId || !m.id) continue;
    if (m.status !== 'alive') continue;
    if (!inConfig(m.id)) return { type: 'addNonVoter', id: m.id, address: m.rpcAddr };
  }
  // A member whose address changed (restarted elsewhere): re-add it with the new address.
  for (const m of members) {
    if (m.id === selfId || !m.id || m.status !== 'alive') continue;
    const known = config.addresses?.[m.id];
    if (inConfig(m.id) && known !== undefined && known !== m.rpcAddr) return { type: 'remove', id: m.id };
  }
  return undefined;
}

export class LeaderDuties {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly d: LeaderDutiesDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.d.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass; never throws (errors are logged and retried next pass). */
  async tick(): Promise<void> {
    if (this.busy) return;
    const node = this.d.node;
    if (node.status().role !== Role.Leader) return;
    this.busy = true;
    try {
      let missing = this.d.missingState();
      if (missing.length > 0) {
        // A new leader may not have applied entries of earlier terms yet (it runs this at once on
        // election): a read point waits for an entry of this term to commit and be applied, so the
        // decision is made on everything committed (a temporary license must not replace a real one).
        await node.readIndex();
        missing = this.d.missingState();
      }
      for (const m of missing) {
        this.d.logger.info({ what: m.what }, 'leader writes missing cluster state');
        await node.propose(m.data);
      }
      const s = node.status();
      if (s.latestConfigIndex > s.commitIndex) return; // a change is in flight
      const change = nextChange(s.latestConfig, this.d.members(), this.d.selfId);
      if (change) {
        this.d.logger.info({ change }, 'changing the raft configuration');
        await node.proposeConfChange(change);
      }
    } catch (e) {
      this.d.logger.warn({ err: (e as Error).message }, 'leader duty failed; will retry');
    } finally {
      this.busy = false;
    }
  }
}

export function newClusterId(): { clusterId: string; createTime: number } {
  return { clusterId: randomUUID(), createTime: Date.now() };
}
