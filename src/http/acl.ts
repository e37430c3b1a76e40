// ACL checks at the door of each endpoint (contract §6.2). The identity is resolved from the
// request's token (§0.1) by the server; the check runs where the request is served (on the leader
// after forwarding, or locally for `?stale`), so a follower that lags on tokens never refuses early.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { HttpContext } from './context.ts';
import { HttpError } from './errors.ts';

/** What an endpoint may ask of the caller's identity. */
export interface AclChecks {
  isManagement(): boolean;
  allowOperatorRead(): boolean;
  allowOperatorWrite(): boolean;
  allowOperatorOperation(capability: string): boolean;
  allowAgentRead(): boolean;
  allowAgentWrite(): boolean;
  allowNodeRead(): boolean;
  allowVariableOp(namespace: string, path: string, op: 'read' | 'list' | 'write' | 'destroy'): boolean;
}

/** The identity with every permission: ACLs disabled (Nomad's IsManagement() is then true). */
export const ALLOW_ALL: AclChecks = {
  isManagement: () => true,
  allowOperatorRead: () => true,
  allowOperatorWrite: () => true,
  allowOperatorOperation: () => true,
  allowAgentRead: () => true,
  allowAgentWrite: () => true,
  allowNodeRead: () => true,
  allowVariableOp: () => true,
};

export const PERMISSION_DENIED = 'Permission denied';

/** Resolves the caller once per request (cached on the request). */
export async function aclOf(ctx: HttpContext, req: Request): Promise<AclChecks> {
  const r = req as Request & { opraftAcl?: AclChecks };
  if (!r.opraftAcl) r.opraftAcl = await ctx.resolveAcl(req.headers);
  return r.opraftAcl;
}

/** Middleware: 403 `Permission denied` unless `check` passes for the caller. */
export function authorize(ctx: HttpContext, check: (acl: AclChecks, req: Request) => boolean): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const acl = await aclOf(ctx, req);
      if (!check(acl, req)) throw new HttpError(403, PERMISSION_DENIED);
      next();
    } catch (e) {
      next(e);
    }
  };
}

/**
 * The same check inside a handler, for endpoints whose request validation answers first: Nomad
 * checks ACLs in the RPC, after its HTTP handler decoded and validated the request (§1.5, §1.8).
 */
export async function requirePermission(ctx: HttpContext, req: Request, check: (acl: AclChecks) => boolean): Promise<void> {
  if (!check(await aclOf(ctx, req))) throw new HttpError(403, PERMISSION_DENIED);
}
