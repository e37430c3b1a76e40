// Fakes for autopilot tests: members, a Raft status that config changes edit, a manual clock
// with timers, and a driver harness that records every action.
import { serverTags, type Member, type MemberStatus } from '../../src/membership/index.ts';
import { Role, type Configuration } from '../../src/raft/index.ts';
import {
  Autopilot,
  type AutopilotDeps,
  type AutopilotSettings,
  type AutopilotTimers,
  type KnownServer,
  type RaftStatusView,
  type ServerStats,
} from '../../src/autopilot/index.ts';

export const SETTINGS: AutopilotSettings = {
  cleanupDeadServers: true,
  lastContactThresholdMs: 200,
  maxTrailingLogs: 250,
  minQuorum: 0,
  serverStabilizationTimeMs: 10_000,
};

export function member(id: string, status: MemberStatus = 'alive', region = 'global'): Member {
  const n = Number(id.replace(/\D/g, '')) || 1;
  const tags = serverTags({
    nodeName: `srv-${id}`, nodeId: id, region, datacenter: 'dc1', addr: `10.0.0.${n}`, port: 4647,
    httpAddr: `10.0.0.${n}:4646`, expect: 3, build: '2.0.5',
  });
  return { name: `srv-${id}.${region}`, id, addr: `10.0.0.${n}`, port: 4647, status, incarnation: 1, tags };
}

export function known(id: string, status: KnownServer['status'] = 'alive'): KnownServer {
  const n = Number(id.replace(/\D/g, '')) || 1;
  return { id, name: `srv-${id}.global`, address: `10.0.0.${n}:4647`, status, version: '2.0.5' };
}

export function knownMap(...servers: KnownServer[]): Map<string, KnownServer> {
  return new Map(servers.map((s) => [s.id, s]));
}

export function config(voters: string[], nonVoters: string[] = []): Configuration {
  const addresses: Record<string, string> = {};
  for (const id of [...voters, ...nonVoters]) addresses[id] = `10.0.0.${Number(id.replace(/\D/g, '')) || 1}:4647`;
  return { voters: [...voters], nonVoters: [...nonVoters], addresses };
}

/** Timers that run only when the test advances the clock. */
export class ManualClock implements AutopilotTimers {
  now = 1_700_000_000_000;
  private seq = 0;
  private timers = new Map<number, { at: number; every?: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  setInterval(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.now + ms, every: ms, fn });
    return id;
  }
  clearInterval(h: unknown): void {
    this.timers.delete(h as number);
  }
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing due timers in order and letting their async work settle. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    await settle(); // whatever the test just set off runs first
    for (;;) {
      let next: [number, { at: number; every?: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= target && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      const [id, t] = next;
      this.now = t.at;
      if (t.every !== undefined) t.at += t.every;
      else this.timers.delete(id);
      t.fn();
      await settle();
    }
    this.now = target;
    await settle();
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

export interface Harness {
  ap: Autopilot;
  clock: ManualClock;
  raft: RaftStatusView;
  members: Member[];
  settings: AutopilotSettings;
  /** Stats each remote server answers with; a missing entry makes the fetch hang until aborted. */
  stats: Map<string, ServerStats>;
  fetches: string[];
  /** Servers whose fetch ignores the deadline and ends only when `answer(id)` is called. */
  hang: Set<string>;
  answer(id: string): void;
  actions: string[];
  gauges: Map<string, number>;
  /** Member names whose force-leave fails. */
  failForceLeave: Set<string>;
  /** When set, Raft changes stay pending until `commit()` is called. */
  holdChanges: boolean;
  commit(): void;
}

export function harness(opts: { overrides?: (h: Harness) => Partial<AutopilotDeps>; voters: string[]; nonVoters?: string[]; members?: Member[]; settings?: Partial<AutopilotSettings>; updateMs?: number; reconcileMs?: number }): Harness {
  const clock = new ManualClock();
  const cfg = config(opts.voters, opts.nonVoters ?? []);
  const raft: RaftStatusView = {
    id: opts.voters[0]!, role: Role.Leader, leader: opts.voters[0]!, lastIndex: 100, lastTerm: 2, commitIndex: 100,
    latestConfig: cfg, latestConfigIndex: 50,
  };
  let release: (() => void) | undefined;
  const hung = new Map<string, () => void>();
  const h: Harness = {
    ap: undefined as never, clock, raft,
    members: opts.members ?? [...opts.voters, ...(opts.nonVoters ?? [])].map((id) => member(id)),
    settings: { ...SETTINGS, ...opts.settings },
    stats: new Map(), fetches: [], hang: new Set(), answer: (id) => { hung.get(id)?.(); hung.delete(id); }, actions: [], gauges: new Map(), failForceLeave: new Set(), holdChanges: false,
    commit() {
      const r = release;
      release = undefined;
      r?.();
    },
  };
  for (const m of h.members) h.stats.set(m.id, { lastContactMs: 10, lastIndex: 100, lastTerm: 2 });
  // A Raft change: the new configuration is in the log at once, committed now or on commit().
  const change = (what: string, edit: (c: Configuration) => Configuration): Promise<void> => {
    h.actions.push(what);
    h.raft.latestConfig = edit(h.raft.latestConfig);
    h.raft.lastIndex++;
    h.raft.latestConfigIndex = h.raft.lastIndex;
    const done = () => {
      h.raft.commitIndex = h.raft.lastIndex;
      for (const s of h.stats.values()) s.lastIndex = h.raft.lastIndex;
    };
    if (!h.holdChanges) {
      done();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      release = () => {
        done();
        resolve();
      };
    });
  };
  h.ap = new Autopilot({
    region: 'global',
    updateIntervalMs: opts.updateMs ?? 2000,
    reconcileIntervalMs: opts.reconcileMs ?? 10_000,
    settings: () => h.settings,
    raft: () => h.raft,
    members: () => h.members,
    fetchStats: (s, signal) => {
      h.fetches.push(s.id);
      if (h.hang.has(s.id)) return new Promise((resolve) => hung.set(s.id, () => resolve({ lastContactMs: 1, lastIndex: h.raft.lastIndex, lastTerm: h.raft.lastTerm })));
      const st = h.stats.get(s.id);
      if (st) return Promise.resolve({ ...st });
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    },
    promote: (id) => change(`promote ${id}`, (c) => ({ ...c, voters: [...c.voters, id], nonVoters: c.nonVoters.filter((x) => x !== id) })),
    removeServer: (id) => change(`remove ${id}`, (c) => ({ ...c, voters: c.voters.filter((x) => x !== id), nonVoters: c.nonVoters.filter((x) => x !== id) })),
    forceLeave: async (name) => {
      h.actions.push(`forceLeave ${name}`);
      if (h.failForceLeave.has(name)) throw new Error(`no such member ${name}`);
    },
    setGauge: (k, v) => h.gauges.set(k, v),
    now: () => clock.now,
    timers: clock,
    ...opts.overrides?.(h),
  });
  return h;
}
