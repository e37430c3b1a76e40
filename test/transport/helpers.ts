// Shared test helpers for the transport tests (not a test file itself).
import WebSocket from 'ws';
import { WsTransport, type WsTransportOptions } from '../../src/transport/index.ts';
import type { Logger } from '../../src/transport/types.ts';
import type { Message } from '../../src/raft/types.ts';

export interface LogLine {
  level: string;
  obj: object;
  msg: string;
}

export function captureLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (obj: object, msg = '') => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Makes WsTransports on 127.0.0.1 port 0 and stops them all at the end. */
export class Fleet {
  readonly all: WsTransport[] = [];
  readonly sockets: WebSocket[] = [];

  async make(localId: string, opts: Partial<WsTransportOptions> = {}): Promise<WsTransport> {
    const t = new WsTransport({
      localId,
      port: 0,
      host: '127.0.0.1',
      backoff: { initialMs: 20, maxMs: 100 },
      handshakeTimeoutMs: 2000,
      ...opts,
    });
    this.all.push(t);
    await t.start();
    return t;
  }

  /** A raw ws client (closed at the end). */
  raw(port: number): WebSocket {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    ws.on('error', () => {});
    this.sockets.push(ws);
    return ws;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await Promise.all(this.all.map((t) => t.stop()));
  }
}

export function addr(t: { port: number }): string {
  return `127.0.0.1:${t.port}`;
}

export async function waitFor(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function heartbeat(from: string, to: string, term = 1, context = ''): Message {
  return { type: 'heartbeat', from, to, term, commit: 0, context };
}

export function append(from: string, to: string, prevIndex: number, dataBytes = 16): Message {
  return {
    type: 'app',
    from,
    to,
    term: 1,
    prevIndex,
    prevTerm: prevIndex === 0 ? 0 : 1,
    commit: 0,
    entries: [{ index: prevIndex + 1, term: 1, type: 0, data: new Uint8Array(dataBytes).fill(7) }],
  };
}

export function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

export function nextMessage(ws: WebSocket, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message')), timeoutMs);
    ws.once('message', (data) => {
      clearTimeout(timer);
      resolve(data as Buffer);
    });
  });
}

export function closed(ws: WebSocket, timeoutMs = 3000): Promise<number> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(-1);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
    ws.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
