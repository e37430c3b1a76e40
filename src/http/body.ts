// Request bodies as Nomad's decodeBody reads them (contract §0.1): JSON whatever the content
// type, keys matched case-insensitively, unknown keys ignored, the JSON body limit of Part A §13.
import express, { type RequestHandler, type Request } from 'express';
import { HttpError } from './errors.ts';

/** Buffers the body (up to limitBytes; over it → 413 `Request body too large`). */
export function rawBody(limitBytes: number): RequestHandler {
  const parse = express.raw({ type: () => true, limit: limitBytes });
  return (req, res, next) => {
    // A declared length over the limit is refused at once, and the connection closed after the
    // answer: body-parser would first read (and drop) the whole declared body, so a client that
    // declares 50 MiB and sends 2 bytes held its 413 (and a connection) until the request timeout.
    const declared = Number(req.headers['content-length']);
    if (req.headers['content-encoding'] === undefined && Number.isFinite(declared) && declared > limitBytes) {
      res.setHeader('Connection', 'close');
      return next(new HttpError(413, 'Request body too large'));
    }
    parse(req, res, next);
  };
}

/** The buffered body parsed as JSON; an empty body → 400 `Request body is empty`. */
export function jsonBody(req: Request): unknown {
  return parseJsonBody(req.body);
}

/** A buffered body (anything else counts as empty) parsed as JSON, with jsonBody's errors. */
export function parseJsonBody(body: unknown): unknown {
  const buf = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  if (buf.length === 0) throw new HttpError(400, 'Request body is empty');
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new HttpError(400, `Request decode failed: ${(e as Error).message}`);
  }
}

/** The value of `key` in a JSON object, matching the key case-insensitively (Go's encoding/json). */
export function field(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const rec = obj as Record<string, unknown>;
  if (key in rec) return rec[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(rec)) if (k.toLowerCase() === lower) return rec[k];
  return undefined;
}
