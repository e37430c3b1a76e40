// The adapter between a Transport and the Raft node runtime (src/node/ports.ts MessageLink):
// Raft messages travel as frames {t:'raft', m}. Both transports already check every incoming raft
// frame (frames.ts: message shape, sender = handshake node, addressed to us); the adapter checks
// again with the same validator so no Transport implementation can hand the core a bad message.

import type { Message, NodeId } from '../raft/types.ts';
import type { MessageLink } from '../node/ports.ts';
import type { Logger, RaftFrame, Transport } from './types.ts';
import { silentLogger } from './log.ts';
import { validateMessage } from './validate.ts';

export function raftLink(transport: Transport, logger: Logger = silentLogger): MessageLink {
  const handlers: ((m: Message) => void)[] = [];
  transport.onFrame((from, frame) => {
    if (frame.t !== 'raft') return;
    const m = (frame as RaftFrame).m;
    const error = validateMessage(m);
    if (error !== undefined || m.from !== from) {
      logger.warn({ peer: from }, `transport: dropped a raft message from ${from}: ${error ?? `it claims sender ${m.from}`}`);
      return;
    }
    // The transport isolates handler errors (counted as handlerError), so one throw stays local.
    for (const h of handlers) h(m);
  });
  return {
    send(to: NodeId, m: Message): boolean {
      const frame: RaftFrame = { t: 'raft', m };
      return transport.send(to, frame);
    },
    onMessage(handler: (m: Message) => void): void {
      handlers.push(handler);
    },
    onUnreachable(handler: (peer: NodeId) => void): void {
      transport.onUnreachable(handler);
    },
  };
}
