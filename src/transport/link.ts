// One outbound link: a WebSocket this node dials to a peer (or to a bare address, for requests),
// the dialer's side of the handshake, a two-lane bounded send queue, and reconnect with back-off.
//
// Outbound links carry our frames out; the only frames accepted back on them are responses to
// our requests. The peer's frames to us arrive on its own outbound link (our inbound connection).

import WebSocket from 'ws';
import { backoffDelay } from './backoff.ts';
import { CodecError, decodeFrame, encodeFrame } from './codec.ts';
import { checkWelcome, makeHello, makeRefuse, parseRefuse, type Hello, type LocalIdentity, type Refusal } from './handshake.ts';
import type { LogLimiter } from './log.ts';
import type { ResolvedWsOptions } from './options.ts';
import { SendQueue } from './queue.ts';
import { parseResponse, type PendingRequests } from './rpc.ts';
import type { Counters } from './stats.ts';
import type { NodeId, PeerIdentity, PeerLinkStats, SendDropReason } from './types.ts';
import { wsUrl, parseAddress } from './address.ts';

/** What a link needs from its transport. */
export interface LinkContext {
  readonly opts: ResolvedWsOptions;
  readonly counters: Counters;
  readonly limiter: LogLimiter;
  readonly pending: PendingRequests;
  local(): LocalIdentity;
  /** The link failed (dial, handshake or open link); `peer` is set for peer links. */
  linkFailed(link: OutboundLink, error: string): void;
}

type State = PeerLinkStats['state'];
const noop = (): void => {};

/** Closes a socket without ever letting a late socket error become an uncaught exception. */
export function closeSocket(ws: WebSocket, code?: number, reason = ''): void {
  ws.removeAllListeners();
  ws.on('error', noop);
  if (code !== undefined && ws.readyState === WebSocket.OPEN) {
    ws.close(code, reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 123));
    setTimeout(() => ws.terminate(), 1000).unref();
  } else {
    ws.terminate();
  }
}

export class OutboundLink {
  state: State = 'idle';
  failures = 0;
  identity: PeerIdentity | undefined;
  lastUsed = Date.now();
  private readonly queue: SendQueue;
  private ws: WebSocket | undefined;
  private phase: 'hello' | 'open' = 'hello';
  private hello: Hello | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  /** A send was attempted while backing off: redial when the back-off ends. */
  private wanted = false;
  private closed = false;
  private inflightBulk = 0;
  private openWaiters: { resolve(id: PeerIdentity): void; reject(e: Error): void }[] = [];

  /**
   * @param key unique among the transport's links ("peer:<id>" or "addr:<address>")
   * @param expected the node id we mean to reach (undefined for a bare address)
   * @param redial whether to redial after a failure (peer links) or just close (address links)
   */
  constructor(
    readonly key: string,
    readonly address: string,
    readonly expected: NodeId | undefined,
    private readonly redial: boolean,
    private readonly ctx: LinkContext,
  ) {
    this.queue = new SendQueue({ maxControlFrames: ctx.opts.maxQueueFrames, maxBulkBytes: ctx.opts.maxQueueBytes });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues an encoded frame; the drop reason when it was not queued. */
  enqueue(bytes: Buffer, bulk: boolean): SendDropReason | undefined {
    if (this.closed) return 'linkLost';
    this.lastUsed = Date.now();
    if (this.state === 'backoff') {
      this.wanted = true;
      return 'noLink';
    }
    if (!this.queue.push(bytes, bulk)) return 'queueFull';
    if (this.state === 'idle') this.connect();
    else if (this.state === 'open') this.pump();
    return undefined;
  }

  /** Resolves with the peer's identity once the handshake is done (dialling if idle). */
  whenOpen(timeoutMs: number): Promise<PeerIdentity> {
    if (this.closed) return Promise.reject(new Error(`link to ${this.address} is closed`));
    if (this.state === 'open' && this.identity) return Promise.resolve(this.identity);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.openWaiters = this.openWaiters.filter((w) => w !== waiter);
        reject(new Error(`no handshake with ${this.address} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: (id: PeerIdentity) => (clearTimeout(timer), resolve(id)),
        reject: (e: Error) => (clearTimeout(timer), reject(e)),
      };
      this.openWaiters.push(waiter);
      if (this.state === 'idle') this.connect();
      else if (this.state === 'backoff') this.wanted = true;
    });
  }

  stats(): PeerLinkStats {
    return {
      address: this.address,
      state: this.state,
      queuedFrames: this.queue.frames,
      queuedBytes: this.queue.bytes,
      bufferedBytes: this.ws?.bufferedAmount ?? 0,
      failures: this.failures,
    };
  }

  /** Closes for good: drops the queue, fails waiters and requests on this link. */
  close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.backoffTimer);
    this.teardown();
    this.state = 'idle';
    this.ctx.counters.dropped.linkLost += this.queue.clear();
    this.ctx.pending.failLink(this.key, 'unreachable', `link closed: ${why}`, this.phase !== 'open');
    this.rejectWaiters(new Error(`link to ${this.address} closed: ${why}`));
  }

  // ---------------------------------------------------------------- connection

  private connect(): void {
    if (this.closed) return;
    this.state = 'connecting';
    this.phase = 'hello';
    this.identity = undefined;
    const { opts } = this.ctx;
    let ws: WebSocket;
    try {
      ws = new WebSocket(wsUrl(parseAddress(this.address)), {
        perMessageDeflate: false,
        maxPayload: opts.maxFrameBytes,
        handshakeTimeout: opts.handshakeTimeoutMs,
      });
    } catch (err) {
      // Only a bad URL throws here, and addresses are checked before a link is made.
      queueMicrotask(() => this.fail(`cannot dial: ${(err as Error).message}`));
      return;
    }
    this.ws = ws;
    let lastError = '';
    this.handshakeTimer = setTimeout(() => {
      this.ctx.counters.handshakesRejected.timeout++;
      this.fail(`no handshake within ${opts.handshakeTimeoutMs} ms`);
    }, opts.handshakeTimeoutMs);
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.hello = makeHello(this.ctx.local());
      ws.send(encodeFrame(this.hello));
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws) return;
      try {
        this.onMessage(data as Buffer, isBinary);
      } catch (err) {
        // Defensive: a bug here must cost one link, not the process.
        this.fail(`error handling a frame: ${(err as Error).message}`);
      }
    });
    ws.on('error', (err) => {
      lastError = err.message;
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      const text = reason.length > 0 ? reason.toString('utf8') : lastError || 'connection closed';
      this.fail(`${text} (code ${code})`);
    });
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    let value: unknown;
    try {
      if (!isBinary) throw new CodecError('text message');
      value = decodeFrame(data);
    } catch (err) {
      this.ctx.counters.rejected.undecodable++;
      if (this.phase === 'hello') this.fail(`undecodable handshake answer: ${(err as Error).message}`);
      return;
    }
    if (this.phase === 'hello') {
      this.onWelcome(value);
      return;
    }
    const res = parseResponse(value);
    if (typeof res === 'string') {
      this.ctx.counters.rejected.unexpected++;
      this.logReject('unexpected', res);
      return;
    }
    this.ctx.counters.framesReceived++;
    this.ctx.counters.bytesReceived += data.length;
    this.ctx.pending.settle(res);
  }

  private onWelcome(value: unknown): void {
    const local = this.ctx.local();
    const refused = parseRefuse(value);
    if (refused) {
      // The acceptor refused us. A cluster or key conflict is mutual: we count it too.
      if (refused.reason === 'cluster' || refused.reason === 'encrypt') this.ctx.counters.handshakesRejected[refused.reason]++;
      this.ctx.opts.logger.warn(
        { peer: this.expected, address: this.address, reason: refused.reason, localCluster: local.cluster, peerCluster: refused.cluster, peerNode: refused.node },
        `transport: handshake refused by ${this.address}: ${refused.error}`,
      );
      this.fail(`handshake refused by the peer (${refused.reason}): ${refused.error}`, true);
      return;
    }
    const result = checkWelcome(value, this.hello!, local, this.expected);
    if ('reason' in result) {
      this.refuse(result, local);
      return;
    }
    if (result.proof) this.ws!.send(encodeFrame(result.proof));
    clearTimeout(this.handshakeTimer);
    this.identity = { node: result.welcome.node, cluster: result.welcome.cluster };
    this.phase = 'open';
    this.state = 'open';
    this.failures = 0;
    const waiters = this.openWaiters;
    this.openWaiters = [];
    for (const w of waiters) w.resolve(this.identity);
    this.pump();
  }

  private refuse(refusal: Refusal, local: LocalIdentity): void {
    this.ctx.counters.handshakesRejected[refusal.reason]++;
    this.ctx.opts.logger.warn(
      { peer: this.expected, address: this.address, reason: refusal.reason, localCluster: local.cluster },
      `transport: refused the handshake with ${this.address}: ${refusal.error}`,
    );
    try {
      this.ws?.send(encodeFrame(makeRefuse(local, refusal)));
    } catch {
      // the socket is going away anyway
    }
    this.fail(`handshake refused (${refusal.reason}): ${refusal.error}`, true, true);
  }

  /** Writes queued frames: every control frame, then bulk frames while few bulk bytes are unflushed. */
  private pump(): void {
    const ws = this.ws;
    if (this.state !== 'open' || !ws) return;
    const { counters } = this.ctx;
    for (let b = this.queue.shiftControl(); b; b = this.queue.shiftControl()) {
      ws.send(b);
      counters.framesSent++;
      counters.bytesSent += b.length;
    }
    while (this.queue.hasBulk && (this.inflightBulk === 0 || this.inflightBulk < this.ctx.opts.socketHighWaterBytes)) {
      const b = this.queue.shiftBulk()!;
      this.inflightBulk += b.length;
      counters.framesSent++;
      counters.bytesSent += b.length;
      ws.send(b, () => {
        if (this.ws !== ws) return;
        this.inflightBulk -= b.length;
        this.pump();
      });
    }
  }

  /** Ends a back-off now (the peer is known to be up) and redials; a no-op in any other state. */
  retryNow(): void {
    if (this.closed || this.state !== 'backoff') return;
    clearTimeout(this.backoffTimer);
    this.state = 'idle';
    this.connect();
  }

  /** The link failed: drop the queue, fail requests, then back off (peer links) or close (address links). */
  private fail(error: string, quiet = false, graceful = false): void {
    if (this.closed || this.state === 'backoff') return;
    this.teardown(graceful);
    this.failures++;
    const { counters } = this.ctx;
    counters.linkFailures++;
    counters.dropped.linkLost += this.queue.clear();
    // Frames go out only once the handshake is done: before it, no request on this link was sent.
    this.ctx.pending.failLink(this.key, 'unreachable', error, this.phase !== 'open');
    this.rejectWaiters(new Error(`cannot reach ${this.address}: ${error}`));
    if (!quiet) {
      const extra = this.ctx.limiter.allow(`link:${this.key}`);
      // The first failure is news; the retries of a peer that stays down are not.
      const log = this.failures === 1 ? this.ctx.opts.logger.warn : this.ctx.opts.logger.debug;
      if (extra) log.call(this.ctx.opts.logger, { peer: this.expected, address: this.address, failures: this.failures, ...extra }, `transport: link to ${this.address} failed: ${error}`);
    }
    if (!this.redial) {
      this.closed = true;
      this.state = 'idle';
      this.ctx.linkFailed(this, error);
      return;
    }
    this.state = 'backoff';
    this.wanted = false;
    this.ctx.linkFailed(this, error);
    const delay = backoffDelay(this.failures, this.ctx.opts.backoff, this.ctx.opts.random);
    this.backoffTimer = setTimeout(() => {
      if (this.closed) return;
      this.state = 'idle';
      if (this.wanted || this.openWaiters.length > 0) this.connect();
    }, delay);
    this.backoffTimer.unref?.();
  }

  /** Drops the socket; `graceful` lets a just-sent refusal reach the peer before the close. */
  private teardown(graceful = false): void {
    clearTimeout(this.handshakeTimer);
    this.inflightBulk = 0;
    const ws = this.ws;
    this.ws = undefined;
    if (ws) closeSocket(ws, graceful ? 4001 : undefined);
  }

  private rejectWaiters(err: Error): void {
    const waiters = this.openWaiters;
    this.openWaiters = [];
    for (const w of waiters) w.reject(err);
  }

  private logReject(reason: string, error: string): void {
    const extra = this.ctx.limiter.allow(`reject:${reason}:${this.address}`);
    if (extra) this.ctx.opts.logger.warn({ address: this.address, reason, ...extra }, `transport: dropped a frame from ${this.address}: ${error}`);
  }
}
