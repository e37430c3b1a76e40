// Success encoding (contract §0.1): JSON with `?pretty`, empty 200 for nothing.
import type { Request, Response } from 'express';

export function sendJson(req: Request, res: Response, body: unknown, status = 200): void {
  const pretty = req.query.pretty !== undefined && req.query.pretty !== '0';
  res.status(status).type('application/json');
  res.send(pretty ? JSON.stringify(body, null, 4) + '\n' : JSON.stringify(body));
}

/** A 200 with an empty body and no Content-Type, as Nomad's nil handler result. */
export function sendEmpty(res: Response, status = 200): void {
  res.status(status).end();
}
