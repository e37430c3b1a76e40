// Pending ReadIndex requests on the leader: each waits for a quorum of heartbeat acks
// carrying its context, which proves the leader was still leader when the read began.
import type { NodeId } from './types.ts';

export interface PendingRead {
  /** Who asked: this node or a follower that forwarded its client's read. */
  from: NodeId;
  context: string;
  /** The commit index when the request arrived. */
  index: number;
  acks: Set<NodeId>;
}

export class ReadIndexQueue {
  private queue: PendingRead[] = [];

  get size(): number {
    return this.queue.length;
  }

  /** Adds a request; a duplicate (same requester and context) is ignored. Returns the broadcast context. */
  add(from: NodeId, context: string, index: number, self: NodeId): string | undefined {
    if (this.queue.some((r) => r.from === from && r.context === context)) return undefined;
    this.queue.push({ from, context, index, acks: new Set([self]) });
    return roundContext(from, context);
  }

  /** Records an ack; returns the requests (in order, up to the acked one) that now have a quorum. */
  ack(from: NodeId, round: string, hasQuorum: (acks: Set<NodeId>) => boolean): PendingRead[] {
    const at = this.queue.findIndex((r) => roundContext(r.from, r.context) === round);
    if (at < 0) return [];
    const req = this.queue[at]!;
    req.acks.add(from);
    if (!hasQuorum(req.acks)) return [];
    // A quorum for this round also confirms every earlier round.
    return this.queue.splice(0, at + 1);
  }

  drain(): PendingRead[] {
    const all = this.queue;
    this.queue = [];
    return all;
  }
}

/** The context a read round travels under in heartbeats: requester plus its own context. */
export function roundContext(from: NodeId, context: string): string {
  return `${from}\u0000${context}`;
}
