import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ensureNodeId, ensurePeersInfo, paths, PEERS_INFO_TEXT, StorageError } from '../../src/storage/index.ts';
import { withTempDir } from './helpers/util.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('paths: Nomad layout under the data dir', () => {
  const p = paths('/var/lib/opraft');
  assert.deepEqual(p, {
    dataDir: '/var/lib/opraft',
    serverDir: '/var/lib/opraft/server',
    nodeIdFile: '/var/lib/opraft/server/node-id',
    raftDir: '/var/lib/opraft/server/raft',
    logDbDir: '/var/lib/opraft/server/raft/raft.db',
    snapshotsDir: '/var/lib/opraft/server/raft/snapshots',
    peersJson: '/var/lib/opraft/server/raft/peers.json',
    peersInfo: '/var/lib/opraft/server/raft/peers.info',
  });
  assert.throws(() => paths(''), /data_dir must be a non-empty path/);
});

test('node-id: made once (UUID v4, bare file as Nomad), stable across calls', () =>
  withTempDir(async (dir) => {
    const { serverDir, nodeIdFile } = paths(dir);
    const id = await ensureNodeId(serverDir);
    assert.match(id, UUID_V4);
    assert.equal(await fs.readFile(nodeIdFile, 'utf8'), id);
    assert.deepEqual(JSON.parse(await fs.readFile(`${nodeIdFile}.meta`, 'utf8')), { format: 1 });
    assert.equal(await ensureNodeId(serverDir), id);
    const racing = await Promise.all([1, 2, 3].map(() => ensureNodeId(serverDir)));
    assert.deepEqual(racing, [id, id, id]);
  }));

test('node-id: racing first starts agree on one ID', () =>
  withTempDir(async (dir) => {
    const ids = await Promise.all([1, 2, 3, 4].map(() => ensureNodeId(path.join(dir, 'server'))));
    assert.equal(new Set(ids).size, 1);
  }));

test('node-id: a Nomad-written file (no meta, upper case, newline) is read as format 1', () =>
  withTempDir(async (dir) => {
    const { serverDir, nodeIdFile } = paths(dir);
    await fs.mkdir(serverDir, { recursive: true });
    await fs.writeFile(nodeIdFile, 'ADF4238A-882B-9DDC-4A9D-5B6758E4159E\n');
    assert.equal(await ensureNodeId(serverDir), 'adf4238a-882b-9ddc-4a9d-5b6758e4159e');
    assert.deepEqual(JSON.parse(await fs.readFile(`${nodeIdFile}.meta`, 'utf8')), { format: 1 });
  }));

test('node-id: garbage or an unknown format version is refused, naming the file', () =>
  withTempDir(async (dir) => {
    const { serverDir, nodeIdFile } = paths(dir);
    await fs.mkdir(serverDir, { recursive: true });
    await fs.writeFile(nodeIdFile, 'not-a-uuid');
    await assert.rejects(ensureNodeId(serverDir), (e: unknown) => e instanceof StorageError && e.message.includes(nodeIdFile) && /"not-a-uuid", not a UUID/.test(e.message));
    await fs.writeFile(nodeIdFile, 'adf4238a-882b-9ddc-4a9d-5b6758e4159e');
    await fs.writeFile(`${nodeIdFile}.meta`, '{"format":2}');
    await assert.rejects(ensureNodeId(serverDir), (e: unknown) => e instanceof StorageError && e.code === 'format' && /format version 2 is unknown/.test(e.message));
  }));

test('peers.info: written when missing (reports false), then reports true; content kept', () =>
  withTempDir(async (dir) => {
    const { raftDir, peersInfo } = paths(dir);
    assert.equal(await ensurePeersInfo(raftDir), false);
    assert.equal(await fs.readFile(peersInfo, 'utf8'), PEERS_INFO_TEXT);
    assert.equal(await ensurePeersInfo(raftDir), true);
    await fs.writeFile(peersInfo, 'operator notes');
    assert.equal(await ensurePeersInfo(raftDir), true);
    assert.equal(await fs.readFile(peersInfo, 'utf8'), 'operator notes');
  }));
