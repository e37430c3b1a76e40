// Test-only fault injection for drills and chaos tests, served only when the server runs with
// OPRAFT_TEST_FAULTS=1:
//  - `PUT /v1/opraft/test/partition?node=<id>&node=<id>[&direction=both|in|out]` cuts this server
//    off from those nodes: `both` (the default) drops frames and requests both ways, `out` only
//    what this server sends them, `in` only what they send it (a one-way cut). Each PUT replaces
//    the whole cut; `DELETE` heals, `GET` shows it.
//  - `PUT /v1/opraft/test/disk?delay_ms=<n>&fail=true|false` makes the storage batch writer wait
//    n ms before every synced write (a slow disk) and/or fail the next one (the server then stops:
//    fail-stop, exit 1); `DELETE` clears both, `GET` shows them and how many batches they hit.
// The deliberately broken variants (OPRAFT_TEST_BROKEN=localReads|readIndexNoQuorum) are read
// by `opraft agent` (src/cli/agent-command.ts); see test/chaos/README.md.
import { Router } from 'express';
import type { HttpContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { queryAll, queryString } from '../query.ts';
import { sendJson } from '../respond.ts';

export function testFaultRoutes(ctx: HttpContext): Router {
  const r = Router();
  const faults = ctx.testFaults;
  if (!faults) return r;
  const show = () => ({ Partitioned: faults.partitioned(), ...(faults.cut ? { In: faults.cut().in, Out: faults.cut().out } : {}) });
  r.all('/v1/opraft/test/partition', (req, res) => {
    if (req.method === 'GET') return sendJson(req, res, show());
    if (req.method === 'DELETE') {
      faults.setPartitioned([]);
      return sendJson(req, res, show());
    }
    if (req.method !== 'PUT' && req.method !== 'POST') throw new HttpError(405, 'Invalid method');
    const nodes = queryAll(req, 'node').filter((n) => n !== '');
    if (nodes.length === 0) throw new HttpError(400, 'give the node IDs to cut off with ?node=<id> (repeatable)');
    const direction = queryString(req, 'direction') ?? 'both';
    if (direction === 'both') faults.setPartitioned(nodes);
    else if ((direction === 'in' || direction === 'out') && faults.setCut) faults.setCut(direction === 'in' ? { in: nodes, out: [] } : { in: [], out: nodes });
    else throw new HttpError(400, `direction must be both, in or out, got "${direction}"`);
    sendJson(req, res, show());
  });
  const disk = faults.disk;
  if (disk) {
    const showDisk = () => ({ DelayMs: disk.delayMs, Fail: disk.fail, DelayedBatches: disk.delayedBatches, FailedBatches: disk.failedBatches });
    r.all('/v1/opraft/test/disk', (req, res) => {
      if (req.method === 'GET') return sendJson(req, res, showDisk());
      if (req.method === 'DELETE') {
        disk.delayMs = 0;
        disk.fail = false;
        return sendJson(req, res, showDisk());
      }
      if (req.method !== 'PUT' && req.method !== 'POST') throw new HttpError(405, 'Invalid method');
      const delay = queryString(req, 'delay_ms');
      const fail = queryString(req, 'fail');
      if (delay !== undefined) {
        if (!/^\d+$/.test(delay) || Number(delay) > 60_000) throw new HttpError(400, `delay_ms must be an integer from 0 to 60000, got "${delay}"`);
        disk.delayMs = Number(delay);
      }
      if (fail !== undefined) {
        if (fail !== 'true' && fail !== 'false') throw new HttpError(400, `fail must be true or false, got "${fail}"`);
        disk.fail = fail === 'true';
      }
      sendJson(req, res, showDisk());
    });
  }
  return r;
}
