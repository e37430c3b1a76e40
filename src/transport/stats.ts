// Counters every transport keeps, in the shape of `TransportStats`.

import type { HandshakeRejectReason, InboundRejectReason, SendDropReason, TransportStats } from './types.ts';

const SEND_DROP_REASONS: readonly SendDropReason[] = ['stopped', 'noPeer', 'noLink', 'queueFull', 'tooLarge', 'invalid', 'linkLost'];
const INBOUND_REJECT_REASONS: readonly InboundRejectReason[] = [
  'undecodable',
  'malformed',
  'unknownKind',
  'invalid',
  'oversized',
  'beforeHandshake',
  'wrongSender',
  'misaddressed',
  'unexpected',
  'handlerError',
];
const HANDSHAKE_REJECT_REASONS: readonly HandshakeRejectReason[] = ['malformed', 'version', 'cluster', 'encrypt', 'identity', 'timeout'];

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = 0;
  return out;
}

/** The mutable counters; `snapshot` adds the live parts (peers, connections). */
export type Counters = Omit<TransportStats, 'peers' | 'inboundConnections'>;

export function newCounters(): Counters {
  return {
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    bytesReceived: 0,
    dropped: zeros(SEND_DROP_REASONS),
    rejected: zeros(INBOUND_REJECT_REASONS),
    handshakesRejected: zeros(HANDSHAKE_REJECT_REASONS),
    connectionsRefused: 0,
    linkFailures: 0,
  };
}

/** A copy of the counters, so callers can diff two readings. */
export function copyCounters(c: Counters): Counters {
  return {
    ...c,
    dropped: { ...c.dropped },
    rejected: { ...c.rejected },
    handshakesRejected: { ...c.handshakesRejected },
  };
}
