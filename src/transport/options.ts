// WsTransport options: defaults (Part A §13 limits) and validation with errors naming the option.

import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import { checkLocalClusterId, parseEncryptKey } from './handshake.ts';
import { silentLogger } from './log.ts';
import type { Logger, NodeId } from './types.ts';
import { checkNodeId } from './validate.ts';

export const DEFAULT_RPC_PORT = 4647;
/** Part A §13: RPC frames at most 8 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** Part A §13: at most 100 RPC connections per client address. */
export const DEFAULT_MAX_CONNS_PER_CLIENT = 100;

export interface WsTransportOptions {
  localId: NodeId;
  /** Port to listen on (default 4647; 0 picks a free one, kept across stop/start). */
  port?: number;
  /** Address to bind (default all interfaces). */
  host?: string;
  /** Cluster id at start ('' = never joined). */
  clusterId?: string;
  /** `server { encrypt }`: base64 of 32 bytes. */
  encrypt?: string;
  maxFrameBytes?: number;
  maxConnsPerClient?: number;
  /** Per peer: most control frames waiting (default 1024). */
  maxQueueFrames?: number;
  /** Per peer: most bytes of bulk frames waiting (default 32 MiB). */
  maxQueueBytes?: number;
  /** Bulk frames are written only while less than this many of their bytes are unflushed (default 1 MiB). */
  socketHighWaterBytes?: number;
  /** Frames bigger than this go to the bulk lane whatever their kind (default 64 KiB). */
  controlMaxBytes?: number;
  /** Time to complete a handshake (default 5 s). */
  handshakeTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** A link opened only for requests/identify closes after this long without a request (default 30 s). */
  addressLinkIdleMs?: number;
  /** Requests served at once per inbound connection (default 64). */
  maxConcurrentRequests?: number;
  logger?: Logger;
  random?: () => number;
}

export interface ResolvedWsOptions {
  localId: NodeId;
  port: number;
  host: string | undefined;
  clusterId: string;
  key: Buffer | undefined;
  maxFrameBytes: number;
  maxConnsPerClient: number;
  maxQueueFrames: number;
  maxQueueBytes: number;
  socketHighWaterBytes: number;
  controlMaxBytes: number;
  handshakeTimeoutMs: number;
  backoff: BackoffOptions;
  addressLinkIdleMs: number;
  maxConcurrentRequests: number;
  logger: Logger;
  random: () => number;
}

function positiveInt(name: string, v: unknown, dflt: number, max = 2 ** 31 - 1): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0 || v > max) {
    throw new Error(`transport option ${name} must be a positive integer up to ${max} (got ${String(v)})`);
  }
  return v;
}

export function resolveWsOptions(o: WsTransportOptions): ResolvedWsOptions {
  if (typeof o !== 'object' || o === null) throw new Error('transport options must be an object');
  const idErr = checkNodeId(o.localId, 'transport option localId');
  if (idErr) throw new Error(idErr);
  let port = DEFAULT_RPC_PORT;
  if (o.port !== undefined) {
    if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
      throw new Error(`transport option port must be an integer in 0-65535 (got ${String(o.port)})`);
    }
    port = o.port;
  }
  if (o.host !== undefined && (typeof o.host !== 'string' || o.host.length === 0)) {
    throw new Error('transport option host must be a non-empty string');
  }
  const backoff = o.backoff ?? DEFAULT_BACKOFF;
  const initialMs = positiveInt('backoff.initialMs', backoff.initialMs, DEFAULT_BACKOFF.initialMs);
  const maxMs = positiveInt('backoff.maxMs', backoff.maxMs, DEFAULT_BACKOFF.maxMs);
  if (maxMs < initialMs) throw new Error('transport option backoff.maxMs must be at least backoff.initialMs');
  if (o.random !== undefined && typeof o.random !== 'function') throw new Error('transport option random must be a function');
  return {
    localId: o.localId,
    port,
    host: o.host,
    clusterId: checkLocalClusterId(o.clusterId ?? ''),
    key: o.encrypt === undefined ? undefined : parseEncryptKey(o.encrypt),
    maxFrameBytes: positiveInt('maxFrameBytes', o.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 1024 * 1024 * 1024),
    maxConnsPerClient: positiveInt('maxConnsPerClient', o.maxConnsPerClient, DEFAULT_MAX_CONNS_PER_CLIENT),
    maxQueueFrames: positiveInt('maxQueueFrames', o.maxQueueFrames, 1024),
    maxQueueBytes: positiveInt('maxQueueBytes', o.maxQueueBytes, 32 * 1024 * 1024),
    socketHighWaterBytes: positiveInt('socketHighWaterBytes', o.socketHighWaterBytes, 1024 * 1024),
    controlMaxBytes: positiveInt('controlMaxBytes', o.controlMaxBytes, 64 * 1024),
    handshakeTimeoutMs: positiveInt('handshakeTimeoutMs', o.handshakeTimeoutMs, 5000),
    backoff: { initialMs, maxMs },
    addressLinkIdleMs: positiveInt('addressLinkIdleMs', o.addressLinkIdleMs, 30_000),
    maxConcurrentRequests: positiveInt('maxConcurrentRequests', o.maxConcurrentRequests, 64),
    logger: o.logger ?? silentLogger,
    random: o.random ?? Math.random,
  };
}
