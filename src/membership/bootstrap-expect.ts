// bootstrap_expect (contract §5.2): decide, from the member list, when and with whom to bootstrap
// Raft for the first time. Driven by member changes: call check() on start and on every change.

import { parseServer, type ServerInfo } from './tags.ts';
import { errorText, silentLogger, type Logger, type Member } from './types.ts';

export interface BootstrapServer {
  id: string;
  /** RPC address "ip:port". */
  address: string;
  voter: boolean;
}

export type BootstrapOutcome =
  | 'disabled' // expect = 0: never bootstraps; waits to be added by an existing leader
  | 'existing-state' // the local Raft store already has state
  | 'joined-existing' // a candidate reported Raft peers: join that cluster instead
  | 'bootstrapped'; // bootstrap() was called (successful or not)

export interface BootstrapExpectOptions {
  /** bootstrap_expect: 0 = never, 1 = this server alone, N = wait for N voting servers. */
  expect: number;
  /** Only servers of this region count. */
  region: string;
  /** This server's member name (`<node>.<region>`). */
  localName: string;
  /** The current member list (this server included). */
  members: () => Member[];
  /** True when the local Raft log or snapshot store holds anything (last index ≠ 0). */
  hasLocalRaftState: () => boolean | Promise<boolean>;
  /** `Status.Peers` (stale) on a server: the Raft addresses it knows. Rejects on failure. */
  askPeers: (server: ServerInfo) => Promise<string[]>;
  /** Bootstraps Raft with these servers. Called at most once. */
  bootstrap: (servers: BootstrapServer[]) => void | Promise<void>;
  /** Attempts per askPeers call (default 6). */
  peerAttempts?: number;
  /** Back-off before the 2nd askPeers attempt, doubling after (default 1000: 1 s, 2 s, 4 s, …). */
  retryBaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class BootstrapExpect {
  private readonly o: Required<Omit<BootstrapExpectOptions, 'logger' | 'sleep'>>;
  private readonly log: Logger;
  private readonly sleep: (ms: number) => Promise<void>;
  private current: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private result: BootstrapOutcome | undefined;

  constructor(options: BootstrapExpectOptions) {
    if (options === null || typeof options !== 'object') throw new Error('bootstrap_expect options are missing');
    const { expect } = options;
    if (!Number.isInteger(expect) || expect < 0) throw new Error(`bootstrap_expect must be an integer >= 0, got ${String(expect)}`);
    for (const k of ['region', 'localName'] as const) {
      if (typeof options[k] !== 'string' || options[k].length === 0) throw new Error(`bootstrap_expect option ${k} must be a non-empty string`);
    }
    for (const k of ['members', 'hasLocalRaftState', 'askPeers', 'bootstrap'] as const) {
      if (typeof options[k] !== 'function') throw new Error(`bootstrap_expect option ${k} must be a function`);
    }
    const peerAttempts = options.peerAttempts ?? 6;
    if (!Number.isInteger(peerAttempts) || peerAttempts < 1) throw new Error(`bootstrap_expect option peerAttempts must be an integer >= 1, got ${String(peerAttempts)}`);
    const retryBaseMs = options.retryBaseMs ?? 1000;
    if (typeof retryBaseMs !== 'number' || !Number.isFinite(retryBaseMs) || retryBaseMs < 0) throw new Error(`bootstrap_expect option retryBaseMs must be >= 0, got ${String(retryBaseMs)}`);
    this.o = {
      expect, region: options.region, localName: options.localName, members: options.members,
      hasLocalRaftState: options.hasLocalRaftState, askPeers: options.askPeers, bootstrap: options.bootstrap,
      peerAttempts, retryBaseMs,
    };
    this.log = options.logger ?? silentLogger;
    this.sleep = options.sleep ?? defaultSleep;
    if (expect === 0) this.result = 'disabled';
  }

  /** Why the driver is finished, or undefined while it still waits. */
  get outcome(): BootstrapOutcome | undefined {
    return this.result;
  }

  get done(): boolean {
    return this.result !== undefined;
  }

  /** No further attempts; one in flight is abandoned before it bootstraps. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Runs an attempt (serialised: a call during an attempt runs one more afterwards). Never rejects:
   * errors are logged and the next member change tries again.
   */
  check(): Promise<void> {
    if (this.result !== undefined || this.stopped) return Promise.resolve();
    if (this.current) {
      this.again = true;
      return this.current;
    }
    this.current = (async () => {
      do {
        this.again = false;
        try {
          await this.attempt();
        } catch (err) {
          this.log.error({ err: errorText(err) }, 'bootstrap_expect attempt failed');
        }
      } while (this.again && this.result === undefined && !this.stopped);
    })().finally(() => { this.current = undefined; });
    return this.current;
  }

  private async attempt(): Promise<void> {
    const { expect } = this.o;
    // Never bootstrap over existing state: this server was part of a cluster before.
    if (await this.o.hasLocalRaftState()) {
      this.finish('existing-state');
      return;
    }
    if (expect === 1) {
      const self = this.o.members().map(parseServer).find((s) => s?.name === this.o.localName);
      if (!self) throw new Error(`local server "${this.o.localName}" is not in the member list`);
      await this.callBootstrap([self]);
      return;
    }
    const servers: ServerInfo[] = [];
    for (const m of this.o.members()) {
      const s = parseServer(m);
      if (!s || s.region !== this.o.region) continue;
      if (s.expect !== 0 && s.expect !== expect) {
        this.log.error({ member: s.name, theirs: s.expect, ours: expect }, 'bootstrap_expect: member has a conflicting expect value; all servers should expect the same number');
        return;
      }
      if (s.bootstrap) {
        this.log.error({ member: s.name }, 'bootstrap_expect: a member is in bootstrap mode (expect = 1); not bootstrapping');
        return;
      }
      servers.push(s);
    }
    const voters = servers.filter((s) => !s.nonVoter).length;
    if (voters < expect) {
      this.log.debug({ voters, expect }, 'bootstrap_expect: waiting for more servers');
      return;
    }
    // Evidence of an existing cluster (a server added much later) means: let its leader add us.
    for (const s of servers) {
      const peers = await this.peersOf(s);
      if (this.stopped) return;
      if (peers.length > 0) {
        this.log.info({ member: s.name, peers }, 'bootstrap_expect: a server reports Raft peers; joining that cluster instead of bootstrapping');
        this.finish('joined-existing');
        return;
      }
    }
    if (await this.o.hasLocalRaftState()) {
      this.finish('existing-state');
      return;
    }
    await this.callBootstrap(servers);
  }

  /** Status.Peers with retries; a server that never answers counts as having no peers. */
  private async peersOf(s: ServerInfo): Promise<string[]> {
    for (let attempt = 0; attempt < this.o.peerAttempts; attempt++) {
      try {
        const peers = await this.o.askPeers(s);
        if (!Array.isArray(peers) || peers.some((p) => typeof p !== 'string')) throw new Error('Status.Peers answer is not a list of addresses');
        return peers;
      } catch (err) {
        if (this.stopped) return [];
        const last = attempt === this.o.peerAttempts - 1;
        const retryInMs = this.o.retryBaseMs * 2 ** attempt;
        this.log.warn({ member: s.name, err: errorText(err), ...(last ? {} : { retryInMs }) }, 'bootstrap_expect: failed to confirm peer status');
        if (!last) await this.sleep(retryInMs);
      }
    }
    return [];
  }

  private async callBootstrap(servers: ServerInfo[]): Promise<void> {
    if (this.stopped || this.result !== undefined) return;
    // Marked first: bootstrap is attempted once, whatever it answers (as Nomad).
    this.finish('bootstrapped');
    const list: BootstrapServer[] = servers.map((s) => ({ id: s.id, address: s.rpcAddr, voter: !s.nonVoter }));
    this.log.info({ servers: list }, 'bootstrap_expect: bootstrapping the cluster');
    try {
      await this.o.bootstrap(list);
    } catch (err) {
      this.log.error({ err: errorText(err) }, 'bootstrap_expect: bootstrap failed');
    }
  }

  private finish(outcome: BootstrapOutcome): void {
    if (this.result === undefined) this.result = outcome;
  }
}
