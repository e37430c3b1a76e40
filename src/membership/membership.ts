// The membership layer that plays Serf's part (contract Part A §1, §6): the list of servers,
// join by push/pull state exchange, a failure detector, anti-entropy, graceful and forced leave.
//
// Spreading news: every probe carries the prober's own record and its view of the target, every
// push/pull carries the whole list, and a periodic push/pull with one random alive member lets
// news reach everyone without all-to-all exchanges. A member told it is failed or left while it
// runs raises its incarnation (refutes), and the newer record wins everywhere.

import { memberRpcAddress, normalizeJoinAddress } from './address.ts';
import { MemberTable, copyMember, sameRecord, type MemberChange } from './member-table.ts';
import { memberName, serverTags, validateLocalServer, type LocalServer } from './tags.ts';
import {
  MembershipError,
  RPC,
  errorText,
  realTimers,
  silentLogger,
  type Logger,
  type Member,
  type MemberStatus,
  type RpcEndpoint,
  type Timers,
  type Tombstone,
} from './types.ts';
import {
  readIndirectPing,
  readIndirectPingReply,
  readPing,
  readPingReply,
  readPushPull,
  readPushPullReply,
  type IndirectPingReply,
  type PingReply,
  type PushPullReply,
} from './wire.ts';

export interface MembershipOptions {
  local: LocalServer;
  rpc: RpcEndpoint;
  logger?: Logger;
  /** Local clock in ms (default Date.now). */
  now?: () => number;
  /** Timer functions (default the global ones, unref'd). */
  timers?: Timers;
  /** Uniform [0,1) source for choosing anti-entropy partners and indirect probers. */
  random?: () => number;
  /** How often the failure detector probes every alive and failed member (default 1000). */
  probeIntervalMs?: number;
  /** How long a probe waits for an answer (default 500). */
  probeTimeoutMs?: number;
  /** How many other members are asked to probe a member that did not answer us (default 2). */
  indirectChecks?: number;
  /** A member not heard from for this long becomes `failed` (Part A §6: failure_timeout, default 5000). */
  failureTimeoutMs?: number;
  /** A failed member is reaped (removed, reported as left) after this long (reap_timeout, default 72 h). */
  reapTimeoutMs?: number;
  /** A left member stays listed this long (Serf's tombstone timeout, default 24 h). */
  leftRetentionMs?: number;
  /** How long a removed member's tombstone blocks older news (default 24 h). */
  tombstoneMs?: number;
  /** How often to push/pull with one random alive member (default 2000). */
  antiEntropyIntervalMs?: number;
  /** Timeout of a push/pull exchange (default 5000). */
  requestTimeoutMs?: number;
  /** Upper bound on how long leave() waits for others to hear of it (default 3000). */
  leaveTimeoutMs?: number;
  /** Starting incarnation (default: wall-clock seconds, so a restarted server's news is newer). */
  incarnation?: number;
}

export type ChangeListener = (member: Member, previous: MemberStatus | 'none', removed: boolean) => void;

type State = 'new' | 'running' | 'left' | 'stopped';

const HOUR = 3_600_000;

function positive(name: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new MembershipError('invalid-argument', `membership option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(v)}`);
  }
  return v;
}

export class Membership {
  private readonly rpc: RpcEndpoint;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly table: MemberTable;
  private readonly listeners = new Set<ChangeListener>();
  private readonly opt: {
    probeIntervalMs: number; probeTimeoutMs: number; indirectChecks: number; failureTimeoutMs: number;
    reapTimeoutMs: number; leftRetentionMs: number; tombstoneMs: number; antiEntropyIntervalMs: number;
    requestTimeoutMs: number; leaveTimeoutMs: number;
  };
  private self: Member;
  private state: State = 'new';
  private probing = false;
  private readonly handles: { probe?: unknown; antiEntropy?: unknown } = {};

  constructor(options: MembershipOptions) {
    if (options === null || typeof options !== 'object') throw new MembershipError('invalid-argument', 'membership options are missing');
    try {
      validateLocalServer(options.local);
    } catch (err) {
      throw new MembershipError('invalid-argument', errorText(err));
    }
    const rpc = options.rpc;
    if (!rpc || typeof rpc.request !== 'function' || typeof rpc.handle !== 'function') {
      throw new MembershipError('invalid-argument', 'membership option rpc must provide request() and handle()');
    }
    this.rpc = rpc;
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? Math.random;
    const indirect = positive('indirectChecks', options.indirectChecks, 2, true);
    if (!Number.isInteger(indirect)) throw new MembershipError('invalid-argument', `membership option indirectChecks must be an integer, got ${indirect}`);
    this.opt = {
      probeIntervalMs: positive('probeIntervalMs', options.probeIntervalMs, 1000),
      probeTimeoutMs: positive('probeTimeoutMs', options.probeTimeoutMs, 500),
      indirectChecks: indirect,
      failureTimeoutMs: positive('failureTimeoutMs', options.failureTimeoutMs, 5000),
      reapTimeoutMs: positive('reapTimeoutMs', options.reapTimeoutMs, 72 * HOUR),
      leftRetentionMs: positive('leftRetentionMs', options.leftRetentionMs, 24 * HOUR),
      tombstoneMs: positive('tombstoneMs', options.tombstoneMs, 24 * HOUR),
      antiEntropyIntervalMs: positive('antiEntropyIntervalMs', options.antiEntropyIntervalMs, 2000),
      requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 5000),
      leaveTimeoutMs: positive('leaveTimeoutMs', options.leaveTimeoutMs, 3000, true),
    };
    const inc = options.incarnation ?? Math.floor(Date.now() / 1000);
    if (!Number.isSafeInteger(inc) || inc < 0) throw new MembershipError('invalid-argument', `membership option incarnation must be a non-negative integer, got ${String(inc)}`);
    const l = options.local;
    this.self = {
      name: memberName(l.nodeName, l.region),
      id: l.nodeId,
      addr: l.addr,
      port: l.port,
      status: 'alive',
      incarnation: inc,
      tags: serverTags(l),
    };
    this.table = new MemberTable(this.self.name);
  }

  // ------------------------------------------------------------------ lifecycle

  /** Registers the RPC handlers and starts the failure detector and anti-entropy timers. */
  start(): void {
    if (this.state !== 'new') throw new MembershipError('not-running', `membership cannot start: it is ${this.state} (create a new one to restart)`);
    this.state = 'running';
    this.rpc.handle(RPC.ping, (b) => this.onPing(b));
    this.rpc.handle(RPC.indirectPing, (b) => this.onIndirectPing(b));
    this.rpc.handle(RPC.pushPull, (b) => this.onPushPull(b));
    this.emit(this.table.setSelf(this.self, this.now()));
    this.schedule('probe');
    this.schedule('antiEntropy');
    this.log.info({ name: this.self.name, incarnation: this.self.incarnation }, 'membership started');
  }

  /** Stops the timers; the handlers refuse from now on. Members are not told (see leave()). */
  stop(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.cancelTimers();
  }

  // ------------------------------------------------------------------ queries

  /** Every known member (this server included), sorted by name. */
  members(): Member[] {
    return this.table.list();
  }

  /** This server's own record. */
  local(): Member {
    return copyMember(this.self);
  }

  /** Counters for `stats.serf`-style reporting. */
  stats(): Record<string, string> {
    const ms = this.table.list();
    const count = (s: MemberStatus) => String(ms.filter((m) => m.status === s).length);
    return {
      members: String(ms.length), alive: count('alive'), failed: count('failed'), left: count('left'),
      incarnation: String(this.self.incarnation), state: this.state,
    };
  }

  /** Calls fn on every change of a member's status or identity (and on removal). Returns an unsubscribe. */
  onChange(fn: ChangeListener): () => void {
    if (typeof fn !== 'function') throw new MembershipError('invalid-argument', 'onChange needs a function');
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ------------------------------------------------------------------ operator actions

  /**
   * Exchanges state with each address ("host", "host:port"; no port = 4647). Counts the addresses
   * that answered; every failure is reported as "<address>: <reason>".
   */
  async join(addresses: string[]): Promise<{ joined: number; errors: string[] }> {
    this.mustRun('join');
    if (!Array.isArray(addresses) || addresses.length === 0) throw new MembershipError('invalid-argument', 'missing address to join');
    const errors: string[] = [];
    let joined = 0;
    await Promise.all(addresses.map(async (input) => {
      let address: string;
      try {
        const n = normalizeJoinAddress(input);
        if (n.warning) this.log.warn({ address: input }, n.warning);
        address = n.address;
      } catch (err) {
        errors.push(errorText(err));
        return;
      }
      try {
        const before = this.self.incarnation;
        await this.pushPull(address);
        // We refuted stale news about ourselves: make sure the peer hears the newer record.
        if (this.self.incarnation !== before) await this.pushPull(address).catch(() => undefined);
        joined++;
      } catch (err) {
        errors.push(`${String(input)}: ${errorText(err)}`);
      }
    }));
    this.log.info({ joined, errors }, 'join finished');
    return { joined, errors };
  }

  /**
   * Graceful leave: mark ourselves left (a newer incarnation, so it beats all older news) and tell
   * every alive member, waiting at most leaveTimeoutMs. Then stops probing; call stop() afterwards.
   */
  async leave(): Promise<void> {
    this.mustRun('leave');
    if (this.state === 'left' || this.self.status !== 'alive') return;
    this.self = { ...this.self, status: 'leaving', incarnation: this.self.incarnation + 1 };
    this.emit(this.table.setSelf(this.self, this.now()));
    this.cancelTimers();
    const targets = this.others().filter((m) => m.status === 'alive');
    await this.bounded(Promise.allSettled(targets.map((m) => this.pushPull(memberRpcAddress(m)))), this.opt.leaveTimeoutMs);
    this.self = { ...this.self, status: 'left' };
    this.emit(this.table.setSelf(this.self, this.now()));
    if (this.state === 'running') this.state = 'left';
    this.log.info({ told: targets.length }, 'left the cluster');
  }

  /**
   * Marks a member that is not alive as `left` (and with prune drops it from the list), and tells
   * the alive members. An alive member is left as it is: it would refute the news at once.
   * Returns whether anything changed. Unknown name → MembershipError 'unknown-member'.
   */
  async forceLeave(name: string, prune = false): Promise<boolean> {
    this.mustRun('force-leave');
    if (typeof name !== 'string' || name.length === 0) throw new MembershipError('invalid-argument', 'missing node to force leave');
    if (name === this.self.name) throw new MembershipError('self', `cannot force-leave the local server "${name}"; use leave`);
    const m = this.table.get(name);
    if (!m) {
      if (this.table.tombstoned(name)) return false;
      throw new MembershipError('unknown-member', `no member named "${name}"`);
    }
    if (m.status === 'alive') {
      this.log.warn({ name }, 'force-leave ignored: the member is alive');
      return false;
    }
    let changed = false;
    const c = this.table.setStatus(name, 'left', this.now());
    if (c) { this.emit(c); changed = true; }
    if (prune) { this.emit(this.table.remove(name, this.now())); changed = true; }
    this.log.info({ name, prune }, 'member forced to leave');
    const targets = this.others().filter((x) => x.status === 'alive');
    await this.bounded(Promise.allSettled(targets.map((x) => this.pushPull(memberRpcAddress(x)))), this.opt.requestTimeoutMs);
    return changed;
  }

  // ------------------------------------------------------------------ rounds (run by the timers; public for tests)

  /** One failure-detector round: probe every alive and failed member, then apply timeouts. */
  async probeRound(): Promise<void> {
    if (this.state !== 'running' || this.probing) return;
    this.probing = true;
    try {
      const targets = this.others().filter((m) => m.status === 'alive' || m.status === 'failed');
      await Promise.all(targets.map((m) => this.probe(m)));
      if (this.state !== 'running') return;
      for (const c of this.table.expire(this.now(), this.opt)) {
        if (c.member.status === 'failed') this.log.warn({ name: c.member.name }, 'member failed');
        else if (c.removed) this.log.info({ name: c.member.name, previous: c.previous }, 'member reaped');
        this.emit(c);
      }
    } finally {
      this.probing = false;
    }
  }

  /** One anti-entropy round: a full push/pull with one random alive member. */
  async antiEntropyRound(): Promise<void> {
    if (this.state !== 'running') return;
    const alive = this.others().filter((m) => m.status === 'alive');
    if (alive.length === 0) return;
    const peer = alive[Math.floor(this.random() * alive.length)] ?? alive[0]!;
    try {
      await this.pushPull(memberRpcAddress(peer));
    } catch (err) {
      this.log.debug({ peer: peer.name, err: errorText(err) }, 'anti-entropy exchange failed');
    }
  }

  // ------------------------------------------------------------------ probing

  private async probe(m: Member): Promise<void> {
    let ok = await this.ping(m);
    if (!ok && m.status === 'alive' && this.opt.indirectChecks > 0) ok = await this.indirect(m);
    if (ok) this.table.heard(m.name, this.now());
  }

  /** Direct probe; true when the member we meant (by name) answered. */
  private async ping(m: Member): Promise<boolean> {
    try {
      const raw = await this.rpc.request(memberRpcAddress(m), RPC.ping, { from: this.wireSelf(), target: m.name, view: m }, this.opt.probeTimeoutMs);
      const reply = readPingReply(raw);
      if (reply.member.name !== m.name) {
        this.log.debug({ expected: m.name, got: reply.member.name }, 'another server answers at the address of a member');
        this.news(reply.member);
        return false;
      }
      this.news(reply.member);
      return true;
    } catch (err) {
      this.log.debug({ name: m.name, err: errorText(err) }, 'probe failed');
      return false;
    }
  }

  /** Asks a few other alive members to probe m for us (a broken link is not a dead server). */
  private async indirect(m: Member): Promise<boolean> {
    const helpers = this.others().filter((x) => x.status === 'alive' && x.name !== m.name);
    const chosen: Member[] = [];
    while (chosen.length < this.opt.indirectChecks && helpers.length > 0) {
      chosen.push(helpers.splice(Math.floor(this.random() * helpers.length), 1)[0]!);
    }
    if (chosen.length === 0) return false;
    const results = await Promise.all(chosen.map(async (h) => {
      try {
        const raw = await this.rpc.request(memberRpcAddress(h), RPC.indirectPing, { from: this.wireSelf(), target: m }, this.opt.probeTimeoutMs * 2);
        const reply = readIndirectPingReply(raw);
        if (reply.member && reply.member.name === m.name) this.news(reply.member);
        return reply.ok;
      } catch {
        return false;
      }
    }));
    return results.some(Boolean);
  }

  // ------------------------------------------------------------------ state exchange

  private async pushPull(address: string): Promise<void> {
    const body = { from: this.wireSelf(), members: this.wireMembers(), tombstones: this.table.listTombstones() };
    const reply = readPushPullReply(await this.rpc.request(address, RPC.pushPull, body, this.opt.requestTimeoutMs));
    this.absorb(reply.from, reply.members, reply.tombstones);
  }

  private absorb(from: Member, members: Member[], tombstones: Tombstone[]): void {
    this.news(from);
    this.table.heard(from.name, this.now());
    for (const m of members) this.news(m);
    for (const t of tombstones) {
      if (t.name === this.self.name) this.refuteIfStale(t.incarnation, true);
      else this.emit(this.table.applyTombstone(t, this.now()));
    }
  }

  /** News about any member, ourselves included. */
  private news(m: Member): void {
    if (m.name === this.self.name) {
      if (m.id !== this.self.id) {
        this.log.error({ name: m.name, id: m.id, ourId: this.self.id }, 'another server claims our member name');
        return;
      }
      const ours = this.wireSelf();
      this.refuteIfStale(m.incarnation, !sameRecord(m, ours));
      return;
    }
    const c = this.table.merge(m, this.now());
    if (c) {
      this.log.info({ name: c.member.name, status: c.member.status, previous: c.previous }, 'member update');
      this.emit(c);
    }
  }

  /** Someone holds a record of us at `incarnation` that differs from ours: make ours newer. */
  private refuteIfStale(incarnation: number, differs: boolean): void {
    if (incarnation > this.self.incarnation || (incarnation === this.self.incarnation && differs)) {
      this.self = { ...this.self, incarnation: incarnation + 1 };
      this.table.setSelf(this.self, this.now());
      this.log.info({ incarnation: this.self.incarnation }, 'refuting stale news about this server');
    }
  }

  // ------------------------------------------------------------------ handlers

  private mustServe(): void {
    if (this.state !== 'running' && this.state !== 'left') throw new Error(`membership of ${this.self.name} is ${this.state}`);
  }

  private onPing(body: unknown): PingReply {
    this.mustServe();
    const b = readPing(body);
    this.news(b.from);
    this.table.heard(b.from.name, this.now());
    if (b.view && b.view.name === this.self.name) this.news(b.view);
    return { member: this.wireSelf() };
  }

  private async onIndirectPing(body: unknown): Promise<IndirectPingReply> {
    this.mustServe();
    const b = readIndirectPing(body);
    this.news(b.from);
    this.table.heard(b.from.name, this.now());
    try {
      const raw = await this.rpc.request(memberRpcAddress(b.target), RPC.ping, { from: this.wireSelf(), target: b.target.name, view: b.target }, this.opt.probeTimeoutMs);
      const reply = readPingReply(raw);
      if (reply.member.name !== b.target.name) return { ok: false };
      this.news(reply.member);
      this.table.heard(reply.member.name, this.now());
      return { ok: true, member: reply.member };
    } catch {
      return { ok: false };
    }
  }

  private onPushPull(body: unknown): PushPullReply {
    this.mustServe();
    const b = readPushPull(body);
    this.absorb(b.from, b.members, b.tombstones);
    return { from: this.wireSelf(), members: this.wireMembers(), tombstones: this.table.listTombstones() };
  }

  // ------------------------------------------------------------------ helpers

  /** Our record as others should hold it: while leaving we already announce `left`. */
  private wireSelf(): Member {
    const s = copyMember(this.self);
    if (s.status === 'leaving') s.status = 'left';
    return s;
  }

  private wireMembers(): Member[] {
    return this.table.list().map((m) => (m.name === this.self.name ? this.wireSelf() : m));
  }

  private others(): Member[] {
    return this.table.list().filter((m) => m.name !== this.self.name);
  }

  private mustRun(what: string): void {
    if (this.state === 'new' || this.state === 'stopped') throw new MembershipError('not-running', `cannot ${what}: membership is ${this.state === 'new' ? 'not started' : 'stopped'}`);
  }

  private emit(c: MemberChange | undefined): void {
    if (!c) return;
    for (const fn of this.listeners) {
      try {
        fn(copyMember(c.member), c.previous, c.removed);
      } catch (err) {
        this.log.error({ err: errorText(err) }, 'membership change listener threw');
      }
    }
  }

  private schedule(kind: 'probe' | 'antiEntropy'): void {
    const ms = kind === 'probe' ? this.opt.probeIntervalMs : this.opt.antiEntropyIntervalMs;
    this.handles[kind] = this.timers.setTimeout(() => {
      this.handles[kind] = undefined;
      const round = kind === 'probe' ? this.probeRound() : this.antiEntropyRound();
      round
        .catch((err) => this.log.error({ err: errorText(err), kind }, 'membership round failed'))
        .finally(() => { if (this.state === 'running') this.schedule(kind); });
    }, ms);
  }

  private cancelTimers(): void {
    for (const kind of ['probe', 'antiEntropy'] as const) {
      if (this.handles[kind] !== undefined) this.timers.clearTimeout(this.handles[kind]);
      this.handles[kind] = undefined;
    }
  }

  /** Waits for p, but at most ms. */
  private async bounded(p: Promise<unknown>, ms: number): Promise<void> {
    let handle: unknown;
    const timeout = new Promise<void>((resolve) => { handle = this.timers.setTimeout(resolve, ms); });
    await Promise.race([p, timeout]);
    this.timers.clearTimeout(handle);
  }
}
