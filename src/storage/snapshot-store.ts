// Snapshot files in one folder, each written durably (temp file, fsync, rename, directory
// fsync) so a crash leaves the old set or the new one. Keeps the newest `retain` (2, as
// Nomad); loading verifies the checksum and falls back to an older file when one is damaged.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Snapshot, SnapshotMeta } from '../raft/index.ts';
import type { SnapshotPersistence } from '../node/ports.ts';
import { checkSnapshotMeta } from './codec.ts';
import { TEMP_SUFFIX, ensureDir, syncDir, writeFileDurably } from './durable-file.ts';
import { StorageError, errorText } from './errors.ts';
import { silentLogger, type Logger } from './logger.ts';
import { decodeSnapshotFile, encodeSnapshotFile, type DecodedSnapshot } from './snapshot-file.ts';

const NAME = /^(\d+)-(\d+)-(\d+)\.snap$/;

export interface SnapshotInfo {
  name: string;
  path: string;
  /** From the file name; the header's values when the file verifies. */
  index: number;
  term: number;
  createdMs: number;
  bytes: number;
  /** Why the file cannot be used (damaged, unknown version), when it cannot. */
  error?: string;
}

export interface SnapshotStoreOptions {
  logger?: Logger;
  /** How many snapshots to keep (default 2). */
  retain?: number;
  now?: () => number;
}

interface Named {
  name: string;
  index: number;
  term: number;
  createdMs: number;
}

export class FileSnapshotStore implements SnapshotPersistence {
  private chain: Promise<unknown> = Promise.resolve();
  private lastCreatedMs = 0;

  private constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly retain: number,
    private readonly now: () => number,
  ) {}

  static async open(dir: string, opts: SnapshotStoreOptions = {}): Promise<FileSnapshotStore> {
    const retain = opts.retain ?? 2;
    if (!Number.isSafeInteger(retain) || retain < 1) throw new StorageError('invalid', `snapshot store ${dir}: retain must be a positive integer, got ${String(retain)}`);
    try {
      await ensureDir(dir);
      // Temp files are left only by a crash mid-save; they were never renamed into place.
      for (const name of await fs.readdir(dir)) {
        if (name.endsWith(TEMP_SUFFIX)) await fs.rm(path.join(dir, name), { force: true });
      }
    } catch (err) {
      throw new StorageError('io', `snapshot store ${dir}: cannot prepare the folder: ${errorText(err)}`, { cause: err });
    }
    return new FileSnapshotStore(dir, opts.logger ?? silentLogger, retain, opts.now ?? Date.now);
  }

  /** Writes a snapshot durably, then deletes all but the newest `retain`. */
  save(meta: SnapshotMeta, data: Uint8Array): Promise<void> {
    return this.serial(async () => {
      const m = checkSnapshotMeta(meta, 'invalid', `snapshot store ${this.dir} save`);
      if (!(data instanceof Uint8Array)) throw new StorageError('invalid', `snapshot store ${this.dir} save: data is not bytes`);
      // Distinct, increasing creation times keep names unique and the order of equal indexes clear.
      const createdMs = Math.max(this.now(), this.lastCreatedMs + 1);
      this.lastCreatedMs = createdMs;
      const name = `${m.term}-${m.index}-${createdMs}.snap`;
      try {
        await writeFileDurably(path.join(this.dir, name), encodeSnapshotFile(m, data, createdMs));
      } catch (err) {
        throw new StorageError('io', `snapshot store ${this.dir}: cannot write ${name}: ${errorText(err)}`, { cause: err });
      }
      await this.reap();
    });
  }

  /** Newest snapshot whose checksum verifies, falling back to older ones (with a warning). */
  async loadLatest(): Promise<Snapshot | undefined> {
    for await (const s of this.verified()) return { meta: s.meta, data: s.data };
    return undefined;
  }

  /** Every verifying snapshot, newest first; damaged ones are logged and skipped. */
  async *verified(): AsyncGenerator<DecodedSnapshot & { name: string }> {
    for (const n of await this.names()) {
      const file = path.join(this.dir, n.name);
      try {
        const s = decodeSnapshotFile(await fs.readFile(file), `snapshot ${file}`);
        yield { ...s, name: n.name };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        this.logger.warn({ file, err: errorText(err) }, 'skipping unreadable snapshot, trying an older one');
      }
    }
  }

  /** All snapshot files, newest first, each verified. */
  async list(): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = [];
    for (const n of await this.names()) {
      const file = path.join(this.dir, n.name);
      const info: SnapshotInfo = { name: n.name, path: file, index: n.index, term: n.term, createdMs: n.createdMs, bytes: 0 };
      try {
        const bytes = await fs.readFile(file);
        info.bytes = bytes.length;
        const s = decodeSnapshotFile(bytes, `snapshot ${file}`);
        info.index = s.meta.index;
        info.term = s.meta.term;
        info.createdMs = s.createdMs;
      } catch (err) {
        info.error = errorText(err);
      }
      out.push(info);
    }
    return out;
  }

  /** True when any snapshot file exists (damaged or not). */
  async any(): Promise<boolean> {
    return (await this.names()).length > 0;
  }

  private async names(): Promise<Named[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.dir);
    } catch (err) {
      throw new StorageError('io', `snapshot store ${this.dir}: cannot list: ${errorText(err)}`, { cause: err });
    }
    const out: Named[] = [];
    for (const name of entries) {
      const m = NAME.exec(name);
      if (!m) continue;
      out.push({ name, term: Number(m[1]), index: Number(m[2]), createdMs: Number(m[3]) });
    }
    return out.sort((a, b) => b.index - a.index || b.term - a.term || b.createdMs - a.createdMs);
  }

  private async reap(): Promise<void> {
    const old = (await this.names()).slice(this.retain);
    if (old.length === 0) return;
    for (const n of old) await fs.rm(path.join(this.dir, n.name), { force: true });
    await syncDir(this.dir);
    this.logger.debug({ removed: old.map((n) => n.name) }, 'removed old snapshots');
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }
}
