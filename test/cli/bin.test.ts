// bin/opraft → src/cli/main.ts → runCli: one subprocess, to prove the wiring (tsx start-up is slow).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFakeServer, type FakeServer } from '../http/fake-server.ts';

const bin = fileURLToPath(new URL('../../bin/opraft', import.meta.url));
let s: FakeServer;
before(async () => {
  s = await startFakeServer();
});
after(() => s.close());

test('bin/opraft runs an operator command with NOMAD_ADDR and exits with its code', async () => {
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(bin, ['operator', 'raft', 'remove-peer', '-peer-id=nope'], { env: { ...process.env, NOMAD_ADDR: s.url } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  assert.deepEqual(r, { code: 1, stdout: '', stderr: 'Error removing peer: Unexpected response code: 500 (id "nope" was not found in the Raft configuration)\n' });
});
