// Shared helpers for the hostile tests against real `opraft agent` processes (not a test file):
// raw TCP clients that stall or drip, a Chrome DevTools Protocol client for the server's heap
// (started with --inspect: it forces a full GC, so "heap in use" is live objects only), and a
// fingerprint of a real server's replicated state read over HTTP.
import net from 'node:net';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { TestNode } from '../integration/harness.ts';

/** A raw TCP client: what it sent, what came back, when the server closed it. */
export interface StallingClient {
  sock: net.Socket;
  /** Milliseconds from connect to close, and everything the server sent. */
  closed: Promise<{ ms: number; data: string }>;
  stop(): void;
}

/**
 * Connects, writes `first`, then (when `drip` is given) writes one `drip` every `everyMs` until the
 * server closes the connection. Never finishes on its own.
 */
export function stallingClient(port: number, o: { first?: string | Buffer; drip?: string; everyMs?: number; host?: string; localAddress?: string }): StallingClient {
  const sock = net.connect({ port, host: o.host ?? '127.0.0.1', localAddress: o.localAddress });
  const started = Date.now();
  const parts: Buffer[] = [];
  let timer: NodeJS.Timeout | undefined;
  sock.on('data', (d: Buffer) => parts.push(d));
  sock.on('error', () => {}); // a reset is a close too
  const closed = new Promise<{ ms: number; data: string }>((resolve) => {
    sock.on('close', () => {
      clearInterval(timer);
      resolve({ ms: Date.now() - started, data: Buffer.concat(parts).toString('latin1') });
    });
  });
  sock.on('connect', () => {
    if (o.first !== undefined && o.first.length > 0) sock.write(o.first);
    if (o.drip !== undefined) timer = setInterval(() => sock.writable && sock.write(o.drip!), o.everyMs ?? 100);
  });
  return { sock, closed, stop: () => { clearInterval(timer); sock.destroy(); } };
}

/** A minimal Chrome DevTools Protocol session on the inspector of a process started with --inspect=host:port. */
export class Inspector {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (msg.error) w?.reject(new Error(msg.error.message));
      else w?.resolve(msg.result);
    });
  }

  static async connect(port: number): Promise<Inspector> {
    const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(5000) })).json()) as { webSocketDebuggerUrl: string }[];
    assert.ok(list[0]?.webSocketDebuggerUrl, 'the inspector lists a target');
    const ws = new WebSocket(list[0].webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Inspector(ws);
  }

  call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Bytes of live heap: after two full collections (the second catches what finalizers freed). */
  async liveHeap(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
    const u = await this.call<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
    return u.usedSize;
  }

  close(): void {
    this.ws.close();
  }
}

/** Everything the HTTP API can change in a server's replicated state, read from `n` (consistent reads). */
export async function serverState(n: TestNode): Promise<string> {
  const h = createHash('sha256');
  const list = await n.get('/v1/vars?prefix=');
  assert.equal(list.status, 200, list.text);
  h.update(list.text);
  for (const v of list.body as { Path: string }[]) h.update((await n.get(`/v1/var/${v.Path}`)).text);
  for (const p of ['/v1/operator/scheduler/configuration', '/v1/operator/autopilot/configuration', '/v1/acl/policies', '/v1/operator/license']) {
    const r = await n.get(p);
    h.update(`${p} ${r.status} ${r.text.replace(/"(LastContact|KnownLeader)":[^,}]*/g, '')}`);
  }
  return h.digest('hex');
}
