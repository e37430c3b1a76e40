// The leader-only autopilot (§4.1): a state-update loop (health, every update interval) and a
// reconcile loop (promotions, then dead-server cleanup, every reconcile interval). Everything it
// touches is injected; tests drive it with fake timers or by calling updateState/reconcile.
import type { Member } from '../membership/index.ts';
import { Role } from '../raft/index.ts';
import { cleanupPlan, type CleanupAction } from './cleanup.ts';
import { nextState } from './health.ts';
import { autopilotGauges } from './health-reply.ts';
import { knownServers } from './known-servers.ts';
import { promotions } from './promoter.ts';
import { StatsFetcher, type FetchStats } from './stats-fetcher.ts';
import type { AutopilotSettings, AutopilotState, KnownServer, RaftStatusView, ServerStats } from './types.ts';

export interface AutopilotTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface AutopilotLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface AutopilotDeps {
  /** The local region: only its servers are known servers. */
  region: string;
  updateIntervalMs: number;
  reconcileIntervalMs: number;
  /** The replicated autopilot configuration; undefined while none exists (nothing is done). */
  settings(): AutopilotSettings | undefined;
  raft(): RaftStatusView;
  members(): readonly Member[];
  /** `Status.RaftStats` of a remote server; should give up when `signal` aborts. */
  fetchStats: FetchStats;
  /** Raft changes: each resolves once the change has committed. */
  promote(id: string): Promise<void>;
  removeServer(id: string): Promise<void>;
  /** Membership force-leave of a failed server (its leave then removes it from Raft). */
  forceLeave(memberName: string): Promise<void>;
  /** Called with the gauges after every state round (leader only). */
  setGauge?(name: string, value: number): void;
  now?(): number;
  timers?: AutopilotTimers;
  logger?: AutopilotLogger;
}

const realTimers: AutopilotTimers = {
  setInterval(fn, ms) {
    const h = setInterval(fn, ms);
    h.unref(); // autopilot never keeps a process alive on its own
    return h;
  },
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  setTimeout(fn, ms) {
    const h = setTimeout(fn, ms);
    h.unref();
    return h;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const silent: AutopilotLogger = { debug() {}, info() {}, warn() {} };

export class Autopilot {
  private state: AutopilotState | undefined;
  private running = false;
  /** Bumped on every start/stop, so a round that began under an older leadership is dropped. */
  private epoch = 0;
  private updating = false;
  private reconciling = false;
  private handles: unknown[] = [];
  private readonly timers: AutopilotTimers;
  private readonly logger: AutopilotLogger;
  private readonly now: () => number;
  private readonly fetcher: StatsFetcher;

  constructor(private readonly d: AutopilotDeps) {
    this.timers = d.timers ?? realTimers;
    this.logger = d.logger ?? silent;
    this.now = d.now ?? Date.now;
    this.fetcher = new StatsFetcher(d.fetchStats, this.timers, this.logger);
  }

  /** On gaining leadership. The first state comes one update interval later (Nomad's tickers). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.epoch++;
    this.handles = [
      this.timers.setInterval(() => void this.updateState(this.now()), this.d.updateIntervalMs),
      this.timers.setInterval(() => void this.reconcile(this.now()), this.d.reconcileIntervalMs),
    ];
    this.logger.debug({}, 'autopilot is now running');
  }

  /** On losing leadership: the state is reset and the first-state time forgotten (§4.1). */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.epoch++;
    for (const h of this.handles) this.timers.clearInterval(h);
    this.handles = [];
    this.state = undefined;
    this.fetcher.abortAll();
    this.logger.debug({}, 'autopilot stopped');
  }

  /** Convenience for a role listener. */
  setLeader(isLeader: boolean): void {
    if (isLeader) this.start();
    else this.stop();
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The latest state, for the health endpoint; undefined before the first round or off the leader. */
  getState(): AutopilotState | undefined {
    return this.state;
  }

  /** `nomad.autopilot.*` gauges, only while a state exists on the leader (issue #13219). */
  gauges(): Record<string, number> | undefined {
    return this.state ? autopilotGauges(this.state) : undefined;
  }

  /** One state round; `now` is the round's timestamp (StableSince of anything that changes). */
  async updateState(now: number): Promise<void> {
    if (!this.running || this.updating) return;
    const settings = this.d.settings();
    const raft = this.d.raft();
    if (!settings || raft.role !== Role.Leader) return;
    this.updating = true;
    const epoch = this.epoch;
    try {
      const known = knownServers(this.d.members(), this.d.region);
      const remote: KnownServer[] = [];
      for (const k of known.values()) if (k.status !== 'left' && k.id !== raft.id) remote.push(k);
      const fetched = await this.fetcher.fetchAll(remote, this.d.updateIntervalMs / 2);
      // The leader answers for itself in-process, as Nomad's stats fetcher does.
      const self: ServerStats = { lastContactMs: 0, lastIndex: raft.lastIndex, lastTerm: raft.lastTerm };
      fetched.set(raft.id, self);
      if (epoch !== this.epoch) return; // leadership changed while we waited
      this.state = nextState({
        now,
        previous: this.state,
        settings,
        config: raft.latestConfig,
        known,
        leaderId: raft.id,
        leaderLastIndex: raft.lastIndex,
        leaderLastTerm: raft.lastTerm,
        fetched,
      });
      if (this.d.setGauge) for (const [k, v] of Object.entries(autopilotGauges(this.state))) this.d.setGauge(k, v);
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'autopilot: error when computing next state');
    } finally {
      this.updating = false;
    }
  }

  /** One reconcile round: promotions, then dead-server cleanup. Never throws. */
  async reconcile(now: number): Promise<void> {
    if (!this.running || this.reconciling) return;
    const settings = this.d.settings();
    if (!settings) return;
    const epoch = this.epoch;
    if (!this.canChange(epoch)) return; // a change is in flight (ours or anyone's): nothing this tick
    this.reconciling = true;
    try {
      if (!(await this.promote(now, settings, epoch))) return;
      if (settings.cleanupDeadServers) await this.cleanup(settings, epoch);
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'autopilot: reconcile failed; will retry');
    } finally {
      this.reconciling = false;
    }
  }

  /** Leader of the same term of ours, and no configuration change waiting to commit. */
  private canChange(epoch: number): boolean {
    if (!this.running || epoch !== this.epoch) return false;
    const r = this.d.raft();
    return r.role === Role.Leader && r.latestConfigIndex <= r.commitIndex;
  }

  /** Promotes the stable promoter's picks one change at a time; false when the pass must end. */
  private async promote(now: number, settings: AutopilotSettings, epoch: number): Promise<boolean> {
    if (!this.state) return true;
    for (const id of promotions(this.state, settings, now)) {
      // The state may be a round old: promote only servers that are still non-voters.
      if (!this.d.raft().latestConfig.nonVoters.includes(id)) continue;
      if (!this.canChange(epoch)) return false;
      this.logger.info({ id }, 'autopilot: promoting server');
      try {
        await this.d.promote(id);
      } catch (e) {
        this.logger.warn({ id, err: (e as Error).message }, 'autopilot: failed promoting server');
        return false;
      }
    }
    return true;
  }

  private async cleanup(settings: AutopilotSettings, epoch: number): Promise<void> {
    const raft = this.d.raft();
    const known = knownServers(this.d.members(), this.d.region);
    const plan = cleanupPlan(raft.latestConfig, known, settings, raft.id);
    for (const s of plan.skipped) {
      this.logger.debug({ id: s.id, reason: s.reason, minQuorum: settings.minQuorum }, 'autopilot: will not remove dead server');
    }
    for (const a of plan.actions) {
      if (!this.canChange(epoch)) return;
      if (!(await this.act(a))) return;
    }
  }

  private async act(a: CleanupAction): Promise<boolean> {
    try {
      if (a.kind === 'forceLeave') {
        this.logger.info({ id: a.id, name: a.name }, 'autopilot: attempting removal of failed server node');
        await this.d.forceLeave(a.name);
      } else {
        this.logger.info({ id: a.id }, 'autopilot: removing stale raft server from configuration');
        await this.d.removeServer(a.id);
      }
      return true;
    } catch (e) {
      this.logger.warn({ id: a.id, action: a.kind, err: (e as Error).message }, 'autopilot: dead server removal failed');
      // A failed force-leave does not touch Raft: carry on with the rest (as Nomad's fire-and-forget).
      return a.kind === 'forceLeave';
    }
  }
}
