// Method filters: Nomad answers most operator/status endpoints' wrong methods with 405 and no body.
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../errors.ts';

export function onlyMethods(methods: string[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (methods.includes(req.method) || (req.method === 'HEAD' && methods.includes('GET'))) return next();
    res.status(405).end();
  };
}

/** Endpoints whose wrong methods answer with a coded error instead (e.g. 501 `Invalid method`). */
export function onlyMethodsOr(methods: string[], status: number, message: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (methods.includes(req.method)) return next();
    next(new HttpError(status, message));
  };
}
