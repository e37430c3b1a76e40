// Every finished drill run once through `bin/opraft drill <name> --json` against its own local
// cluster (real server processes on free loopback ports, temporary data), asserting exit 0 and the
// report's key figures; and sabotaged runs, which must fail. Each run is bounded in time; a drill
// that overruns gets SIGTERM, on which it stops every server it started.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DrillReport } from '../../src/drills/index.ts';

const BIN = fileURLToPath(new URL('../../bin/opraft', import.meta.url));

async function drill(name: string, extra: string[] = [], timeoutMs = 90_000): Promise<{ code: number | null; report: DrillReport; stderr: string }> {
  const child = spawn(BIN, ['drill', name, '--json', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGTERM'), timeoutMs);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(timer);
  let report: DrillReport;
  try {
    report = JSON.parse(out) as DrillReport;
  } catch {
    throw new Error(`drill ${name} printed no JSON report (exit ${code}):\n${out}\n${err.slice(-4000)}`);
  }
  return { code, report, stderr: err };
}

function failedChecks(r: DrillReport): string {
  return r.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail ?? ''}`).join('\n') + (r.error ? `\n${r.error}` : '');
}

/** The drill passed, and every acknowledged write was read back from every node. */
function passed(r: { code: number | null; report: DrillReport; stderr: string }): DrillReport {
  const rep = r.report;
  assert.equal(r.code, 0, `exit ${r.code}; failed checks:\n${failedChecks(rep)}\n${r.stderr.slice(-3000)}`);
  assert.equal(rep.ok, true);
  assert.ok(rep.writes.acknowledged > 0, 'no write was acknowledged');
  assert.equal(rep.writes.survived, rep.writes.acknowledged, 'acknowledged writes were lost');
  assert.deepEqual(rep.writes.missing, []);
  assert.deepEqual(rep.writes.refusedPresent, []);
  assert.ok(rep.writes.verifiedOn.length >= 2, `verified on ${rep.writes.verifiedOn.join(', ')}`);
  assert.ok(rep.failure.length > 0, 'the report names what failed');
  assert.ok(rep.checks.every((c) => c.ok));
  return rep;
}

/** The drill must fail: non-zero exit, ok false, and the named check among the failed ones. */
function failedOn(r: { code: number | null; report: DrillReport }, check: RegExp): void {
  assert.equal(r.code, 1, `a sabotaged drill exited ${r.code}`);
  assert.equal(r.report.ok, false);
  const bad = r.report.checks.filter((c) => !c.ok).map((c) => c.name);
  assert.ok(bad.some((b) => check.test(b)), `expected a failed check matching ${check}, failed: ${JSON.stringify(bad)}`);
}

describe('drills against local clusters', { concurrency: false, timeout: 480_000 }, () => {
  test('drill list names every drill', async () => {
    const child = spawn(BIN, ['drill', 'list'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 0);
    for (const d of ['leader-loss', 'quorum-loss', 'minority-loss', 'snapshot-restore', 'dead-server-cleanup', 'rolling-restart', 'server-replace', 'ip-change', 'partition']) assert.match(out, new RegExp(`^  ${d} `, 'm'));
  });

  test('leader-loss: a new leader and a successful write within seconds', async () => {
    const r = passed(await drill('leader-loss'));
    assert.ok(r.timeToLeaderMs !== undefined && r.timeToLeaderMs < 5000, `time to leader ${r.timeToLeaderMs}`);
    assert.ok(r.timeToRecoveryMs !== undefined && r.timeToRecoveryMs < 10_000, `time to first write ${r.timeToRecoveryMs}`);
    assert.equal(r.leaderless.count, 1);
    assert.ok(r.leaderless.longestMs < 5000);
  });

  test('quorum-loss: writes refused, stale reads work, peers.json on the survivor, fresh servers join', async () => {
    const r = passed(await drill('quorum-loss'));
    assert.ok((r.figures.writesRefusedDuringOutage as number) > 0);
    assert.equal(r.writes.verifiedOn.length, 3);
    assert.ok(r.checks.some((c) => /No cluster leader/.test(c.name) && c.ok));
  });

  test('quorum-loss sabotaged with a wrong node ID in peers.json fails', async () => {
    failedOn(await drill('quorum-loss', ['--sabotage', 'wrong-node-id']), /elects itself leader/);
  });

  test('minority-loss: health 429 with FailureTolerance 0, back to 200; with cleanup on, removed and promoted again', async () => {
    const r = passed(await drill('minority-loss'));
    assert.equal(r.leaderless.count, 0, 'a follower loss must not cost the leader');
    assert.ok(typeof r.figures.removedAfterMs === 'number');
    assert.ok(r.checks.some((c) => c.name === 'autopilot health 429 with FailureTolerance 0' && c.ok));
  });

  test('snapshot-restore: the saved state comes back, also in a brand-new cluster', async () => {
    const r = passed(await drill('snapshot-restore'));
    assert.match(String(r.figures.newClusterWritesSurvived), /^(\d+)\/\1$/);
  });

  test('snapshot-restore sabotaged with another snapshot fails', async () => {
    failedOn(await drill('snapshot-restore', ['--sabotage', 'other-snapshot']), /saved state/);
  });

  test('dead-server-cleanup: autopilot removes the dead server, never below MinQuorum; remove-peer by id and address', async () => {
    const r = passed(await drill('dead-server-cleanup'));
    assert.ok((r.figures.fewestVotersSeen as number) >= 2);
    assert.equal(r.leaderless.count, 0);
  });

  test('rolling-restart: no write outage longer than one election', async () => {
    const r = passed(await drill('rolling-restart'));
    assert.ok((r.figures.longestWriteOutageMs as number) <= 1500);
  });

  test('server-replace: a fresh server joins in place of a lost one and is promoted', async () => {
    const r = passed(await drill('server-replace'));
    assert.ok(typeof r.figures.promotedAfterMs === 'number');
  });

  test('ip-change: peers.json with new addresses and the same node IDs', async () => {
    const r = passed(await drill('ip-change'));
    assert.ok(r.timeToLeaderMs !== undefined);
  });

  test('partition: the isolated leader steps down, the majority serves, and after the heal no server diverges', async () => {
    const r = passed(await drill('partition'));
    assert.ok(r.timeToLeaderMs !== undefined && r.timeToLeaderMs < 5000, `time to leader ${r.timeToLeaderMs}`);
    assert.ok(r.checks.some((c) => /converges on the same log/.test(c.name) && c.ok));
  });

  test('partition sabotaged (never healed) fails', async () => {
    failedOn(await drill('partition', ['--sabotage', 'no-heal']), /rejoins as a follower/);
  });

  test('a dropped acknowledged write is caught by the verifier', async () => {
    failedOn(await drill('leader-loss', ['--sabotage', 'drop-write']), /every acknowledged write/);
  });
});
