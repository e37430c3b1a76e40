// Checks with strace that the write path really syncs: fsync/fdatasync of the LevelDB log
// before an append is acknowledged, and a directory fsync after a snapshot's rename.
// A kill -9 keeps the page cache, so only a syscall trace can catch a missing fsync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { raftPaths } from '../../src/storage/index.ts';
import { withTempDir } from './helpers/util.ts';
import { checkTrace, parseTrace } from './helpers/strace-parse.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const skip = process.env.OPRAFT_SKIP_STRACE === '1';

function haveStrace(): boolean {
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
}

function traceChild(raftDir: string, traceFile: string, mode?: string): Promise<string> {
  const args = ['-f', '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2,write,openat', '-o', traceFile,
    process.execPath, '--import', 'tsx', path.join(here, 'helpers', 'strace-child.ts'), raftDir, ...(mode ? [mode] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn('strace', args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`strace child exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}

test('strace: appends are fsynced before the ack; snapshot renames are followed by a directory fsync', { skip: skip && 'OPRAFT_SKIP_STRACE=1' }, () => {
  assert.ok(haveStrace(), 'strace is not installed: run `apt-get install -y strace` (CI installs it), or set OPRAFT_SKIP_STRACE=1 to skip this test');
  return withTempDir(async (dir) => {
    const raftDir = path.join(dir, 'raft');
    const traceFile = path.join(dir, 'trace.txt');
    const out = await traceChild(raftDir, traceFile);
    assert.equal(out, 'OPENED\nACKED\nSNAPSHOT_SAVED\n');
    const { logDbDir, snapshotsDir } = raftPaths(raftDir);
    const found = checkTrace(parseTrace(await fs.readFile(traceFile, 'utf8')), logDbDir, snapshotsDir);
    assert.deepEqual(found.problems, []);
    assert.equal(found.notes.length, 2);
  });
});

test('strace: the same check catches the ackBeforeSync variant (ack before the sync)', { skip: skip && 'OPRAFT_SKIP_STRACE=1' }, () => {
  assert.ok(haveStrace(), 'strace is not installed: run `apt-get install -y strace` (CI installs it), or set OPRAFT_SKIP_STRACE=1 to skip this test');
  return withTempDir(async (dir) => {
    const raftDir = path.join(dir, 'raft');
    const traceFile = path.join(dir, 'trace.txt');
    await traceChild(raftDir, traceFile, 'ackBeforeSync');
    const { logDbDir, snapshotsDir } = raftPaths(raftDir);
    const found = checkTrace(parseTrace(await fs.readFile(traceFile, 'utf8')), logDbDir, snapshotsDir);
    assert.ok(found.problems.some((p) => /no fsync\/fdatasync of the LevelDB log file/.test(p)), JSON.stringify(found));
  });
});
