// The transport's contract: frames between nodes, whoever carries them (WebSocket or in-memory).

import type { Message, NodeId } from '../raft/types.ts';

export type { NodeId } from '../raft/types.ts';

/**
 * A unit of transfer: a plain object whose `t` names its kind. Values must survive the codec
 * (msgpack: objects, arrays, strings, safe-integer numbers, booleans, Uint8Array; no Map, no bigint).
 */
export interface Frame {
  readonly t: string;
  readonly [field: string]: unknown;
}

/** A Raft message between two cores. */
export interface RaftFrame extends Frame {
  readonly t: 'raft';
  readonly m: Message;
}

/**
 * How the transport treats one kind of frame. Every kind a node may receive must be registered
 * (`raft` is built in); frames of an unregistered kind are dropped as unknown.
 */
export interface FrameKind {
  /** An error text naming what is wrong, or undefined when the frame is well-formed. */
  validate(frame: Frame): string | undefined;
  /** The node id the frame claims as its sender, if it names one: it must match the handshake. */
  sender?(frame: Frame): unknown;
  /**
   * Bulk frames (big, and ordered among themselves: appends, snapshot chunks) wait behind
   * control frames in the send queue, so a large frame never holds up a heartbeat or a vote.
   */
  bulk?(frame: Frame): boolean;
}

/** Pino-compatible logger: only the `(object, message)` form is used. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Why an outgoing frame was not delivered to a link. */
export type SendDropReason =
  | 'stopped' // the transport is not running
  | 'noPeer' // no address known for that node
  | 'noLink' // the link is down (backing off after a failure)
  | 'queueFull' // the peer's send queue is at its bound
  | 'tooLarge' // encoded frame over the frame limit
  | 'invalid' // not a frame of a registered kind, or it does not encode
  | 'linkLost'; // queued when the link failed or the peer was removed

/** Why an incoming frame was dropped. */
export type InboundRejectReason =
  | 'undecodable' // the bytes are not msgpack, or a text WebSocket message
  | 'malformed' // not an object with a string `t`
  | 'unknownKind' // no registered kind for `t`
  | 'invalid' // the kind's validator refused it (for raft: the message validator)
  | 'oversized' // over the frame limit (the connection is closed)
  | 'beforeHandshake' // anything but the handshake on a fresh connection (the connection is closed)
  | 'wrongSender' // the frame claims a sender other than the handshake's node id
  | 'misaddressed' // a raft message addressed to another node
  | 'unexpected' // a frame on a connection that carries none (our own outbound links)
  | 'handlerError'; // a frame handler threw (the frame was counted as received too)

/** Why a handshake failed (counted on the side that refused it). */
export type HandshakeRejectReason =
  | 'malformed' // not a valid hello / welcome / proof
  | 'version' // unsupported protocol version
  | 'cluster' // both sides have a cluster id and they differ
  | 'encrypt' // one side holds the encrypt key and the other not, or the proof is wrong
  | 'identity' // the node id is ours, or not the one we dialled
  | 'timeout'; // no answer in time

export interface PeerLinkStats {
  address: string;
  state: 'idle' | 'connecting' | 'open' | 'backoff';
  queuedFrames: number;
  queuedBytes: number;
  /** Bytes handed to the socket and not yet written to the kernel. */
  bufferedBytes: number;
  failures: number;
}

export interface TransportStats {
  /** Frames handed to a link (WebSocket) or to the network (memory). */
  framesSent: number;
  bytesSent: number;
  /** Frames accepted and passed to the frame handlers. */
  framesReceived: number;
  bytesReceived: number;
  dropped: Record<SendDropReason, number>;
  rejected: Record<InboundRejectReason, number>;
  handshakesRejected: Record<HandshakeRejectReason, number>;
  /** Connections refused because their client address was at its connection limit. */
  connectionsRefused: number;
  /** Outbound links that failed (a dial, a handshake or an open link). */
  linkFailures: number;
  /** Open inbound connections that completed the handshake. */
  inboundConnections: number;
  peers: Record<NodeId, PeerLinkStats>;
}

/** What a handshake tells about the node listening at an address. */
export interface PeerIdentity {
  node: NodeId;
  cluster: string;
}

export type FrameHandler = (from: NodeId, frame: Frame) => void;
export type UnreachableHandler = (peer: NodeId) => void;
/** Serves one request method; a thrown error travels back to the caller as its message. */
export type RequestHandler = (body: unknown, from: PeerIdentity) => Promise<unknown> | unknown;

/**
 * Carries frames between nodes. Delivery is best effort: frames may be lost (a full queue, a
 * broken link) and, across a reconnect, a frame sent before may arrive after one sent later.
 * Raft tolerates both. Between reconnects, frames of one lane arrive in the order sent.
 */
export interface Transport {
  readonly localId: NodeId;
  /** The bound port once started (an ephemeral one when configured as 0). */
  readonly port: number;
  /** Starts listening; resolves when `port` is known. */
  start(): Promise<void>;
  /** Closes everything; idempotent. A stopped transport may be started again (same port). */
  stop(): Promise<void>;
  /** Where to reach a node ("host:port"). Connects lazily, on the first send. A new address replaces the link. */
  setPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  /** Queues a frame; false when it was dropped at once (see `SendDropReason`). */
  send(to: NodeId, frame: Frame): boolean;
  /** Called for every accepted incoming frame, with the sender's handshake node id. */
  onFrame(handler: FrameHandler): void;
  /** Called when a link to a peer failed or its queue overflowed: Raft's `reportUnreachable`. */
  onUnreachable(handler: UnreachableHandler): void;
  /** Adopts the cluster id ('' = not joined). Links made under another id are re-made. */
  setClusterId(id: string): void;
  readonly clusterId: string;
  /** Accepts frames of another kind (membership probes, join requests, ...). */
  registerKind(t: string, kind: FrameKind): void;
  /** Handshakes with whatever listens at `address` and tells who it is (for joining by address). */
  identify(address: string): Promise<PeerIdentity>;
  /**
   * Sends a request to whatever listens at `address` (a known peer or not) and resolves with the
   * handler's answer. Rejects with a `RequestError` (see rpc.ts): `remote` with the handler's
   * error message, `timeout` naming the address, `unreachable` when the link failed, `invalid`
   * for bad arguments, `stopped` when the transport is not running.
   */
  request(address: string, method: string, body: unknown, timeoutMs: number): Promise<unknown>;
  /** Serves `method` for requests from any node that passes the handshake. One handler per method. */
  handle(method: string, fn: RequestHandler): void;
  stats(): TransportStats;
}
