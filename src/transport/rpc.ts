// Request/response over the node links, for the membership layer: join, failure-detector pings,
// "do you have Raft peers?". A request travels to an address (the node there may not be a known
// peer yet) and its response comes back over the same connection.
//
//   caller   → {t:'req', id, method, body}
//   callee   → {t:'res', id, ok:true, body} | {t:'res', id, ok:false, error}

import type { Frame, PeerIdentity, RequestHandler } from './types.ts';
import { isPlainObject } from './validate.ts';

export const MAX_METHOD_LENGTH = 128;
const MAX_ERROR_LENGTH = 4096;

export interface RequestFrame extends Frame {
  t: 'req';
  id: number;
  method: string;
  body: unknown;
}

export interface ResponseFrame extends Frame {
  t: 'res';
  id: number;
  ok: boolean;
  body?: unknown;
  error?: string;
}

export type RequestErrorCode = 'remote' | 'timeout' | 'unreachable' | 'invalid' | 'stopped';

/** How a request failed. For `remote`, `message` is exactly the handler's error message. */
export class RequestError extends Error {
  constructor(
    readonly code: RequestErrorCode,
    message: string,
    readonly address: string,
    readonly method: string,
    /** True when the request certainly never left this node (no link opened, queue refused it). */
    readonly notDelivered = false,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export function checkMethod(method: unknown): string | undefined {
  if (typeof method !== 'string' || method.length === 0) return 'method must be a non-empty string';
  if (method.length > MAX_METHOD_LENGTH) return `method is longer than ${MAX_METHOD_LENGTH} characters`;
  return undefined;
}

export function checkTimeout(timeoutMs: unknown): string | undefined {
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > 2 ** 31 - 1) {
    return `timeoutMs must be a positive number of milliseconds (got ${String(timeoutMs)})`;
  }
  return undefined;
}

function checkId(id: unknown): string | undefined {
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? undefined : 'id must be a positive integer';
}

/** A decoded `req` frame, or an error text. */
export function parseRequest(v: Record<string, unknown>): RequestFrame | string {
  const e = checkId(v.id) ?? checkMethod(v.method);
  return e ? `req frame: ${e}` : (v as RequestFrame);
}

/** A decoded `res` frame, or an error text. */
export function parseResponse(v: unknown): ResponseFrame | string {
  if (!isPlainObject(v) || v.t !== 'res') return 'not a res frame';
  const e = checkId(v.id) ?? (typeof v.ok === 'boolean' ? undefined : 'ok must be a boolean');
  if (e) return `res frame: ${e}`;
  if (!v.ok && (typeof v.error !== 'string' || v.error.length > MAX_ERROR_LENGTH)) {
    return `res frame: error must be a string of at most ${MAX_ERROR_LENGTH} characters`;
  }
  return v as ResponseFrame;
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : `handler failed: ${String(err)}`;
  return text.slice(0, MAX_ERROR_LENGTH);
}

export function errorResponse(id: number, error: string): ResponseFrame {
  return { t: 'res', id, ok: false, error: error.slice(0, MAX_ERROR_LENGTH) };
}

/** The request handlers of one transport. */
export class RequestHandlers {
  private readonly handlers = new Map<string, RequestHandler>();

  register(method: string, fn: RequestHandler): void {
    const e = checkMethod(method);
    if (e) throw new Error(`handle: ${e}`);
    if (typeof fn !== 'function') throw new Error(`handle: the handler for "${method}" must be a function`);
    if (this.handlers.has(method)) throw new Error(`handle: method "${method}" already has a handler`);
    this.handlers.set(method, fn);
  }

  /** Runs the handler; never rejects (a failure becomes an error response). */
  async serve(req: RequestFrame, from: PeerIdentity): Promise<ResponseFrame> {
    const fn = this.handlers.get(req.method);
    if (!fn) return errorResponse(req.id, `no handler for method "${req.method}"`);
    try {
      const body = await fn(req.body, from);
      return { t: 'res', id: req.id, ok: true, body };
    } catch (err) {
      return errorResponse(req.id, messageOf(err));
    }
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  method: string;
  address: string;
  /** The link the request went out on, so a failed link fails its requests at once. */
  link: string;
}

/** Requests waiting for their response. */
export class PendingRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** Registers a request; the caller sends `{t:'req', id, ...}`. */
  open(method: string, address: string, timeoutMs: number, link: string): { id: number; promise: Promise<unknown> } {
    const id = this.nextId++;
    if (this.nextId >= Number.MAX_SAFE_INTEGER) this.nextId = 1;
    const promise = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('timeout', `request "${method}" to ${address} timed out after ${timeoutMs} ms`, address, method));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, method, address, link });
    });
    return { id, promise };
  }

  /** Settles the request a response answers; false for an unknown id (e.g. after its timeout). */
  settle(res: ResponseFrame): boolean {
    const p = this.pending.get(res.id);
    if (!p) return false;
    this.pending.delete(res.id);
    clearTimeout(p.timer);
    if (res.ok) p.resolve(res.body);
    else p.reject(new RequestError('remote', res.error ?? 'request failed', p.address, p.method));
    return true;
  }

  /** Fails one request (e.g. it could not be queued). */
  fail(id: number, code: RequestErrorCode, why: string, notDelivered = false): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(new RequestError(code, `request "${p.method}" to ${p.address} failed: ${why}`, p.address, p.method, notDelivered));
  }

  /** Fails every request sent on `link`. */
  failLink(link: string, code: RequestErrorCode, why: string, notDelivered = false): void {
    for (const [id, p] of this.pending) if (p.link === link) this.fail(id, code, why, notDelivered);
  }

  failAll(code: RequestErrorCode, why: string): void {
    for (const id of [...this.pending.keys()]) this.fail(id, code, why);
  }

  countOn(link: string): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.link === link) n++;
    return n;
  }
}
