// Shared helpers for the hostile-input tests (not a test file itself): raw HTTP requests that
// fetch() would refuse or normalise (odd methods, unnormalised paths, lying Content-Length,
// chunked or encoded bodies), and a fingerprint of everything the fake server can change.
import http from 'node:http';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import type { FakeServer } from '../http/fake-server.ts';

export interface RawAnswer {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

export interface RawOptions {
  headers?: Record<string, string | number>;
  /** Sent as is; with `chunks`, each piece is written separately (chunked unless Content-Length is set). */
  body?: string | Buffer;
  chunks?: (string | Buffer)[];
  agent?: http.Agent;
  timeoutMs?: number;
}

/** One request over node:http exactly as given (no URL normalisation, any method). */
export function raw(base: string, method: string, path: string, o: RawOptions = {}): Promise<RawAnswer> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers: o.headers, agent: o.agent ?? false, timeout: o.timeoutMs ?? 15_000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${o.timeoutMs ?? 15_000} ms`)));
    req.on('error', reject);
    if (o.chunks) {
      for (const c of o.chunks) req.write(c);
      req.end();
    } else {
      req.end(o.body);
    }
  });
}

/** Everything a request could change on the fake server: the FSM state and the recorded side effects. */
export function fingerprint(s: FakeServer): string {
  const h = createHash('sha256');
  h.update(s.fsm.snapshot());
  h.update(JSON.stringify([s.changes, s.transfers, s.joins, s.forceLeaves, s.leader]));
  return h.digest('hex');
}

/** Asserts a refusal: the given status (or any 4xx), a plain-text body, and no change of state. */
export function assertRefused(r: { status: number; text: string; contentType: string | undefined }, before: string, after: string, what: string, status?: number | RegExp): void {
  if (status === undefined) assert.ok(r.status >= 400 && r.status < 500, `${what}: expected a 4xx, got ${r.status} ${r.text.slice(0, 200)}`);
  else if (typeof status === 'number') assert.equal(r.status, status, `${what}: ${r.text.slice(0, 200)}`);
  else assert.match(String(r.status), status, `${what}: ${r.text.slice(0, 200)}`);
  // A CAS conflict (409) answers with the current variable as JSON; every other error is plain text.
  if (r.text !== '') assert.match(r.contentType ?? '', r.status === 409 ? /^application\/json/ : /^text\/plain/, `${what}: the error's content type`);
  assert.equal(after, before, `${what}: the state changed`);
}
