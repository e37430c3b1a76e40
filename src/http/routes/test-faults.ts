// Test-only fault injection for drills and chaos tests, served only when the server runs with
// OPRAFT_TEST_FAULTS=1: `PUT /v1/opraft/test/partition?node=<id>&node=<id>` cuts this server off
// from those nodes (frames and requests both ways), `DELETE` heals, `GET` shows the current cut.
import { Router } from 'express';
import type { HttpContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { queryAll } from '../query.ts';
import { sendJson } from '../respond.ts';

export function testFaultRoutes(ctx: HttpContext): Router {
  const r = Router();
  const faults = ctx.testFaults;
  if (!faults) return r;
  r.all('/v1/opraft/test/partition', (req, res) => {
    if (req.method === 'GET') return sendJson(req, res, { Partitioned: faults.partitioned() });
    if (req.method === 'DELETE') {
      faults.setPartitioned([]);
      return sendJson(req, res, { Partitioned: [] });
    }
    if (req.method !== 'PUT' && req.method !== 'POST') throw new HttpError(405, 'Invalid method');
    const nodes = queryAll(req, 'node').filter((n) => n !== '');
    if (nodes.length === 0) throw new HttpError(400, 'give the node IDs to cut off with ?node=<id> (repeatable)');
    faults.setPartitioned(nodes);
    sendJson(req, res, { Partitioned: faults.partitioned() });
  });
  return r;
}
