// Shapes shared by the membership layer: members, the RPC port it talks over, and the clock.

/** Serf's statuses as Nomad reports them. `leaving` is only ever local (a server while it leaves). */
export type MemberStatus = 'alive' | 'leaving' | 'failed' | 'left';

export const MEMBER_STATUSES: readonly MemberStatus[] = ['alive', 'leaving', 'failed', 'left'];

/** One server as the membership layer knows it. Plain data: safe to copy, encode or log. */
export interface Member {
  /** `<node_name>.<region>`: the key of the member list. */
  name: string;
  /** The server's node id (also its Raft id). */
  id: string;
  /** IP address of the RPC port. */
  addr: string;
  /** The RPC port. */
  port: number;
  status: MemberStatus;
  /** Only the member itself raises it (on restart or to refute news about itself): newer news wins. */
  incarnation: number;
  tags: Record<string, string>;
}

/** A member that was removed (reaped or pruned): news at or below `incarnation` cannot bring it back. */
export interface Tombstone {
  name: string;
  incarnation: number;
}

/**
 * What the membership layer needs from the RPC port. The real transport provides exactly this;
 * tests use an in-memory fake. A handler's thrown error reaches the caller as a rejection.
 */
export interface RpcEndpoint {
  request(address: string, method: string, body: unknown, timeoutMs: number): Promise<unknown>;
  handle(method: string, fn: (body: unknown) => Promise<unknown> | unknown): void;
}

/** Pino-compatible logger: only the `(object, message)` form is used. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Timer functions, injectable so tests control time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout(fn, ms) {
    const h = setTimeout(fn, ms);
    // Membership timers must never keep a process alive on their own.
    h.unref?.();
    return h;
  },
  clearTimeout(h) {
    clearTimeout(h as ReturnType<typeof setTimeout>);
  },
};

/** RPC method names served by the membership layer. */
export const RPC = {
  ping: 'Membership.Ping',
  indirectPing: 'Membership.IndirectPing',
  pushPull: 'Membership.PushPull',
} as const;

/** Errors from the membership API that the caller may map to answers (unknown member, bad state). */
export class MembershipError extends Error {
  constructor(
    readonly code: 'unknown-member' | 'invalid-argument' | 'not-running' | 'self',
    message: string,
  ) {
    super(message);
    this.name = 'MembershipError';
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
