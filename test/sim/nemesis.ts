// The nemesis: at random points it injects one fault, drawn from a shuffled deck
// of every fault kind (so each run sees each kind), and schedules its healing.
// heal() ends every fault: all links up, no loss, fast disks, crashed members
// restarted, non-members shut down.
import { ProposalError, type ConfChange, type Message, type NodeId } from '../../src/raft/index.ts';
import type { Rng } from '../../src/util/random.ts';
import type { Cluster } from './cluster.ts';
import type { SimNode } from './node.ts';

export const FAULT_KINDS = [
  'crash',
  'partition',
  'oneWay',
  'isolateLeader',
  'leaderPlusOne',
  'drop',
  'duplicate',
  'reorder',
  'slowDisk',
  'slowVotes',
  'membership',
  'removeLeader',
  'compact',
  'transfer',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

interface PendingTransfer {
  from: NodeId;
  to: NodeId;
  term: number;
  deadline: number;
}

export class Nemesis {
  private deck: FaultKind[] = [];
  private nextAt: number;
  private readonly transfers: PendingTransfer[] = [];
  readonly injected: Record<FaultKind, number>;
  /** Max voters / min voters kept by membership changes. */
  private readonly maxVoters: number;
  private readonly minVoters: number;
  private readonly et: number;

  constructor(
    private readonly cl: Cluster,
    private readonly rng: Rng,
    private readonly gap: [number, number] = [10, 40],
  ) {
    this.nextAt = cl.opts.tickLen * cl.settings.electionTick * 3; // let a first leader settle
    this.injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
    this.maxVoters = cl.opts.nodes + 2;
    this.minVoters = cl.opts.nodes - 1;
    this.et = cl.opts.tickLen * cl.settings.electionTick;
  }

  step(): void {
    const now = this.cl.sched.now;
    this.checkTransfers(now);
    if (now < this.nextAt) return;
    this.nextAt = now + this.gap[0] + this.rng.int(this.gap[1] - this.gap[0] + 1);
    if (this.deck.length === 0) this.deck = shuffle([...FAULT_KINDS], this.rng);
    const kind = this.deck.pop()!;
    if (this.inject(kind)) {
      this.injected[kind]++;
      this.cl.trace.add(`${now} nemesis ${kind}`);
    }
  }

  private later(min: number, max: number, fn: () => void): void {
    this.cl.sched.after(min + this.rng.int(max - min + 1), () => {
      if (!this.healed) fn();
    });
  }

  private healed = false;

  private members(): NodeId[] {
    const cfg = this.cl.latestConfig();
    return [...cfg.voters, ...cfg.nonVoters].filter((id) => this.cl.nodes.get(id)!.status !== 'stopped');
  }

  private upMembers(): SimNode[] {
    return this.members()
      .map((id) => this.cl.nodes.get(id)!)
      .filter((n) => n.up);
  }

  private inject(kind: FaultKind): boolean {
    const cl = this.cl;
    const net = cl.net;
    const rng = this.rng;
    switch (kind) {
      case 'crash': {
        const ups = this.upMembers();
        if (ups.length === 0) return false;
        const voters = cl.latestConfig().voters;
        const down = voters.filter((id) => cl.nodes.get(id)!.status === 'down').length;
        if (down >= Math.floor((voters.length - 1) / 2) && !rng.chance(0.15)) return false;
        const dirty = ups.filter((n) => n.storage.hasUnsynced());
        const leader = cl.leader();
        const victim =
          dirty.length > 0 && rng.chance(0.6) ? rng.pick(dirty) : leader && rng.chance(0.4) ? leader : rng.pick(ups);
        const restartLater = (): void => this.later(5, 3 * this.et, () => cl.restart(victim));
        if (rng.chance(0.5)) {
          // Crash at an exact point of the victim's next Ready cycle.
          const point = rng.pick(['stage', 'stage', 'sync', 'send'] as const);
          victim.armedCrash = {
            point,
            fire: () => {
              cl.crash(victim);
              cl.trace.add(`${cl.sched.now} crash-at ${point} ${victim.id}`);
              restartLater();
            },
          };
          return true;
        }
        cl.crash(victim);
        restartLater();
        return true;
      }
      case 'partition': {
        const all = this.members();
        if (all.length < 2) return false;
        const shuffled = shuffle([...all], rng);
        const k = 1 + rng.int(all.length - 1);
        const cuts = net.partition(shuffled.slice(0, k), shuffled.slice(k));
        cl.counters.partitions++;
        this.later(this.et / 2, 4 * this.et, () => net.heal(cuts));
        return true;
      }
      case 'isolateLeader':
      case 'leaderPlusOne': {
        const leader = cl.leader();
        if (!leader) return false;
        const others = this.members().filter((id) => id !== leader.id);
        if (others.length < 2) return false;
        const side = [leader.id];
        if (kind === 'leaderPlusOne') side.push(others.splice(rng.int(others.length), 1)[0]!);
        const cuts = net.partition(side, others);
        cl.counters.partitions++;
        this.later(this.et, 4 * this.et, () => net.heal(cuts));
        return true;
      }
      case 'oneWay': {
        const all = this.members();
        if (all.length < 2) return false;
        const a = rng.pick(all);
        const targets = rng.chance(0.5) ? all.filter((x) => x !== a) : [rng.pick(all.filter((x) => x !== a))];
        const cuts: [NodeId, NodeId][] = [];
        const inbound = rng.chance(0.5);
        for (const b of targets) {
          const link: [NodeId, NodeId] = inbound ? [b, a] : [a, b];
          net.cut(link[0], link[1]);
          cuts.push(link);
        }
        cl.counters.oneWayCuts++;
        this.later(this.et / 2, 3 * this.et, () => net.heal(cuts));
        return true;
      }
      case 'drop': {
        const rate = 0.05 + rng.next() * 0.25;
        net.dropRate = rate;
        this.later(this.et / 2, 3 * this.et, () => {
          if (net.dropRate === rate) net.dropRate = 0;
        });
        return true;
      }
      case 'duplicate': {
        const rate = 0.05 + rng.next() * 0.3;
        net.dupRate = rate;
        this.later(this.et / 2, 3 * this.et, () => {
          if (net.dupRate === rate) net.dupRate = 0;
        });
        return true;
      }
      case 'reorder': {
        const rate = 0.1 + rng.next() * 0.4;
        net.reorderRate = rate;
        this.later(this.et / 2, 3 * this.et, () => {
          if (net.reorderRate === rate) net.reorderRate = 0;
        });
        return true;
      }
      case 'slowDisk': {
        const ups = this.upMembers();
        if (ups.length === 0) return false;
        const leader = cl.leader();
        const n = leader && rng.chance(0.4) ? leader : rng.pick(ups);
        const d = 4 + rng.int(20);
        n.slowDisk = d;
        cl.counters.slowDisk++;
        this.later(this.et / 2, 3 * this.et, () => {
          if (n.slowDisk === d) n.slowDisk = 0;
        });
        return true;
      }
      case 'slowVotes': {
        const all = this.members();
        const slowTo = new Set(shuffle([...all], rng).slice(0, 2));
        const slowFrom = new Set(shuffle([...all], rng).slice(0, 3));
        const extra = 4 + rng.int(16);
        const fn = (m: Message): number =>
          ((m.type === 'vote' || m.type === 'preVote') && slowTo.has(m.to)) ||
          ((m.type === 'voteResp' || m.type === 'preVoteResp') && slowFrom.has(m.from))
            ? extra
            : 0;
        net.extraDelay = fn;
        cl.counters.slowVotes++;
        this.later(this.et, 5 * this.et, () => {
          if (net.extraDelay === fn) net.extraDelay = undefined;
        });
        return true;
      }
      case 'membership':
        return this.membership(false);
      case 'removeLeader':
        return this.membership(true);
      case 'compact': {
        const ups = this.upMembers();
        if (ups.length === 0) return false;
        const leader = cl.leader();
        const n = leader && rng.chance(0.5) ? leader : rng.pick(ups);
        if (!n.compact()) return false;
        cl.counters.compactions++;
        return true;
      }
      case 'transfer': {
        const leader = cl.leader();
        if (!leader) return false;
        const voters = leader.core!.config.voters.filter((id) => id !== leader.id);
        if (voters.length === 0) return false;
        const to = rng.pick(voters);
        cl.counters.transfersRequested++;
        this.transfers.push({ from: leader.id, to, term: leader.core!.term, deadline: cl.sched.now + 3 * this.et });
        leader.transferLeadership(to);
        return true;
      }
    }
  }

  private membership(removeLeader: boolean): boolean {
    const cl = this.cl;
    const rng = this.rng;
    const leader = cl.leader();
    if (!leader) return false;
    const cfg = leader.core!.config;
    const voters = cfg.voters;
    const nonVoters = cfg.nonVoters;
    const spares = cl.ids.filter(
      (id) => !cl.everMember.has(id) && !voters.includes(id) && !nonVoters.includes(id) && cl.nodes.get(id)!.status !== 'stopped',
    );
    const options: ConfChange[] = [];
    if (removeLeader) {
      if (voters.length > this.minVoters && voters.includes(leader.id)) options.push({ type: 'remove', id: leader.id });
    } else {
      if (spares.length > 0 && voters.length < this.maxVoters) options.push({ type: 'addVoter', id: spares[0]! });
      if (spares.length > 0 && nonVoters.length < 2) options.push({ type: 'addNonVoter', id: spares[0]! });
      if (nonVoters.length > 0 && voters.length < this.maxVoters) options.push({ type: 'promote', id: rng.pick(nonVoters) });
      const followers = voters.filter((id) => id !== leader.id);
      if (voters.length > this.minVoters && followers.length > 0) options.push({ type: 'remove', id: rng.pick(followers) });
      if (nonVoters.length > 0) options.push({ type: 'remove', id: rng.pick(nonVoters) });
      if (voters.length < cl.opts.nodes) options.splice(0, options.length, ...options.filter((o) => o.type !== 'remove'));
    }
    if (options.length === 0) return false;
    const first = rng.pick(options);
    if (!this.propose(leader, first)) return false;
    // Now and then a second change right away: a correct core refuses it.
    if (rng.chance(0.35) && leader.up) {
      const second = rng.pick([...options, { type: 'addNonVoter', id: spares[1] ?? spares[0] ?? leader.id } as ConfChange]);
      if (second.id !== first.id) this.propose(leader, second);
    }
    return true;
  }

  private propose(leader: SimNode, cc: ConfChange): boolean {
    const cl = this.cl;
    if (cc.type === 'addVoter' || cc.type === 'addNonVoter') {
      const n = cl.nodes.get(cc.id)!;
      if (n.status === 'down' && n.incarnation === 0) n.start();
    }
    cl.counters.confChangesProposed++;
    try {
      leader.proposeConfChange(cc);
      cl.trace.add(`${cl.sched.now} confchange ${leader.id} ${cc.type} ${cc.id}`);
      return true;
    } catch (err) {
      if (!(err instanceof ProposalError)) throw err;
      cl.counters.confChangesRejected++;
      return false;
    }
  }

  private checkTransfers(now: number): void {
    for (let i = this.transfers.length - 1; i >= 0; i--) {
      const t = this.transfers[i]!;
      let done = false;
      for (const [term, id] of this.cl.observer.leaderOfTerm) {
        if (term > t.term && id === t.to) done = true;
      }
      if (done) {
        this.cl.counters.leadershipTransfers++;
        this.transfers.splice(i, 1);
      } else if (now > t.deadline) this.transfers.splice(i, 1);
    }
  }

  /** Ends every fault; restarts crashed members and stops non-members. */
  heal(): void {
    this.healed = true;
    const cl = this.cl;
    cl.net.healAll();
    const members = cl.possibleMembers();
    for (const id of cl.ids) {
      const n = cl.nodes.get(id)!;
      n.slowDisk = 0;
      n.armedCrash = undefined;
      if (members.has(id)) {
        if (n.status === 'down') cl.restart(n);
      } else if (n.status === 'up') {
        n.stop();
        cl.workload.onCrash(id);
      }
    }
  }

  /** During the heal phase: make sure every member of the leader's (or any possible) configuration runs. */
  ensureMembersUp(): void {
    const leader = this.cl.leader();
    const ids = leader ? [...leader.core!.config.voters, ...leader.core!.config.nonVoters] : this.cl.possibleMembers();
    for (const id of ids) {
      const n = this.cl.nodes.get(id)!;
      if (n.status === 'stopped') n.status = 'down';
      if (n.status === 'down') this.cl.restart(n);
    }
  }
}

function shuffle<T>(xs: T[], rng: Rng): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
