// opraft operator snapshot save | restore | inspect (contract §7.10–§7.12). `inspect` works
// offline: it verifies the archive as a restore would and names every state.bin record type.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Fsm } from '../fsm/index.ts';
import { readArchive } from '../snapshot/index.ts';
import { ApiError, errorText } from './api-client.ts';
import { formatKV, formatListWithSpaces } from './columnize.ts';
import { formatIsoLocal, humanizeIBytes, jsonFormat } from './format.ts';
import { command, flagBool, generalOptionsUsage, goFsError, group } from './meta.ts';

/** nomad-state-<YYYY><MM><D>-<unix seconds>.snap — the day is not zero-padded (Go's `%0d`). */
export function defaultSnapshotName(now = new Date()): string {
  const mm = String(now.getMonth() + 1).padStart(2, '0');
  return `nomad-state-${now.getFullYear()}${mm}${now.getDate()}-${Math.floor(now.getTime() / 1000)}.snap`;
}

class DigestError extends Error {}

/** The Go client's check of the Digest header: `sha-256=<base64>` or `sha-512=<base64>`. */
function digestAlgorithm(header: string | null): { alg: 'sha256' | 'sha512'; expected: string } {
  const text = header ?? '';
  const eq = text.indexOf('=');
  if (eq < 0) throw new DigestError('invalid digest format');
  const name = text.slice(0, eq);
  const expected = text.slice(eq + 1);
  if (name === 'sha-256') return { alg: 'sha256', expected };
  if (name === 'sha-512') return { alg: 'sha512', expected };
  throw new DigestError('unsupported checksum format');
}

const save = command({
  name: 'operator snapshot save',
  synopsis: 'Saves a snapshot of the cluster state to a file',
  flags: { stale: 'bool', redact: 'bool' },
  help: `Usage: opraft operator snapshot save [options] [<filename>]

  Retrieves an atomic, point-in-time snapshot of the state of the servers,
  which includes the ACL tokens and policies, the scheduler and autopilot
  configuration, the license and the variables.

  If ACLs are enabled, this command requires a management token, a token with
  'operator:write', or the 'snapshot-save' operator capability.

  If you provide a filename, the snapshot is written there; otherwise it is
  named nomad-state-<date>-<unix time>.snap. The file is downloaded into
  <filename>.tmp, its Digest checked, and then renamed.

  To create a snapshot from the leader server and save it to "backup.snap":

      $ opraft operator snapshot save backup.snap

  To create a potentially stale snapshot from any available server (useful if no
  leader is available):

      $ opraft operator snapshot save -stale backup.snap

General Options:

${generalOptionsUsage()}

Snapshot Save Options:

  -stale=[true|false]
    The -stale argument defaults to "false" which means the leader provides the
    result. If the cluster is in an outage state without a leader, you may need
    to set -stale to "true" to get the configuration from a non-leader server.

  -redact
    Accepted for compatibility; opraft snapshots hold no key material.`,
  async run(ctx) {
    if (ctx.args.length > 1) {
      ctx.ui.error('This command takes either no arguments or one: <filename>');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const file = ctx.args[0] ?? defaultSnapshotName();
    const dest = ctx.path(file);
    if (existsSync(dest)) {
      ctx.ui.error(`Destination file already exists: ${JSON.stringify(file)}`);
      return 1;
    }
    const tmp = `${dest}.tmp`;
    let res: Response;
    try {
      res = await ctx.client().raw('GET', '/v1/operator/snapshot', { stale: flagBool(ctx, 'stale') === true });
      if (res.status !== 200) throw new ApiError(res.status, await res.text());
    } catch (e) {
      ctx.ui.error(`Failed to get snapshot file: ${errorText(e)}`);
      return 1;
    }
    let digest: { alg: 'sha256' | 'sha512'; expected: string };
    try {
      digest = digestAlgorithm(res.headers.get('digest'));
    } catch (e) {
      await res.body?.cancel();
      ctx.ui.error(`Failed to get snapshot file: ${errorText(e)}`);
      return 1;
    }
    let handle;
    try {
      handle = await open(tmp, 'w', 0o600);
    } catch (e) {
      await res.body?.cancel();
      ctx.ui.error(`Failed to create file: ${goFsError(e, `${file}.tmp`)}`);
      return 1;
    }
    const hash = createHash(digest.alg);
    try {
      const out = createWriteStream('', { fd: handle.fd, autoClose: false });
      const body = res.body ? Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>) : Readable.from([]);
      for await (const chunk of body) {
        hash.update(chunk as Buffer);
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      await handle.sync();
      await handle.close();
      handle = undefined;
      if (hash.digest('base64') !== digest.expected) throw new DigestError('mismatch checksum');
    } catch (e) {
      if (handle) await handle.close().catch(() => {});
      await rm(tmp, { force: true });
      ctx.ui.error(`Failed to download snapshot file: ${errorText(e)}`);
      return 1;
    }
    if (flagBool(ctx, 'redact') === true) ctx.ui.info('Redacting key material from snapshot');
    try {
      await rename(tmp, dest);
    } catch (e) {
      await rm(tmp, { force: true });
      ctx.ui.error(`Failed to finalize snapshot file: ${goFsError(e, file, 'rename')}`);
      return 1;
    }
    ctx.ui.output(`State file written to ${file}`);
    return 0;
  },
});

const restore = command({
  name: 'operator snapshot restore',
  synopsis: 'Restore snapshot of the cluster state',
  flags: {},
  help: `Usage: opraft operator snapshot restore [options] <file>

  Restores an atomic, point-in-time snapshot of the state of the servers,
  which includes the ACL tokens and policies, the scheduler and autopilot
  configuration, the license and the variables. The Raft membership is kept.

  Restores involve a potentially dangerous low-level Raft operation that is not
  designed to handle server failures during a restore. This command is primarily
  intended to be used when recovering from a disaster, restoring into a fresh
  cluster of servers. opraft verifies the whole archive before anything is
  installed: a bad archive changes nothing.

  If ACLs are enabled, this command requires a management token.

  To restore a snapshot from the file "backup.snap":

      $ opraft operator snapshot restore backup.snap

General Options:

${generalOptionsUsage()}`,
  async run(ctx) {
    if (ctx.args.length !== 1) {
      ctx.ui.error('This command takes one argument: <filename>');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const file = ctx.args[0]!;
    const path = ctx.path(file);
    try {
      const st = await stat(path);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (e) {
      ctx.ui.error(`Error opening snapshot file: ${JSON.stringify(goFsError(e, file))}`);
      return 1;
    }
    try {
      await ctx.client().text('PUT', '/v1/operator/snapshot', { body: createReadStream(path) });
    } catch (e) {
      ctx.ui.error(`Failed to get restore snapshot: ${errorText(e)}`);
      return 1;
    }
    ctx.ui.output('Snapshot Restored');
    return 0;
  },
});

/** `Created`: the millisecond part of a `<term>-<index>-<millis>` snapshot ID; '' otherwise. */
function createdFromId(id: string): string {
  const parts = id.split('-');
  if (parts.length !== 3 || !/^\d+$/.test(parts[2]!)) return '';
  return formatIsoLocal(Number(parts[2]));
}

const inspect = command({
  name: 'operator snapshot inspect',
  synopsis: 'Displays information about a snapshot file',
  flags: { json: 'bool' },
  noGeneralFlags: true,
  help: `Usage: opraft operator snapshot inspect [options] <file>

  Displays information about a snapshot file on disk. The file is verified as a
  restore would verify it (SHA256SUMS, every state.bin record), without
  contacting any server.

  To inspect the file "backup.snap":

      $ opraft operator snapshot inspect backup.snap

Snapshot Inspect Options:

  -json
    Output the snapshot inspect in JSON format.`,
  async run(ctx) {
    if (ctx.args.length !== 1) {
      ctx.ui.error('This command takes one argument: <filename>');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const file = ctx.args[0]!;
    const path = ctx.path(file);
    try {
      const st = await stat(path);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (e) {
      ctx.ui.error(`Error opening snapshot file: ${goFsError(e, file)}`);
      return 1;
    }
    let meta, result;
    try {
      const read = await readArchive(createReadStream(path), { maxCompressedBytes: Number.MAX_SAFE_INTEGER, maxUncompressedBytes: Number.MAX_SAFE_INTEGER });
      meta = read.meta;
      result = Fsm.inspect(read.stateBin);
    } catch (e) {
      ctx.ui.error(`Error verifying snapshot: ${errorText(e)}`);
      return 1;
    }
    const stats = [...result.Stats].sort((a, b) => b.Sum - a.Sum || (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    if (flagBool(ctx, 'json') === true) {
      ctx.ui.output(jsonFormat({ Meta: meta, Stats: stats.map((s) => ({ Name: s.Name, Sum: s.Sum, Count: s.Count })) }));
      return 0;
    }
    ctx.ui.output(
      formatKV([
        `Created|${createdFromId(meta.ID)}`,
        `ID|${meta.ID}`,
        `Size|${humanizeIBytes(meta.Size)}`,
        `Index|${meta.Index}`,
        `Term|${meta.Term}`,
        `Version|${meta.Version}`,
      ]),
    );
    ctx.ui.output('');
    const rows = ['Type|Count|Size', ...stats.map((s) => `${s.Name}|${s.Count}|${humanizeIBytes(s.Sum)}`), ' | | ', `Total|${result.TotalCount}|${humanizeIBytes(result.TotalSize)}`];
    ctx.ui.output(formatListWithSpaces(rows));
    return 0;
  },
});

export const operatorSnapshotGroup = group({
  name: 'operator snapshot',
  synopsis: 'Saves and restores snapshots of the cluster state',
  help: `Usage: opraft operator snapshot <subcommand> [options]

  This command has subcommands for saving, restoring, and inspecting the state
  of the servers for disaster recovery. These are atomic, point-in-time
  snapshots which include the ACL tokens and policies, the scheduler and
  autopilot configuration, the license and the variables.

  If ACLs are enabled, a management token must be supplied in order to perform
  snapshot operations (saving also works with 'operator:write' or the
  'snapshot-save' capability).

  Create a snapshot:

      $ opraft operator snapshot save backup.snap

  Restore a snapshot:

      $ opraft operator snapshot restore backup.snap

  Inspect a snapshot:

      $ opraft operator snapshot inspect backup.snap

  Please see the individual subcommand help for detailed usage information.`,
  children: { save, restore, inspect },
});
