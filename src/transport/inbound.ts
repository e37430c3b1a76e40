// One inbound connection: the acceptor's side of the handshake, then every incoming frame is
// decoded, checked (frames.ts) and handed to the transport; requests are served and answered on
// this same connection. Nothing a peer sends can throw out of here: every failure is a counted,
// rate-limited log line, and at worst the connection is closed.

import type WebSocket from 'ws';
import { CodecError, decodeFrame, encodeFrame } from './codec.ts';
import type { FrameKinds } from './frames.ts';
import { acceptHello, checkProof, makeRefuse, parseRefuse, type LocalIdentity, type Refusal } from './handshake.ts';
import { closeSocket } from './link.ts';
import type { LogLimiter } from './log.ts';
import type { ResolvedWsOptions } from './options.ts';
import { errorResponse, parseRequest, type RequestHandlers, type ResponseFrame } from './rpc.ts';
import type { Counters } from './stats.ts';
import type { Frame, InboundRejectReason, NodeId, PeerIdentity } from './types.ts';
import { isPlainObject } from './validate.ts';

export interface InboundContext {
  readonly opts: ResolvedWsOptions;
  readonly counters: Counters;
  readonly limiter: LogLimiter;
  readonly kinds: FrameKinds;
  readonly handlers: RequestHandlers;
  local(): LocalIdentity;
  /** An accepted frame for the frame handlers. */
  deliver(from: NodeId, frame: Frame): void;
  /** The connection went away (any phase). */
  closed(conn: InboundConnection): void;
  /** A peer completed a handshake with us: it is up (again). */
  peerUp(node: NodeId): void;
}

export class InboundConnection {
  phase: 'hello' | 'proof' | 'open' = 'hello';
  identity: PeerIdentity | undefined;
  private expectedProof: Buffer | undefined;
  private readonly timer: NodeJS.Timeout;
  private requestsInFlight = 0;
  private done = false;

  constructor(
    private readonly ws: WebSocket,
    readonly client: string,
    private readonly ctx: InboundContext,
  ) {
    this.timer = setTimeout(() => {
      ctx.counters.handshakesRejected.timeout++;
      this.log('handshake', `no handshake from ${client} within ${ctx.opts.handshakeTimeoutMs} ms`);
      this.close();
    }, ctx.opts.handshakeTimeoutMs);
    ws.on('message', (data, isBinary) => {
      try {
        this.onMessage(data as Buffer, isBinary);
      } catch (err) {
        // Defensive: a bug here must cost one connection, not the process.
        this.log('internal', `error handling a frame from ${client}: ${(err as Error).message}`);
        this.close();
      }
    });
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.reject('oversized', `frame over the ${ctx.opts.maxFrameBytes}-byte limit; closing the connection`);
      } else {
        this.log('socket', `connection from ${client}: ${err.message}`);
      }
    });
    ws.on('close', () => this.finish());
  }

  /** Closes the connection (e.g. its cluster id no longer matches ours). */
  close(code?: number, reason?: string): void {
    closeSocket(this.ws, code, reason);
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.ctx.closed(this);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.done) return;
    let value: unknown;
    try {
      if (!isBinary) throw new CodecError('a text message (frames are binary msgpack)');
      value = decodeFrame(data);
    } catch (err) {
      this.reject('undecodable', (err as Error).message);
      if (this.phase !== 'open') this.close();
      return;
    }
    if (this.phase === 'hello') return this.onHello(value);
    if (this.phase === 'proof') return this.onProof(value);
    if (isPlainObject(value) && value.t === 'req') return this.onRequest(value, data.length);
    const checked = this.ctx.kinds.checkIncoming(value, this.identity!.node, this.ctx.opts.localId);
    if ('reason' in checked) {
      this.reject(checked.reason, checked.error);
      return;
    }
    this.ctx.counters.framesReceived++;
    this.ctx.counters.bytesReceived += data.length;
    this.ctx.deliver(this.identity!.node, checked.frame);
  }

  /** The dialer refused our welcome (say, our proof of the key was wrong): log it and close. */
  private onRefused(value: unknown): boolean {
    const refused = parseRefuse(value);
    if (!refused) return false;
    if (refused.reason === 'cluster' || refused.reason === 'encrypt') this.ctx.counters.handshakesRejected[refused.reason]++;
    const extra = this.ctx.limiter.allow(`refused:${this.client}`);
    if (extra) {
      this.ctx.opts.logger.warn(
        { client: this.client, reason: refused.reason, localCluster: this.ctx.local().cluster, peerCluster: refused.cluster, peerNode: refused.node, ...extra },
        `transport: the dialer at ${this.client} refused the handshake: ${refused.error}`,
      );
    }
    this.close();
    return true;
  }

  private onHello(value: unknown): void {
    if (isPlainObject(value) && typeof value.t === 'string' && value.t !== 'hello') {
      this.reject('beforeHandshake', `a "${value.t.slice(0, 64)}" frame before the handshake; closing the connection`);
      this.close();
      return;
    }
    const local = this.ctx.local();
    const result = acceptHello(value, local);
    if ('reason' in result) return this.refuse(result, local, isPlainObject(value) ? value : undefined);
    this.ws.send(encodeFrame(result.welcome));
    this.identity = { node: result.hello.node, cluster: result.hello.cluster };
    if (result.expectedProof) {
      this.expectedProof = result.expectedProof;
      this.phase = 'proof';
    } else {
      this.established();
    }
  }

  private onProof(value: unknown): void {
    if (this.onRefused(value)) return;
    const refusal = checkProof(value, this.expectedProof!);
    if (refusal) return this.refuse(refusal, this.ctx.local(), undefined);
    this.established();
  }

  private established(): void {
    clearTimeout(this.timer);
    this.phase = 'open';
    this.ctx.opts.logger.debug({ peer: this.identity!.node, client: this.client, cluster: this.identity!.cluster }, 'transport: inbound connection open');
    this.ctx.peerUp(this.identity!.node);
  }

  private refuse(refusal: Refusal, local: LocalIdentity, hello: Record<string, unknown> | undefined): void {
    this.ctx.counters.handshakesRejected[refusal.reason]++;
    const extra = this.ctx.limiter.allow(`handshake:${refusal.reason}:${this.client}`);
    if (extra) {
      this.ctx.opts.logger.warn(
        {
          client: this.client,
          reason: refusal.reason,
          localCluster: local.cluster,
          peerCluster: typeof hello?.cluster === 'string' ? hello.cluster : undefined,
          peerNode: typeof hello?.node === 'string' ? hello.node : undefined,
          ...extra,
        },
        `transport: refused a handshake from ${this.client}: ${refusal.error}`,
      );
    }
    try {
      this.ws.send(encodeFrame(makeRefuse(local, refusal)));
    } catch {
      // the socket is going away anyway
    }
    this.close(4001, `handshake refused: ${refusal.reason}`);
  }

  private onRequest(value: Record<string, unknown>, size: number): void {
    const req = parseRequest(value);
    if (typeof req === 'string') {
      this.reject('invalid', req);
      return;
    }
    this.ctx.counters.framesReceived++;
    this.ctx.counters.bytesReceived += size;
    if (this.requestsInFlight >= this.ctx.opts.maxConcurrentRequests) {
      this.reply(errorResponse(req.id, `too many concurrent requests (limit ${this.ctx.opts.maxConcurrentRequests})`));
      return;
    }
    this.requestsInFlight++;
    void this.ctx.handlers.serve(req, this.identity!).then((res) => {
      this.requestsInFlight--;
      this.reply(res);
    });
  }

  private reply(res: ResponseFrame): void {
    if (this.done || this.ws.readyState !== this.ws.OPEN) return;
    let bytes: Buffer;
    try {
      bytes = encodeFrame(res);
    } catch (err) {
      bytes = encodeFrame(errorResponse(res.id, `the response does not encode: ${(err as Error).message}`));
    }
    if (bytes.length > this.ctx.opts.maxFrameBytes) {
      bytes = encodeFrame(errorResponse(res.id, `the response is ${bytes.length} bytes, over the ${this.ctx.opts.maxFrameBytes}-byte frame limit`));
    }
    this.ws.send(bytes);
    this.ctx.counters.framesSent++;
    this.ctx.counters.bytesSent += bytes.length;
  }

  private reject(reason: InboundRejectReason, error: string): void {
    this.ctx.counters.rejected[reason]++;
    const extra = this.ctx.limiter.allow(`reject:${reason}:${this.client}`);
    if (extra) {
      this.ctx.opts.logger.warn({ client: this.client, peer: this.identity?.node, reason, ...extra }, `transport: dropped a frame from ${this.client}: ${error}`);
    }
  }

  private log(key: string, msg: string): void {
    const extra = this.ctx.limiter.allow(`${key}:${this.client}`);
    if (extra) this.ctx.opts.logger.warn({ client: this.client, ...extra }, `transport: ${msg}`);
  }
}
