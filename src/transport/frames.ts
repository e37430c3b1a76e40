// The kinds of frames a node accepts, and the checks every incoming frame passes before a handler
// sees it. Shared by the WebSocket and the in-memory transport so both refuse the same frames.

import type { Frame, FrameKind, InboundRejectReason, NodeId, RaftFrame } from './types.ts';
import { isPlainObject, validateRaftFrame } from './validate.ts';

/** Kinds the handshake uses; never delivered to handlers and not registrable. */
export const HANDSHAKE_KINDS: ReadonlySet<string> = new Set(['hello', 'welcome', 'proof', 'refuse']);
/** Kinds of the request/response layer (rpc.ts); handled by the transport itself. */
export const RPC_KINDS: ReadonlySet<string> = new Set(['req', 'res']);

const MAX_KIND_LENGTH = 64;

export const RAFT_KIND: FrameKind = {
  validate: (f) => validateRaftFrame(f),
  sender: (f) => (f as RaftFrame).m.from,
  // Appends and snapshot chunks are the only big Raft messages; keeping them in one lane keeps
  // their order (a reordered append costs the leader a probe round).
  bulk: (f) => {
    const type = (f as RaftFrame).m.type;
    return type === 'app' || type === 'snap';
  },
};

export function isRaftFrame(f: Frame): f is RaftFrame {
  return f.t === 'raft';
}

export class FrameKinds {
  private readonly kinds = new Map<string, FrameKind>([['raft', RAFT_KIND]]);

  register(t: string, kind: FrameKind): void {
    if (typeof t !== 'string' || t.length === 0 || t.length > MAX_KIND_LENGTH) {
      throw new Error(`frame kind must be a non-empty string of at most ${MAX_KIND_LENGTH} characters`);
    }
    if (HANDSHAKE_KINDS.has(t)) throw new Error(`frame kind "${t}" is reserved for the handshake`);
    if (RPC_KINDS.has(t)) throw new Error(`frame kind "${t}" is reserved for requests (use request()/handle())`);
    if (typeof kind !== 'object' || kind === null || typeof kind.validate !== 'function') {
      throw new Error(`frame kind "${t}" needs a validate(frame) function`);
    }
    if (this.kinds.has(t)) throw new Error(`frame kind "${t}" is already registered`);
    this.kinds.set(t, kind);
  }

  get(t: string): FrameKind | undefined {
    return this.kinds.get(t);
  }

  /** True when an outgoing frame belongs in the bulk lane. */
  isBulk(frame: Frame): boolean {
    const kind = this.kinds.get(frame.t);
    try {
      return kind?.bulk?.(frame) ?? false;
    } catch {
      return false;
    }
  }

  /** Whether `send()` may take this frame: a registered kind (validated on the receiving side). */
  checkOutgoing(frame: unknown): string | undefined {
    if (!isPlainObject(frame) || typeof frame.t !== 'string') return 'not a frame: expected an object with a string `t`';
    if (!this.kinds.has(frame.t)) return `frame kind "${frame.t}" is not registered`;
    return undefined;
  }

  /**
   * Checks a decoded incoming frame from `sender` (the handshake's node id) addressed to `localId`.
   * Returns the frame, or the reason and a description of what is wrong.
   */
  checkIncoming(
    value: unknown,
    sender: NodeId,
    localId: NodeId,
  ): { frame: Frame } | { reason: InboundRejectReason; error: string } {
    if (!isPlainObject(value)) return { reason: 'malformed', error: 'frame is not an object' };
    const t = value.t;
    if (typeof t !== 'string') return { reason: 'malformed', error: 'frame has no string `t`' };
    const kind = this.kinds.get(t);
    if (!kind) return { reason: 'unknownKind', error: `unknown frame kind "${t.slice(0, MAX_KIND_LENGTH)}"` };
    const frame = value as Frame;
    let error: string | undefined;
    let claimed: unknown;
    try {
      error = kind.validate(frame);
      if (error === undefined && kind.sender) claimed = kind.sender(frame);
    } catch (err) {
      error = `validator threw: ${(err as Error).message}`;
    }
    if (error !== undefined) return { reason: 'invalid', error: `${t} frame: ${error}` };
    if (claimed !== undefined && claimed !== sender) {
      return { reason: 'wrongSender', error: `${t} frame claims sender ${JSON.stringify(claimed)}, the connection is ${sender}` };
    }
    if (isRaftFrame(frame) && frame.m.to !== localId) {
      return { reason: 'misaddressed', error: `raft message addressed to ${JSON.stringify(frame.m.to)}, this node is ${localId}` };
    }
    return { frame };
  }
}
