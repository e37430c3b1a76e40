// The HTTP API: an Express app over an HttpContext (the running server), and its listener.
import http from 'node:http';
import express from 'express';
import type { HttpContext } from './context.ts';
import { errorMiddleware, HttpError } from './errors.ts';
import { agentRoutes } from './routes/agent.ts';
import { operatorRaftRoutes } from './routes/operator-raft.ts';
import { statusRoutes } from './routes/status.ts';
import { variableRoutes } from './routes/variables.ts';
import { schedulerRoutes } from './routes/operator-scheduler.ts';
import { autopilotConfigRoutes } from './routes/operator-autopilot.ts';
import { snapshotRoutes } from './routes/operator-snapshot.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { licenseRoutes } from './routes/operator-license.ts';
import { testFaultRoutes } from './routes/test-faults.ts';
import { aclRoutes } from './routes/acl.ts';
import { parseGoQuery } from './query.ts';
import { withFastPath } from './fast-path.ts';

export type { HttpContext, MemberJson, JoinResult } from './context.ts';
export { HttpError } from './errors.ts';
export { ALLOW_ALL, PERMISSION_DENIED, type AclChecks } from './acl.ts';
export { raftStats } from './routes/agent.ts';
export { PLAIN_FORWARD_RPC, servePlainForwarded, checkPlainRequest, checkPlainAnswer, type PlainRequest, type PlainAnswer } from './fast-path.ts';

/** The API: the plain variable requests by the fast path (fast-path.ts), everything else by Express. */
export function createHttpApp(ctx: HttpContext, opts: { fastPath?: boolean } = {}): http.RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // Keys literally, repeats as lists: Go's url.ParseQuery (query.ts), not qs's nesting.
  app.set('query parser', parseGoQuery);
  // The hot routes first: Express tries every router's routes in order until one matches.
  app.use(variableRoutes(ctx));
  app.use(schedulerRoutes(ctx));
  app.use(statusRoutes(ctx));
  app.use(agentRoutes(ctx));
  app.use(operatorRaftRoutes(ctx));
  app.use(autopilotConfigRoutes(ctx));
  app.use(snapshotRoutes(ctx));
  app.use(metricsRoutes(ctx));
  app.use(licenseRoutes(ctx));
  app.use(testFaultRoutes(ctx));
  app.use(aclRoutes(ctx));
  app.use((req, _res, next) => next(new HttpError(404, `Invalid URL path: ${req.path}`)));
  app.use(errorMiddleware(ctx.logger));
  // `fastPath: false` (tests): Express serves everything, to prove both answer alike.
  return opts.fastPath === false ? app : withFastPath(ctx, app);
}

export interface HttpLimits {
  /** Headers must arrive within this (ms). */
  headersTimeoutMs: number;
  /** The whole request must finish within this (ms). */
  requestTimeoutMs: number;
  /** Open connections per client address. */
  maxConnsPerClient: number;
}

/** Listens on host:port (0 = any free port); resolves with the server once bound. */
export function listenHttp(app: http.RequestListener, host: string, port: number, limits: HttpLimits): Promise<http.Server> {
  // Node checks both timeouts only every connectionsCheckingInterval (30 s by default), so a
  // client that never finished its headers held its connection for up to 30 s past the limit.
  const checkEveryMs = Math.max(100, Math.min(30_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)));
  const server = http.createServer({ connectionsCheckingInterval: checkEveryMs }, app);
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  const perClient = new Map<string, number>();
  server.on('connection', (sock) => {
    const key = sock.remoteAddress ?? '';
    const n = (perClient.get(key) ?? 0) + 1;
    if (limits.maxConnsPerClient > 0 && n > limits.maxConnsPerClient) {
      sock.destroy();
      return;
    }
    perClient.set(key, n);
    sock.on('close', () => {
      const left = (perClient.get(key) ?? 1) - 1;
      if (left <= 0) perClient.delete(key);
      else perClient.set(key, left);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
