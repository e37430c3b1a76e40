// Building clusters of Membership instances on a FakeNet with a manual clock.

import { Membership, type LocalServer, type Member, type MemberStatus, type Timers } from '../../src/membership/index.ts';
import { seededRng } from '../../src/util/random.ts';
import { FakeNet } from './fake-net.ts';

export function localServer(name: string, i: number, over: Partial<LocalServer> = {}): LocalServer {
  return {
    nodeName: name, nodeId: `id-${name}`, region: 'global', datacenter: 'dc1',
    addr: `10.0.0.${i}`, port: 4647, httpAddr: `10.0.0.${i}:4646`, expect: 3, build: '0.1.0', ...over,
  };
}

/** Timers that never fire: rounds are run by hand. */
export const manualTimers: Timers = { setTimeout: () => ({}), clearTimeout: () => {} };

export interface Event { name: string; status: MemberStatus; previous: MemberStatus | 'none'; removed: boolean; observer: string }

export class TestCluster {
  readonly net = new FakeNet();
  readonly nodes = new Map<string, Membership>();
  readonly events: Event[] = [];
  time = 0;
  private readonly rng = seededRng(7);

  add(name: string, i: number, opts: { incarnation?: number; indirectChecks?: number; local?: Partial<LocalServer> } = {}): Membership {
    const local = localServer(name, i, opts.local);
    const m = new Membership({
      local, rpc: this.net.endpoint(`${local.addr}:4647`), now: () => this.time, timers: manualTimers,
      random: () => this.rng.next(), failureTimeoutMs: 5000, reapTimeoutMs: 60_000, leftRetentionMs: 120_000,
      tombstoneMs: 600_000, incarnation: opts.incarnation ?? 1, indirectChecks: opts.indirectChecks ?? 2, leaveTimeoutMs: 1000,
    });
    m.onChange((mem, previous, removed) => this.events.push({ name: mem.name, status: mem.status, previous, removed, observer: name }));
    m.start();
    this.nodes.set(name, m);
    return m;
  }

  get(name: string): Membership {
    const m = this.nodes.get(name);
    if (!m) throw new Error(`no node ${name}`);
    return m;
  }

  /** observer's view of member `name` (undefined when not listed). */
  view(observer: string, name: string): Member | undefined {
    return this.get(observer).members().find((m) => m.name === `${name}.global`);
  }

  status(observer: string, name: string): MemberStatus | undefined {
    return this.view(observer, name)?.status;
  }

  names(observer: string): string[] {
    return this.get(observer).members().map((m) => m.name);
  }

  stopAll(): void {
    for (const m of this.nodes.values()) m.stop();
  }
}
