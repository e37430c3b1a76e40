// An in-memory RPC network for membership tests: endpoints by address, nodes that go down,
// links that are cut. Bodies are cloned both ways, as a real wire would.

import type { RpcEndpoint } from '../../src/membership/index.ts';

type Handler = (body: unknown) => Promise<unknown> | unknown;

export class FakeNet {
  private readonly handlers = new Map<string, Map<string, Handler>>();
  private readonly down = new Set<string>();
  private readonly cut = new Set<string>();
  requests = 0;

  /** A fresh endpoint at `address` (replaces any earlier one there, as a restarted process would). */
  endpoint(address: string): RpcEndpoint {
    const table = new Map<string, Handler>();
    this.handlers.set(address, table);
    return {
      request: (to, method, body, timeoutMs) => this.deliver(address, to, method, body, timeoutMs),
      handle: (method, fn) => { table.set(method, fn); },
    };
  }

  setDown(address: string, isDown = true): void {
    if (isDown) this.down.add(address);
    else this.down.delete(address);
  }

  cutLink(a: string, b: string, isCut = true): void {
    for (const k of [`${a}|${b}`, `${b}|${a}`]) {
      if (isCut) this.cut.add(k);
      else this.cut.delete(k);
    }
  }

  private async deliver(from: string, to: string, method: string, body: unknown, timeoutMs: number): Promise<unknown> {
    this.requests++;
    if (typeof timeoutMs !== 'number' || timeoutMs <= 0) throw new Error(`bad timeout ${timeoutMs}`);
    await Promise.resolve();
    if (this.down.has(from) || this.down.has(to) || this.cut.has(`${from}|${to}`)) throw new Error(`request to ${to} timed out`);
    const fn = this.handlers.get(to)?.get(method);
    if (!fn) throw new Error(`connection refused by ${to} (${method})`);
    const reply = await fn(structuredClone(body));
    if (this.down.has(to) || this.cut.has(`${to}|${from}`)) throw new Error(`request to ${to} timed out`);
    return structuredClone(reply);
  }
}
