// /v1/operator/snapshot (contract §1.9, §1.10, §2, Part A §11–§13): GET streams a fresh archive
// with its Digest; PUT/POST verifies a whole archive and every state.bin record before anything
// is installed, then replaces the state through Raft (the membership and cluster ID stay).
import { Router, type Request, type Response } from 'express';
import { Fsm } from '../../fsm/index.ts';
import { ArchiveError, ArchiveTooLargeError, StateTooLargeError, SNAPSHOT_VERSION_MAX, SNAPSHOT_VERSION_MIN, archiveBuffer, buildMeta, readArchive } from '../../snapshot/index.ts';
import { authorize } from '../acl.ts';
import type { HttpContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { leaderOnly } from '../leader.ts';
import { parseStale } from '../query.ts';
import { checkRegionMw } from './status.ts';

const RESTORE_FAILED = 'failed to restore from snapshot';

export function snapshotRoutes(ctx: HttpContext): Router {
  const r = Router();
  r.all(
    '/v1/operator/snapshot',
    (req, res, next) => (['GET', 'PUT', 'POST'].includes(req.method) ? next() : void res.status(405).end()),
    checkRegionMw(ctx),
    leaderOnly(ctx, (req) => req.method === 'GET' && parseStale(req)),
    authorize(ctx, (acl, req) => (req.method === 'GET' ? acl.allowOperatorOperation('snapshot-save') : acl.isManagement())),
    async (req, res) => (req.method === 'GET' ? save(ctx, req, res) : restore(ctx, req, res)),
  );
  return r;
}

async function save(ctx: HttpContext, req: Request, res: Response): Promise<void> {
  if (!parseStale(req)) await ctx.consistentRead();
  // State and the point it belongs to are read in one turn of the event loop: nothing applies between.
  const point = ctx.snapshotPoint();
  const stateBin = Buffer.from(ctx.state().snapshot());
  const meta = buildMeta({ ...point, size: stateBin.length, createdMs: Date.now() });
  let archive: { bytes: Buffer; digest: string };
  try {
    archive = await archiveBuffer(meta, stateBin);
  } catch (e) {
    throw new HttpError(500, `Raft error when taking snapshot: ${(e as Error).message}`);
  }
  res.status(200);
  res.setHeader('Digest', archive.digest);
  res.setHeader('Content-Type', 'application/x-gzip');
  res.setHeader('Content-Length', String(archive.bytes.length));
  res.end(archive.bytes);
}

async function restore(ctx: HttpContext, req: Request, res: Response): Promise<void> {
  let stateBin: Buffer;
  try {
    // maxStateBytes: a state.bin that could never be restored is refused from its tar header,
    // before it is buffered (a gzip bomb inside state.bin otherwise grew up to the 4 GiB limit).
    const read = await readArchive(req, { maxCompressedBytes: ctx.limits.snapshotRestoreBytes, maxUncompressedBytes: ctx.limits.snapshotRestoreUncompressedBytes, maxStateBytes: ctx.limits.maxEntryBytes });
    if (read.meta.Version < SNAPSHOT_VERSION_MIN || read.meta.Version > SNAPSHOT_VERSION_MAX) throw new ArchiveError(`unsupported snapshot version ${read.meta.Version}`);
    // Raft's Restore refuses a meta.json whose Size is not the state it carries (raft:api.go).
    if (read.meta.Size !== read.stateBin.length) throw new ArchiveError(`failed to write snapshot, size didn't match (${read.stateBin.length} != ${read.meta.Size})`);
    stateBin = read.stateBin;
    Fsm.inspect(stateBin); // every record decodes, or nothing happens (Part A §11)
  } catch (e) {
    req.resume();
    if (e instanceof StateTooLargeError) throw new HttpError(413, tooLarge(e.size, e.limit));
    if (e instanceof ArchiveTooLargeError) throw new HttpError(413, e.message);
    if (e instanceof ArchiveError) throw new HttpError(500, `${RESTORE_FAILED}: ${e.message}`);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE') throw new HttpError(400, `failed to read stream: ${err.message}`);
    throw new HttpError(500, `${RESTORE_FAILED}: ${err.message}`);
  }
  if (stateBin.length > ctx.limits.maxEntryBytes) throw new HttpError(413, tooLarge(stateBin.length, ctx.limits.maxEntryBytes));
  const { result } = await ctx.apply({ type: 'restoreState', stateBin });
  if (!result.ok) throw new HttpError(500, result.error);
  res.status(200).end();
}

function tooLarge(size: number, limit: number): string {
  return `${RESTORE_FAILED}: state.bin is ${size} bytes; this opraft restores at most ${limit} bytes (one Raft entry)`;
}
