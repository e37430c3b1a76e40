// The production transport: a `ws` server on the RPC port, one outbound link per peer (link.ts),
// inbound connections (inbound.ts), request/response (rpc.ts), cluster-id adoption.

import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { normalizeClientAddress, parseAddress } from './address.ts';
import { CodecError, encodeFrame } from './codec.ts';
import { FrameKinds } from './frames.ts';
import { checkLocalClusterId, clustersConflict, type LocalIdentity } from './handshake.ts';
import { InboundConnection, type InboundContext } from './inbound.ts';
import { OutboundLink, type LinkContext } from './link.ts';
import { LogLimiter } from './log.ts';
import { resolveWsOptions, type ResolvedWsOptions, type WsTransportOptions } from './options.ts';
import { checkMethod, checkTimeout, PendingRequests, RequestError, RequestHandlers } from './rpc.ts';
import { copyCounters, newCounters, type Counters } from './stats.ts';
import type {
  Frame,
  FrameHandler,
  FrameKind,
  NodeId,
  PeerIdentity,
  PeerLinkStats,
  RequestHandler,
  SendDropReason,
  Transport,
  TransportStats,
  UnreachableHandler,
} from './types.ts';
import { checkNodeId } from './validate.ts';

export class WsTransport implements Transport {
  readonly localId: NodeId;
  private readonly opts: ResolvedWsOptions;
  private cluster: string;
  private boundPort: number;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private running = false;
  private readonly counters: Counters = newCounters();
  private readonly limiter = new LogLimiter();
  private readonly kinds = new FrameKinds();
  private readonly handlers = new RequestHandlers();
  /** Test faults (setPartitioned / setCut): nodes whose frames and requests we drop, per direction. */
  private cutOut = new Set<NodeId>();
  private cutIn = new Set<NodeId>();
  private readonly pending = new PendingRequests();
  private readonly frameHandlers: FrameHandler[] = [];
  private readonly unreachableHandlers: UnreachableHandler[] = [];
  private readonly peers = new Map<NodeId, string>();
  private readonly peerLinks = new Map<NodeId, OutboundLink>();
  /** Links to bare addresses, for requests and identify. */
  private readonly addressLinks = new Map<string, OutboundLink>();
  private readonly inbound = new Set<InboundConnection>();
  private readonly connsPerClient = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly linkCtx: LinkContext;
  private readonly inboundCtx: InboundContext;

  constructor(options: WsTransportOptions) {
    this.opts = resolveWsOptions(options);
    this.localId = this.opts.localId;
    this.cluster = this.opts.clusterId;
    this.boundPort = this.opts.port;
    const local = (): LocalIdentity => ({ node: this.localId, cluster: this.cluster, key: this.opts.key });
    this.linkCtx = {
      opts: this.opts,
      counters: this.counters,
      limiter: this.limiter,
      pending: this.pending,
      local,
      linkFailed: (link) => this.onLinkFailed(link),
    };
    this.inboundCtx = {
      opts: this.opts,
      counters: this.counters,
      limiter: this.limiter,
      kinds: this.kinds,
      handlers: this.handlers,
      local,
      deliver: (from, frame) => this.deliver(from, frame),
      closed: (conn) => this.onInboundClosed(conn),
      // A restarted peer dials us first: end our back-off towards it, so it hears from us (as a
      // leader's heartbeat) at once rather than after up to the back-off ceiling.
      peerUp: (node) => this.peerLinks.get(node)?.retryNow(),
    };
  }

  get port(): number {
    return this.boundPort;
  }

  get clusterId(): string {
    return this.cluster;
  }

  async start(): Promise<void> {
    if (this.running) return;
    // Before its upgrade a connection counts against no per-client limit, so it gets the handshake
    // timeout to send one (Node's defaults held a silent or garbage-sending socket 60-90 s).
    const upgradeMs = Math.min(this.opts.handshakeTimeoutMs, 60_000);
    const server = createServer({ headersTimeout: upgradeMs, requestTimeout: upgradeMs, connectionsCheckingInterval: Math.max(100, Math.floor(upgradeMs / 4)) }, (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('this is the opraft RPC port: WebSocket only\n');
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.opts.maxFrameBytes, perMessageDeflate: false });
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req.socket.remoteAddress, wss, req, socket, head));
    server.on('clientError', (err: Error & { code?: string }, socket) => {
      const client = normalizeClientAddress((socket as Partial<Socket>).remoteAddress);
      const extra = err.code === 'ECONNRESET' ? undefined : this.limiter.allow(`clientError:${client}`);
      if (extra) {
        const why = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? `no WebSocket upgrade within ${upgradeMs} ms` : `not an HTTP/WebSocket request (${err.code ?? err.message})`;
        this.opts.logger.warn({ client, code: err.code, ...extra }, `transport: dropped a connection from ${client}: ${why}`);
      }
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(new Error(`transport: cannot listen on ${this.opts.host ?? '*'}:${this.boundPort}: ${err.message}`));
      };
      server.once('error', onError);
      server.listen(this.boundPort, this.opts.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.opts.logger.error({ err: err.message }, 'transport: server error'));
    const addr = server.address();
    if (addr && typeof addr === 'object') this.boundPort = addr.port;
    this.server = server;
    this.wss = wss;
    this.running = true;
    const sweepMs = Math.max(50, Math.floor(this.opts.addressLinkIdleMs / 2));
    this.sweepTimer = setInterval(() => this.sweepAddressLinks(), sweepMs);
    this.sweepTimer.unref();
    this.opts.logger.info({ port: this.boundPort, node: this.localId, cluster: this.cluster }, 'transport: listening');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.sweepTimer);
    for (const link of this.peerLinks.values()) link.close('transport stopped');
    for (const link of this.addressLinks.values()) link.close('transport stopped');
    this.peerLinks.clear();
    this.addressLinks.clear();
    for (const conn of [...this.inbound]) conn.close();
    this.pending.failAll('stopped', 'the transport stopped');
    const server = this.server!;
    this.server = undefined;
    this.wss?.close();
    this.wss = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  setPeer(id: NodeId, address: string): void {
    const e = checkNodeId(id, 'peer id');
    if (e) throw new Error(`setPeer: ${e}`);
    parseAddress(address);
    if (id === this.localId) return; // Raft never sends to itself
    if (this.peers.get(id) === address) return;
    this.peers.set(id, address);
    this.peerLinks.get(id)?.close(`peer ${id} moved to ${address}`);
    this.peerLinks.delete(id);
  }

  removePeer(id: NodeId): void {
    this.peers.delete(id);
    this.peerLinks.get(id)?.close(`peer ${id} removed`);
    this.peerLinks.delete(id);
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
    if (this.cutOut.has(to)) return 'noLink';
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
    if (bytes.length > this.opts.maxFrameBytes) return 'tooLarge';
    const bulk = bytes.length > this.opts.controlMaxBytes || this.kinds.isBulk(frame);
    return this.peerLink(to, address).enqueue(bytes, bulk);
  }

  onFrame(handler: FrameHandler): void {
    if (typeof handler !== 'function') throw new Error('onFrame: handler must be a function');
    this.frameHandlers.push(handler);
  }

  onUnreachable(handler: UnreachableHandler): void {
    if (typeof handler !== 'function') throw new Error('onUnreachable: handler must be a function');
    this.unreachableHandlers.push(handler);
  }

  setClusterId(id: string): void {
    checkLocalClusterId(id);
    if (id === this.cluster) return;
    const previous = this.cluster;
    this.cluster = id;
    this.opts.logger.info({ previous, cluster: id }, 'transport: cluster id changed; re-making links');
    // Our handshakes carried the old id: re-make every outbound link under the new one.
    for (const link of this.peerLinks.values()) link.close('cluster id changed');
    for (const link of this.addressLinks.values()) link.close('cluster id changed');
    this.peerLinks.clear();
    this.addressLinks.clear();
    for (const conn of [...this.inbound]) {
      if (conn.identity && clustersConflict(id, conn.identity.cluster)) {
        this.counters.handshakesRejected.cluster++;
        this.opts.logger.warn(
          { peer: conn.identity.node, client: conn.client, localCluster: id, peerCluster: conn.identity.cluster },
          `transport: closing the connection from ${conn.identity.node}: it is in cluster ${conn.identity.cluster}, this node now in ${id}`,
        );
        conn.close(4001, 'cluster id changed');
      }
    }
  }

  registerKind(t: string, kind: FrameKind): void {
    this.kinds.register(t, kind);
  }

  async identify(address: string): Promise<PeerIdentity> {
    parseAddress(address);
    if (!this.running) throw new Error('identify: the transport is not running');
    const link = this.openPeerLinkAt(address) ?? this.addressLink(address);
    return link.whenOpen(this.opts.handshakeTimeoutMs);
  }

  async request(address: string, method: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const m = typeof method === 'string' ? method : String(method);
    const invalid = (why: string): RequestError => new RequestError('invalid', `request "${m}" to ${address}: ${why}`, String(address), m);
    try {
      parseAddress(address);
    } catch (err) {
      throw invalid((err as Error).message);
    }
    const e = checkMethod(method) ?? checkTimeout(timeoutMs);
    if (e) throw invalid(e);
    if (!this.running) throw new RequestError('stopped', `request "${method}" to ${address}: the transport is not running`, address, method);
    if (this.cutOut.size > 0 && [...this.cutOut].some((id) => this.peers.get(id) === address)) {
      throw new RequestError('unreachable', `request "${method}" to ${address}: partitioned (test fault)`, address, method, true);
    }
    const link = this.openPeerLinkAt(address) ?? this.addressLink(address);
    const { id, promise } = this.pending.open(method, address, timeoutMs, link.key);
    let bytes: Buffer;
    try {
      bytes = encodeFrame({ t: 'req', id, method, body });
    } catch (err) {
      this.pending.fail(id, 'invalid', (err as Error).message);
      return promise;
    }
    if (bytes.length > this.opts.maxFrameBytes) {
      this.pending.fail(id, 'invalid', `the request is ${bytes.length} bytes, over the ${this.opts.maxFrameBytes}-byte frame limit`);
      return promise;
    }
    const reason = link.enqueue(bytes, bytes.length > this.opts.controlMaxBytes);
    if (reason !== undefined) {
      this.counters.dropped[reason]++;
      this.pending.fail(id, 'unreachable', reason === 'queueFull' ? 'the send queue is full' : `no link (${reason})`, true);
    }
    return promise;
  }

  handle(method: string, fn: RequestHandler): void {
    this.handlers.register(method, (body, from) => {
      if (this.cutIn.has(from.node)) throw new Error('partitioned (test fault)');
      return fn(body, from);
    });
  }

  /**
   * Test fault (drills and chaos tests; the agent exposes it only with OPRAFT_TEST_FAULTS=1): every
   * frame and request to or from these nodes is dropped, as if the network between us were cut.
   * Applied on both sides it is a symmetric partition; an empty list heals it.
   */
  setPartitioned(nodes: Iterable<NodeId>): void {
    const set = [...nodes];
    this.setCut({ in: set, out: set });
  }

  /**
   * Test fault, one-way: `out` drops what we send to those nodes (frames and our requests), `in`
   * drops what they send us (frames and their requests; answers to our own requests still come
   * back on our links). Each call replaces the whole cut; empty lists heal.
   */
  setCut(cut: { in: Iterable<NodeId>; out: Iterable<NodeId> }): void {
    this.cutIn = new Set(cut.in);
    this.cutOut = new Set(cut.out);
    this.opts.logger.warn({ cutIn: [...this.cutIn], cutOut: [...this.cutOut] }, 'transport: test partition set');
  }

  /** Nodes cut off in either direction. */
  get partitionedFrom(): NodeId[] {
    return [...new Set([...this.cutIn, ...this.cutOut])];
  }

  get cut(): { in: NodeId[]; out: NodeId[] } {
    return { in: [...this.cutIn], out: [...this.cutOut] };
  }

  stats(): TransportStats {
    const peers: Record<NodeId, PeerLinkStats> = {};
    for (const [id, address] of this.peers) {
      peers[id] = this.peerLinks.get(id)?.stats() ?? { address, state: 'idle', queuedFrames: 0, queuedBytes: 0, bufferedBytes: 0, failures: 0 };
    }
    let open = 0;
    for (const conn of this.inbound) if (conn.phase === 'open') open++;
    return { ...copyCounters(this.counters), inboundConnections: open, peers };
  }

  // ---------------------------------------------------------------- internals

  private peerLink(id: NodeId, address: string): OutboundLink {
    let link = this.peerLinks.get(id);
    if (!link || link.isClosed) {
      link = new OutboundLink(`peer:${id}`, address, id, true, this.linkCtx);
      this.peerLinks.set(id, link);
    }
    return link;
  }

  /** An open peer link to `address`: requests to a known peer reuse its link. */
  private openPeerLinkAt(address: string): OutboundLink | undefined {
    for (const link of this.peerLinks.values()) if (link.address === address && link.state === 'open') return link;
    return undefined;
  }

  private addressLink(address: string): OutboundLink {
    let link = this.addressLinks.get(address);
    if (!link || link.isClosed) {
      link = new OutboundLink(`addr:${address}`, address, undefined, false, this.linkCtx);
      this.addressLinks.set(address, link);
    }
    return link;
  }

  private sweepAddressLinks(): void {
    const now = Date.now();
    for (const [address, link] of this.addressLinks) {
      if (link.isClosed) this.addressLinks.delete(address);
      else if (now - link.lastUsed > this.opts.addressLinkIdleMs && this.pending.countOn(link.key) === 0) {
        link.close('idle');
        this.addressLinks.delete(address);
      }
    }
  }

  private onLinkFailed(link: OutboundLink): void {
    if (link.expected !== undefined && this.peerLinks.get(link.expected) === link) this.emitUnreachable(link.expected);
    if (this.addressLinks.get(link.address) === link && link.isClosed) this.addressLinks.delete(link.address);
  }

  private emitUnreachable(peer: NodeId): void {
    for (const h of this.unreachableHandlers) {
      try {
        h(peer);
      } catch (err) {
        this.opts.logger.error({ peer, err: (err as Error).message }, 'transport: unreachable handler threw');
      }
    }
  }

  private deliver(from: NodeId, frame: Frame): void {
    if (this.cutIn.has(from)) return;
    for (const h of this.frameHandlers) {
      try {
        h(from, frame);
      } catch (err) {
        this.counters.rejected.handlerError++;
        const extra = this.limiter.allow(`handler:${frame.t}`);
        if (extra) this.opts.logger.error({ peer: from, kind: frame.t, err: (err as Error).message, ...extra }, 'transport: a frame handler threw');
      }
    }
  }

  private onUpgrade(remote: string | undefined, wss: WebSocketServer, req: import('node:http').IncomingMessage, socket: Duplex, head: Buffer): void {
    const client = normalizeClientAddress(remote);
    const count = this.connsPerClient.get(client) ?? 0;
    if (!this.running || count >= this.opts.maxConnsPerClient) {
      if (this.running) {
        this.counters.connectionsRefused++;
        const extra = this.limiter.allow(`connlimit:${client}`);
        if (extra) {
          this.opts.logger.warn({ client, limit: this.opts.maxConnsPerClient, ...extra }, `transport: refused a connection from ${client}: at the limit of ${this.opts.maxConnsPerClient} connections per client address`);
        }
      }
      socket.on('error', () => {});
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    // Counted from the upgrade on, so a burst of dials cannot overshoot the limit.
    this.connsPerClient.set(client, count + 1);
    let counted = true;
    const release = (): void => {
      if (!counted) return;
      counted = false;
      const n = (this.connsPerClient.get(client) ?? 1) - 1;
      if (n <= 0) this.connsPerClient.delete(client);
      else this.connsPerClient.set(client, n);
    };
    socket.once('close', release);
    socket.on('error', () => {});
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (!this.running) {
        ws.terminate();
        return;
      }
      this.inbound.add(new InboundConnection(ws, client, this.inboundCtx));
    });
  }

  private onInboundClosed(conn: InboundConnection): void {
    this.inbound.delete(conn);
  }
}
