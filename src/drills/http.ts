// Small HTTP helpers for the drills: every request has a timeout, nothing throws on a non-200.
/** An error that ends a wait at once (a server died). */
export class Fatal extends Error {}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Reply {
  status: number;
  body: unknown;
  text: string;
}

export interface HasHttp {
  readonly httpAddr: string;
}

export async function request(node: HasHttp, method: string, p: string, body?: unknown, timeoutMs = 10_000): Promise<Reply> {
  const init: RequestInit = { method, signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
  const r = await fetch(`${node.httpAddr}${p}`, init);
  const text = await r.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: r.status, body: parsed, text };
}

export const getJson = (node: HasHttp, p: string, timeoutMs = 10_000) => request(node, 'GET', p, undefined, timeoutMs);

/** Polls fn until it returns something other than undefined/false; a Fatal-like error with `fatal` stops at once. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      if (e instanceof Fatal) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(stepMs);
  }
}

export interface RaftServer {
  ID: string;
  Node: string;
  Address: string;
  Leader: boolean;
  Voter: boolean;
}

export async function raftConfig(node: HasHttp, stale = false): Promise<RaftServer[]> {
  const r = await getJson(node, `/v1/operator/raft/configuration${stale ? '?stale' : ''}`, 5000);
  if (r.status !== 200) throw new Error(`raft configuration from ${node.httpAddr}: ${r.status} ${r.text.trim()}`);
  return (r.body as { Servers: RaftServer[] }).Servers;
}

export interface AutopilotHealth {
  Healthy: boolean;
  FailureTolerance: number;
  Leader: string;
  Voters: string[];
  Servers: { ID: string; Name: string; Address: string; Healthy: boolean; Voter: boolean; SerfStatus: string; LastIndex: number }[];
}

export async function autopilotHealth(node: HasHttp): Promise<{ status: number; health?: AutopilotHealth; text: string }> {
  const r = await getJson(node, '/v1/operator/autopilot/health', 5000);
  return { status: r.status, text: r.text, ...(r.status === 200 || r.status === 429 ? { health: r.body as AutopilotHealth } : {}) };
}

/** GET, change, PUT the autopilot configuration (whole-object replacement, as `set-config` does). */
export async function setAutopilot(node: HasHttp, change: Record<string, unknown>): Promise<void> {
  const r = await getJson(node, '/v1/operator/autopilot/configuration');
  if (r.status !== 200) throw new Error(`autopilot configuration: ${r.status} ${r.text}`);
  const cfg = { ...(r.body as Record<string, unknown>), ...change };
  const w = await request(node, 'PUT', '/v1/operator/autopilot/configuration', cfg);
  if (w.status !== 200) throw new Error(`autopilot set-config: ${w.status} ${w.text}`);
}
