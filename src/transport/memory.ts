// An in-memory transport for tests: many nodes in one process, frames through the same codec and
// checks as on the wire (so tests see the same copies, limits and refusals), plus fault hooks —
// one-way cuts, partitions, drop rates and delays per link — and a seedable random source.

import { parseAddress } from './address.ts';
import { CodecError, decodeFrame, encodeFrame } from './codec.ts';
import { FrameKinds } from './frames.ts';
import { checkLocalClusterId, clustersConflict, parseEncryptKey, type Refusal } from './handshake.ts';
import { LogLimiter, silentLogger } from './log.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './options.ts';
import { checkMethod, checkTimeout, errorResponse, parseRequest, parseResponse, PendingRequests, RequestError, RequestHandlers } from './rpc.ts';
import { copyCounters, newCounters } from './stats.ts';
import type {
  Frame,
  FrameHandler,
  FrameKind,
  Logger,
  NodeId,
  PeerIdentity,
  PeerLinkStats,
  RequestHandler,
  SendDropReason,
  Transport,
  TransportStats,
  UnreachableHandler,
} from './types.ts';
import { checkNodeId, isPlainObject } from './validate.ts';

const ANY = '*';

export interface MemoryNetworkOptions {
  /** Random source for drop decisions (seed it for reproducible tests). */
  random?: () => number;
}

export interface MemoryTransportOptions {
  localId: NodeId;
  /** The address others reach this node at (default "<localId>:4647"). */
  address?: string;
  clusterId?: string;
  /** base64 of 32 bytes, as WsTransport; both ends must hold the same key. */
  encrypt?: string;
  maxFrameBytes?: number;
  /** Frames in flight to one peer before sends are dropped as queueFull (default 1024). */
  maxInFlight?: number;
  logger?: Logger;
}

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

/** The shared medium: who listens where, and the faults on each directed link. */
export class MemoryNetwork {
  private readonly transports = new Map<string, MemoryTransport>();
  private readonly cuts = new Set<string>();
  private readonly dropRates = new Map<string, number>();
  private readonly delays = new Map<string, number>();
  private readonly random: () => number;
  /** Frames and requests lost to injected faults. */
  faultDrops = 0;

  constructor(options: MemoryNetworkOptions = {}) {
    this.random = options.random ?? Math.random;
  }

  /** Makes a transport on this network (not started). */
  createTransport(options: MemoryTransportOptions): MemoryTransport {
    const t = new MemoryTransport(this, options);
    if (this.transports.has(t.address)) throw new Error(`memory network: address ${t.address} is already taken`);
    this.transports.set(t.address, t);
    return t;
  }

  /** @internal the transport listening at `address`, if any and running. */
  at(address: string): MemoryTransport | undefined {
    const t = this.transports.get(address);
    return t?.running ? t : undefined;
  }

  // ---------------------------------------------------------------- fault hooks

  /** Cuts the link from → to (one way: to → from still works). */
  cut(from: NodeId, to: NodeId): void {
    this.cuts.add(linkKey(from, to));
  }

  /** Restores one direction cut by `cut`. */
  restore(from: NodeId, to: NodeId): void {
    this.cuts.delete(linkKey(from, to));
  }

  /** Cuts both ways between every pair of nodes in different groups. */
  partition(...groups: NodeId[][]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]) for (const b of groups[j]) this.cut(a, b);
      }
    }
  }

  /** Cuts a node off from every other node on the network, both ways. */
  isolate(id: NodeId): void {
    this.cuts.add(linkKey(id, ANY));
    this.cuts.add(linkKey(ANY, id));
  }

  /** Drops each frame on from → to with probability `rate` ('*' = any node). */
  setDropRate(rate: number, from: NodeId = ANY, to: NodeId = ANY): void {
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new Error(`drop rate must be a number in [0, 1] (got ${String(rate)})`);
    this.dropRates.set(linkKey(from, to), rate);
  }

  /** Delays each frame on from → to by `ms` ('*' = any node). */
  setDelay(ms: number, from: NodeId = ANY, to: NodeId = ANY): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new Error(`delay must be a non-negative number of ms (got ${String(ms)})`);
    this.delays.set(linkKey(from, to), ms);
  }

  /** Removes every cut, drop rate and delay. */
  heal(): void {
    this.cuts.clear();
    this.dropRates.clear();
    this.delays.clear();
  }

  private lookup<T>(map: Map<string, T>, from: NodeId, to: NodeId): T | undefined {
    return map.get(linkKey(from, to)) ?? map.get(linkKey(from, ANY)) ?? map.get(linkKey(ANY, to)) ?? map.get(linkKey(ANY, ANY));
  }

  isCut(from: NodeId, to: NodeId): boolean {
    const c = this.cuts;
    return c.has(linkKey(from, to)) || c.has(linkKey(from, ANY)) || c.has(linkKey(ANY, to));
  }

  /** @internal schedules `deliver` on from → to, unless a fault loses it; false when lost. */
  carry(from: NodeId, to: NodeId, deliver: () => void): boolean {
    const rate = this.lookup(this.dropRates, from, to) ?? 0;
    if (this.isCut(from, to) || (rate > 0 && this.random() < rate)) {
      this.faultDrops++;
      return false;
    }
    const delay = this.lookup(this.delays, from, to) ?? 0;
    if (delay > 0) setTimeout(deliver, delay);
    else setImmediate(deliver);
    return true;
  }
}

export class MemoryTransport implements Transport {
  readonly localId: NodeId;
  readonly address: string;
  readonly port: number;
  /** @internal */ running = false;
  /** @internal */ readonly key: Buffer | undefined;
  private cluster: string;
  private readonly maxFrameBytes: number;
  private readonly maxInFlight: number;
  private readonly logger: Logger;
  private readonly limiter = new LogLimiter();
  private readonly counters = newCounters();
  private readonly kinds = new FrameKinds();
  private readonly handlers = new RequestHandlers();
  private readonly pending = new PendingRequests();
  private readonly frameHandlers: FrameHandler[] = [];
  private readonly unreachableHandlers: UnreachableHandler[] = [];
  private readonly peers = new Map<NodeId, string>();
  private readonly inFlight = new Map<NodeId, number>();

  /** Use `MemoryNetwork.createTransport`. */
  constructor(
    private readonly network: MemoryNetwork,
    o: MemoryTransportOptions,
  ) {
    const e = checkNodeId(o?.localId, 'memory transport localId');
    if (e) throw new Error(e);
    this.localId = o.localId;
    this.address = o.address ?? `${o.localId}:4647`;
    let port = 0;
    try {
      port = parseAddress(this.address).port;
    } catch {
      // memory addresses need not be host:port
    }
    this.port = port;
    this.cluster = checkLocalClusterId(o.clusterId ?? '');
    this.key = o.encrypt === undefined ? undefined : parseEncryptKey(o.encrypt);
    this.maxFrameBytes = o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxInFlight = o.maxInFlight ?? 1024;
    this.logger = o.logger ?? silentLogger;
  }

  get clusterId(): string {
    return this.cluster;
  }

  async start(): Promise<void> {
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.pending.failAll('stopped', 'the transport stopped');
  }

  setPeer(id: NodeId, address: string): void {
    const e = checkNodeId(id, 'peer id');
    if (e) throw new Error(`setPeer: ${e}`);
    if (typeof address !== 'string' || address.length === 0) throw new Error('setPeer: address must be a non-empty string');
    if (id !== this.localId) this.peers.set(id, address);
  }

  removePeer(id: NodeId): void {
    this.peers.delete(id);
  }

  send(to: NodeId, frame: Frame): boolean {
    const reason = this.trySend(to, frame);
    if (reason === undefined) return true;
    this.counters.dropped[reason]++;
    if (reason === 'queueFull') this.emitUnreachable(to);
    return false;
  }

  private trySend(to: NodeId, frame: Frame): SendDropReason | undefined {
    if (!this.running) return 'stopped';
    if (this.kinds.checkOutgoing(frame) !== undefined) return 'invalid';
    const address = this.peers.get(to);
    if (address === undefined) return 'noPeer';
    let bytes: Buffer;
    try {
      bytes = encodeFrame(frame);
    } catch (err) {
      if (err instanceof CodecError) return 'invalid';
      throw err;
    }
    if (bytes.length > this.maxFrameBytes) return 'tooLarge';
    const inFlight = this.inFlight.get(to) ?? 0;
    if (inFlight >= this.maxInFlight) return 'queueFull';
    const target = this.network.at(address);
    const refusal = target && this.handshake(target);
    if (!target || target.localId !== to || refusal) {
      // As a failed dial would: the frame is lost and Raft hears the peer is unreachable.
      this.counters.dropped.linkLost++;
      if (refusal) target!.refuse(this, refusal);
      setImmediate(() => this.emitUnreachable(to));
      return undefined;
    }
    this.counters.framesSent++;
    this.counters.bytesSent += bytes.length;
    this.inFlight.set(to, inFlight + 1);
    const carried = this.network.carry(this.localId, to, () => {
      this.inFlight.set(to, (this.inFlight.get(to) ?? 1) - 1);
      target.receive(this.localId, bytes);
    });
    if (!carried) this.inFlight.set(to, inFlight);
    return undefined;
  }

  /** @internal a frame arriving from `from`. */
  receive(from: NodeId, bytes: Buffer): void {
    if (!this.running) return;
    let value: unknown;
    try {
      value = decodeFrame(bytes);
    } catch (err) {
      this.counters.rejected.undecodable++;
      this.logger.warn({ peer: from }, `transport: dropped a frame from ${from}: ${(err as Error).message}`);
      return;
    }
    const checked = this.kinds.checkIncoming(value, from, this.localId);
    if ('reason' in checked) {
      this.counters.rejected[checked.reason]++;
      const extra = this.limiter.allow(`reject:${checked.reason}:${from}`);
      if (extra) this.logger.warn({ peer: from, reason: checked.reason, ...extra }, `transport: dropped a frame from ${from}: ${checked.error}`);
      return;
    }
    this.counters.framesReceived++;
    this.counters.bytesReceived += bytes.length;
    for (const h of this.frameHandlers) {
      try {
        h(from, checked.frame);
      } catch (err) {
        this.counters.rejected.handlerError++;
        this.logger.error({ peer: from, kind: checked.frame.t, err: (err as Error).message }, 'transport: a frame handler threw');
      }
    }
  }

  /** The checks a WebSocket handshake makes, between this dialer and `target`. */
  private handshake(target: MemoryTransport): Refusal | undefined {
    if (clustersConflict(this.cluster, target.cluster)) {
      return { reason: 'cluster', error: `the dialer is in cluster ${this.cluster}, the acceptor in ${target.cluster}` };
    }
    if ((this.key === undefined) !== (target.key === undefined)) {
      return { reason: 'encrypt', error: 'one side holds the encrypt key and the other not' };
    }
    if (this.key && target.key && !this.key.equals(target.key)) return { reason: 'encrypt', error: 'the encrypt keys differ' };
    return undefined;
  }

  /** @internal both sides count and log a refused handshake, as over WebSockets. */
  refuse(dialer: MemoryTransport, refusal: Refusal): void {
    for (const side of [this, dialer]) {
      side.counters.handshakesRejected[refusal.reason]++;
      const extra = side.limiter.allow(`handshake:${refusal.reason}`);
      if (extra) {
        side.logger.warn(
          { dialer: dialer.localId, acceptor: this.localId, reason: refusal.reason, dialerCluster: dialer.cluster, acceptorCluster: this.cluster, ...extra },
          `transport: handshake between ${dialer.localId} and ${this.localId} refused: ${refusal.error}`,
        );
      }
    }
  }

  onFrame(handler: FrameHandler): void {
    if (typeof handler !== 'function') throw new Error('onFrame: handler must be a function');
    this.frameHandlers.push(handler);
  }

  onUnreachable(handler: UnreachableHandler): void {
    if (typeof handler !== 'function') throw new Error('onUnreachable: handler must be a function');
    this.unreachableHandlers.push(handler);
  }

  private emitUnreachable(peer: NodeId): void {
    if (!this.running) return;
    for (const h of this.unreachableHandlers) {
      try {
        h(peer);
      } catch (err) {
        this.logger.error({ peer, err: (err as Error).message }, 'transport: unreachable handler threw');
      }
    }
  }

  setClusterId(id: string): void {
    checkLocalClusterId(id);
    if (id !== this.cluster) this.logger.info({ previous: this.cluster, cluster: id }, 'transport: cluster id changed');
    this.cluster = id;
  }

  registerKind(t: string, kind: FrameKind): void {
    this.kinds.register(t, kind);
  }

  async identify(address: string): Promise<PeerIdentity> {
    if (!this.running) throw new Error('identify: the transport is not running');
    const target = this.network.at(address);
    if (!target || this.network.isCut(this.localId, target.localId) || this.network.isCut(target.localId, this.localId)) {
      throw new Error(`cannot reach ${address}: nothing answers there`);
    }
    const refusal = this.handshake(target);
    if (refusal) {
      target.refuse(this, refusal);
      throw new Error(`cannot reach ${address}: handshake refused (${refusal.reason}): ${refusal.error}`);
    }
    return { node: target.localId, cluster: target.cluster };
  }

  async request(address: string, method: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const e = (typeof address === 'string' && address.length > 0 ? undefined : 'address must be a non-empty string') ?? checkMethod(method) ?? checkTimeout(timeoutMs);
    if (e) throw new RequestError('invalid', `request "${String(method)}" to ${String(address)}: ${e}`, String(address), String(method));
    if (!this.running) throw new RequestError('stopped', `request "${method}" to ${address}: the transport is not running`, address, method);
    const { id, promise } = this.pending.open(method, address, timeoutMs, `addr:${address}`);
    const target = this.network.at(address);
    if (!target) {
      this.pending.fail(id, 'unreachable', 'nothing listens there');
      return promise;
    }
    const refusal = this.handshake(target);
    if (refusal) {
      target.refuse(this, refusal);
      this.pending.fail(id, 'unreachable', `handshake refused (${refusal.reason}): ${refusal.error}`);
      return promise;
    }
    let bytes: Buffer;
    try {
      bytes = encodeFrame({ t: 'req', id, method, body });
    } catch (err) {
      this.pending.fail(id, 'invalid', (err as Error).message);
      return promise;
    }
    if (bytes.length > this.maxFrameBytes) {
      this.pending.fail(id, 'invalid', `the request is ${bytes.length} bytes, over the ${this.maxFrameBytes}-byte frame limit`);
      return promise;
    }
    const from: PeerIdentity = { node: this.localId, cluster: this.cluster };
    this.network.carry(this.localId, target.localId, () => target.serve(bytes, from, this));
    return promise;
  }

  /** @internal serves a request from `caller` and carries the response back. */
  serve(bytes: Buffer, from: PeerIdentity, caller: MemoryTransport): void {
    if (!this.running) return;
    const value = decodeFrame(bytes);
    const req = isPlainObject(value) ? parseRequest(value) : 'not a request';
    if (typeof req === 'string') return;
    void this.handlers.serve(req, from).then((res) => {
      let out: Buffer;
      try {
        out = encodeFrame(res);
      } catch (err) {
        out = encodeFrame(errorResponse(res.id, `the response does not encode: ${(err as Error).message}`));
      }
      if (out.length > this.maxFrameBytes) out = encodeFrame(errorResponse(res.id, `the response is ${out.length} bytes, over the frame limit`));
      if (!this.running) return;
      this.network.carry(this.localId, caller.localId, () => caller.settle(out));
    });
  }

  /** @internal a response arriving for one of our requests. */
  settle(bytes: Buffer): void {
    if (!this.running) return;
    const res = parseResponse(decodeFrame(bytes));
    if (typeof res !== 'string') this.pending.settle(res);
  }

  handle(method: string, fn: RequestHandler): void {
    this.handlers.register(method, fn);
  }

  stats(): TransportStats {
    const peers: Record<NodeId, PeerLinkStats> = {};
    for (const [id, address] of this.peers) {
      const up = this.network.at(address)?.localId === id;
      const n = this.inFlight.get(id) ?? 0;
      peers[id] = { address, state: up ? 'open' : 'idle', queuedFrames: n, queuedBytes: 0, bufferedBytes: 0, failures: 0 };
    }
    return { ...copyCounters(this.counters), inboundConnections: 0, peers };
  }
}
