// Writing small files so that a crash leaves either the old state or the new one, never a torn file:
// write a temp file, fsync it, put it in place, fsync the directory (etcd#6368: without the
// directory fsync the rename itself may be lost after a power failure).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** Suffix of every temp file this module writes; stray ones are safe to delete. */
export const TEMP_SUFFIX = '.tmp';

export function tempPathFor(finalPath: string): string {
  return `${finalPath}.${process.pid}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
}

/** fsync a directory so that renames, links and unlinks inside it are durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `chunks` to a new temp file next to `finalPath` and fsyncs it. Returns the temp path. */
async function writeSyncedTemp(finalPath: string, chunks: readonly Uint8Array[]): Promise<string> {
  const tmp = tempPathFor(finalPath);
  const handle = await fs.open(tmp, 'wx', 0o644);
  try {
    for (const chunk of chunks) await handle.writeFile(chunk);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  return tmp;
}

/** Replaces `finalPath` atomically and durably with `chunks` (temp, fsync, rename, fsync dir). */
export async function writeFileDurably(finalPath: string, chunks: readonly Uint8Array[]): Promise<void> {
  const tmp = await writeSyncedTemp(finalPath, chunks);
  try {
    await fs.rename(tmp, finalPath);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(path.dirname(finalPath));
}

/**
 * Creates `finalPath` with `content` only if it does not exist yet, atomically (a hard link of a
 * synced temp file, so a crash never leaves an empty or half-written file, and two racing
 * creators cannot both win). Returns false when the file already existed.
 */
export async function createFileOnce(finalPath: string, content: Uint8Array): Promise<boolean> {
  const tmp = await writeSyncedTemp(finalPath, [content]);
  try {
    await fs.link(tmp, finalPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  await syncDir(path.dirname(finalPath));
  return true;
}

/** mkdir -p that also makes the new folders' names durable (fsync of each parent created into). */
export async function ensureDir(dir: string): Promise<void> {
  const first = await fs.mkdir(dir, { recursive: true });
  if (first === undefined) return;
  // Sync from the deepest new folder's parent up to the parent of the first one created.
  let d = path.resolve(dir);
  const stop = path.dirname(path.resolve(first));
  while (true) {
    const parent = path.dirname(d);
    await syncDir(parent);
    if (parent === stop || parent === d) break;
    d = parent;
  }
}
