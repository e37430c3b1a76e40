// opraft operator raft|autopilot|scheduler against the in-process fake server: exact output,
// error lines and exit codes (contract §7.1–§7.9, Part A §15, §21).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeServer, type FakeServer } from '../http/fake-server.ts';
import { cli, cliAt, closedPort, member } from './helpers.ts';

process.env.TZ = 'UTC';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';


let s: FakeServer;
let run: ReturnType<typeof cliAt>;
before(async () => {
  s = await startFakeServer();
  s.members = [member('srv-b.global', '10.0.0.2'), member('srv-a.global', '10.0.0.1')];
  run = cliAt(s.url);
});
after(() => s.close());

test('raft list-peers: the table sorted by Node (§7.2); -stale is sent as stale=', async () => {
  const r = await run(['operator', 'raft', 'list-peers']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(
    r.stdout,
    `Node          ID                                    Address        State     Voter  RaftProtocol
srv-a.global  ${A}  10.0.0.1:4647  leader    true   3
srv-b.global  ${B}  10.0.0.2:4647  follower  true   3
`,
  );
  assert.equal((await run(['operator', 'raft', 'list-peers', '-stale'])).code, 0);
  assert.equal((await run(['operator', 'raft', 'list-peers', '--stale=true'])).code, 0);
});

test('raft list-peers: errors, flag errors, the 403 line, connection refused', async () => {
  const bad = await run(['operator', 'raft', 'list-peers', '-bogus']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'flag provided but not defined: -bogus\nFailed to parse args: flag provided but not defined: -bogus\n');
  assert.match(bad.stdout, /^Usage: opraft operator raft list-peers \[options\]/);
  s.aclEnabled = true;
  try {
    const denied = await run(['operator', 'raft', 'list-peers']);
    assert.deepEqual(denied, { code: 1, stdout: '', stderr: 'Failed to retrieve raft configuration: Unexpected response code: 403 (Permission denied)\n' });
    const withToken = await run(['operator', 'raft', 'list-peers', '-token', '00000000-0000-4000-8000-000000000000']);
    assert.equal(withToken.stderr, 'Failed to retrieve raft configuration: Unexpected response code: 403 (Permission denied)\n');
  } finally {
    s.aclEnabled = false;
  }
  const port = await closedPort();
  const refused = await cli(['operator', 'raft', 'list-peers', `-address=http://127.0.0.1:${port}`]);
  assert.deepEqual(refused, {
    code: 1,
    stdout: '',
    stderr: `Failed to retrieve raft configuration: Get "http://127.0.0.1:${port}/v1/operator/raft/configuration": dial tcp 127.0.0.1:${port}: connect: connection refused\n`,
  });
  // -address wins over NOMAD_ADDR; -region is sent and checked by the server.
  const flagWins = await cli(['operator', 'raft', 'list-peers', '-address', s.url], { env: { NOMAD_ADDR: `http://127.0.0.1:${port}` } });
  assert.equal(flagWins.code, 0, flagWins.stderr);
  const region = await run(['operator', 'raft', 'list-peers'], { env: { NOMAD_REGION: 'mars' } });
  assert.equal(region.stderr, 'Failed to retrieve raft configuration: Unexpected response code: 500 (No path to region)\n');
});

test('raft remove-peer: by id, by address (Part A §15), and its errors (§7.3)', async () => {
  s.changes.length = 0;
  assert.deepEqual(await run(['operator', 'raft', 'remove-peer', `-peer-id=${B}`]), { code: 0, stdout: `Removed peer with id "${B}"\n`, stderr: '' });
  assert.deepEqual(await run(['operator', 'raft', 'remove-peer', '-peer-address', '10.0.0.2:4647']), { code: 0, stdout: 'Removed peer with address "10.0.0.2:4647"\n', stderr: '' });
  assert.deepEqual(s.changes, [{ type: 'remove', id: B }, { type: 'remove', id: B }]);
  assert.deepEqual(await run(['operator', 'raft', 'remove-peer']), { code: 1, stdout: '', stderr: 'Missing peer id required\n' });
  assert.deepEqual(await run(['operator', 'raft', 'remove-peer', '-peer-id=x', '-peer-address=10.0.0.2:4647']), { code: 1, stdout: '', stderr: 'Error removing peer: cannot give both an address and id\n' });
  assert.deepEqual(await run(['operator', 'raft', 'remove-peer', '-peer-id=nope']), {
    code: 1,
    stdout: '',
    stderr: 'Error removing peer: Unexpected response code: 500 (id "nope" was not found in the Raft configuration)\n',
  });
  assert.deepEqual(await run(['operator', 'raft', 'remove-peer', '-peer-address=10.9.9.9:4647']), {
    code: 1,
    stdout: '',
    stderr: 'Error removing peer: Unexpected response code: 500 (address "10.9.9.9:4647" was not found in the Raft configuration)\n',
  });
  const missing = await run(['operator', 'raft', 'remove-peer', '-peer-id']);
  assert.equal(missing.stderr, 'flag needs an argument: -peer-id\nFailed to parse args: flag needs an argument: -peer-id\n');
});

test('raft transfer-leadership: by id and address, and its errors (§7.4)', async () => {
  s.leader = A;
  assert.deepEqual(await run(['operator', 'raft', 'transfer-leadership', `-peer-id=${B}`]), { code: 0, stdout: `Transferred leadership to peer with id "${B}"\n`, stderr: '' });
  assert.equal(s.leader, B);
  s.leader = A;
  assert.deepEqual(await run(['operator', 'raft', 'transfer-leadership', '--peer-address', '10.0.0.2:4647']), { code: 0, stdout: 'Transferred leadership to peer with address "10.0.0.2:4647"\n', stderr: '' });
  assert.equal(s.leader, B);
  s.leader = A;
  assert.deepEqual(await run(['operator', 'raft', 'transfer-leadership']), {
    code: 1,
    stdout: '',
    stderr: 'Error transferring leadership to peer: an address or id is required for the destination peer\n',
  });
  assert.deepEqual(await run(['operator', 'raft', 'transfer-leadership', '-peer-id=a', '-peer-address=b']), {
    code: 1,
    stdout: '',
    stderr: 'Error transferring leadership to peer: cannot give both an address and id\n',
  });
  const notUuid = await run(['operator', 'raft', 'transfer-leadership', '-peer-id=abc']);
  assert.equal(notUuid.code, 1);
  assert.match(notUuid.stderr, /^Error transferring leadership to peer: Unexpected response code: 400 \(id must be a uuid: .*\)\n$/);
});

test('autopilot get-config: eight fixed lines (§7.5); -json; -t', async () => {
  const r = await run(['operator', 'autopilot', 'get-config']);
  assert.deepEqual(r, {
    code: 0,
    stderr: '',
    stdout: `CleanupDeadServers = true
LastContactThreshold = 200ms
MaxTrailingLogs = 250
MinQuorum = 0
ServerStabilizationTime = 10s
EnableRedundancyZones = false
DisableUpgradeMigration = false
EnableCustomUpgrades = false
`,
  });
  const j = await run(['operator', 'autopilot', 'get-config', '-json']);
  assert.equal(j.code, 0);
  assert.match(j.stdout, /^\{\n {4}"LastContactThreshold": "200ms",\n {4}"ServerStabilizationTime": "10s",/);
  assert.equal((await run(['operator', 'autopilot', 'get-config', '-t', '{{.MaxTrailingLogs}}'])).stdout, '250\n');
  assert.deepEqual(await run(['operator', 'autopilot', 'get-config', '-json', '-t', 'x']), { code: 1, stdout: '', stderr: 'Both json and template formatting are not allowed\n' });
});

test('autopilot set-config: only given flags change, CAS on the fetched index (§7.6)', async () => {
  const r = await run(['operator', 'autopilot', 'set-config', '-cleanup-dead-servers=false', '-max-trailing-logs', '0x20', '-min-quorum=3', '-last-contact-threshold=1s500ms', '--server-stabilization-time', '30s']);
  assert.deepEqual(r, { code: 0, stdout: 'Configuration updated!\n', stderr: '' });
  const c = s.fsm.autopilotConfig()!;
  assert.equal(c.CleanupDeadServers, false);
  assert.equal(c.MaxTrailingLogs, 32);
  assert.equal(c.MinQuorum, 3);
  assert.equal(c.LastContactThreshold, 1_500_000_000);
  assert.equal(c.ServerStabilizationTime, 30_000_000_000);
  const get = await run(['operator', 'autopilot', 'get-config']);
  assert.match(get.stdout, /^CleanupDeadServers = false\nLastContactThreshold = 1\.5s\nMaxTrailingLogs = 32\nMinQuorum = 3\nServerStabilizationTime = 30s\n/);
  assert.equal((await run(['operator', 'autopilot', 'set-config', '-cleanup-dead-servers'])).code, 0);
  assert.equal(s.fsm.autopilotConfig()!.CleanupDeadServers, true);
  assert.equal(s.fsm.autopilotConfig()!.MinQuorum, 3, 'untouched fields keep their values');
  const badBool = await run(['operator', 'autopilot', 'set-config', '-cleanup-dead-servers=maybe']);
  assert.equal(badBool.code, 1);
  assert.equal(badBool.stderr, 'invalid boolean value "maybe" for -cleanup-dead-servers: parse error\nFailed to parse args: invalid boolean value "maybe" for -cleanup-dead-servers: parse error\n');
  const badDuration = await run(['operator', 'autopilot', 'set-config', '-last-contact-threshold=200']);
  assert.equal(badDuration.code, 1);
  assert.match(badDuration.stderr, /^invalid value "200" for flag -last-contact-threshold: time: .*200.*\nFailed to parse args: /);
  const badUint = await run(['operator', 'autopilot', 'set-config', '-min-quorum=-1']);
  assert.match(badUint.stderr, /^invalid value "-1" for flag -min-quorum: parse error\n/);
});

test('autopilot health: 429 still prints the state and exits 1 (Part A §21); a healthy cluster exits 0 (§7.7)', async () => {
  s.health = undefined;
  const unhealthy = await run(['operator', 'autopilot', 'health']);
  assert.deepEqual(unhealthy, {
    code: 1,
    stderr: '',
    stdout: 'Healthy: false\nFailureTolerance: 0\nLeader: \nVoters:  \n\t\nServers: \nID  Name  Address  SerfStatus  Version  Leader  Voter  Healthy  LastContact  LastTerm  LastIndex  StableSince\n\n',
  });
  s.health = {
    Healthy: true,
    FailureTolerance: 0,
    Leader: A,
    Voters: [A, B],
    Servers: [
      { LastContact: '0s', ID: A, Name: 'srv-a.global', Address: '10.0.0.1:4647', SerfStatus: 'alive', Version: '0.1.0', Leader: true, LastTerm: 2, LastIndex: 812, Healthy: true, Voter: true, StableSince: '2024-02-20T16:40:55Z' },
      { LastContact: '27.300ms', ID: B, Name: 'srv-b.global', Address: '10.0.0.2:4647', SerfStatus: 'alive', Version: '0.1.0', Leader: false, LastTerm: 2, LastIndex: 811, Healthy: true, Voter: true, StableSince: '2024-02-20T16:41:05Z' },
    ],
  };
  try {
    const healthy = await run(['operator', 'autopilot', 'health']);
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.equal(
      healthy.stdout,
      `Healthy: true
FailureTolerance: 0
Leader: ${A}
Voters:  
	${A}
${B}
Servers: 
ID                                    Name          Address        SerfStatus  Version  Leader  Voter  Healthy  LastContact  LastTerm  LastIndex  StableSince
${A}  srv-a.global  10.0.0.1:4647  alive       0.1.0    true    true   true     0s           2         812        2024-02-20 16:40:55 +0000 UTC
${B}  srv-b.global  10.0.0.2:4647  alive       0.1.0    false   true   true     27.3ms       2         811        2024-02-20 16:41:05 +0000 UTC

`,
    );
    const j = await run(['operator', 'autopilot', 'health', '-json']);
    assert.equal(j.code, 0);
    assert.equal(j.stdout.split('\n').length, 2, 'one line');
    assert.equal((JSON.parse(j.stdout) as { Leader: string }).Leader, A);
    s.health = { ...s.health, Healthy: false };
    const j429 = await run(['operator', 'autopilot', 'health', '-json']);
    assert.equal(j429.code, 1);
    assert.equal((JSON.parse(j429.stdout) as { Healthy: boolean }).Healthy, false);
  } finally {
    s.health = undefined;
  }
  s.aclEnabled = true;
  try {
    assert.deepEqual(await run(['operator', 'autopilot', 'health']), { code: 1, stdout: '', stderr: 'Error querying Autopilot configuration: Unexpected response code: 403 (Permission denied)\n' });
  } finally {
    s.aclEnabled = false;
  }
});

test('scheduler get-config: formatKV (§7.8); -json is the whole response', async () => {
  const idx = s.fsm.schedulerConfig()!.ModifyIndex;
  const r = await run(['operator', 'scheduler', 'get-config']);
  assert.deepEqual(r, {
    code: 0,
    stderr: '',
    stdout: `Scheduler Algorithm               = binpack
Memory Oversubscription           = false
Reject Job Registration           = false
Pause Eval Broker                 = false
Preemption System Scheduler       = true
Preemption Service Scheduler      = false
Preemption Batch Scheduler        = false
Preemption SysBatch Scheduler     = false
Node Limit For Feasibility Checks = 0
Modify Index                      = ${idx}
`,
  });
  const j = JSON.parse((await run(['operator', 'scheduler', 'get-config', '-json'])).stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(j), ['SchedulerConfig', 'Index', 'LastContact', 'KnownLeader', 'NextToken']);
});

test('scheduler set-config: tri-state flags merged over the fetched config, always CAS (§7.9)', async () => {
  const before = s.fsm.schedulerConfig()!;
  const r = await run(['operator', 'scheduler', 'set-config', '-scheduler-algorithm=spread', '-memory-oversubscription', '-preempt-system-scheduler=false', '-node-limit-for-feasibility-checks', '50']);
  assert.deepEqual(r, { code: 0, stdout: 'Scheduler configuration updated!\n', stderr: '' });
  const after = s.fsm.schedulerConfig()!;
  assert.equal(after.SchedulerAlgorithm, 'spread');
  assert.equal(after.MemoryOversubscriptionEnabled, true);
  assert.equal(after.PreemptionConfig.SystemSchedulerEnabled, false);
  assert.equal(after.RejectJobRegistration, before.RejectJobRegistration);
  assert.ok(after.ModifyIndex > before.ModifyIndex);
  // No flags still writes (and bumps ModifyIndex).
  assert.equal((await run(['operator', 'scheduler', 'set-config'])).code, 0);
  assert.ok(s.fsm.schedulerConfig()!.ModifyIndex > after.ModifyIndex);
  const now = s.fsm.schedulerConfig()!.ModifyIndex;
  assert.deepEqual(await run(['operator', 'scheduler', 'set-config', `-check-index=${now}`, '-pause-eval-broker=false']), { code: 0, stdout: 'Scheduler configuration updated!\n', stderr: '' });
  assert.deepEqual(await run(['operator', 'scheduler', 'set-config', '-check-index=3']), {
    code: 1,
    stdout: '',
    stderr: `Error performing check index set: check-index 3 does not match does not match current state value ${s.fsm.schedulerConfig()!.ModifyIndex}\n`,
  });
  assert.deepEqual(await run(['operator', 'scheduler', 'set-config', '-check-index=abc']), {
    code: 1,
    stdout: '',
    stderr: 'Error parsing check-index value "abc": strconv.ParseUint: parsing "abc": invalid syntax\n',
  });
  assert.deepEqual(await run(['operator', 'scheduler', 'set-config', 'extra']), {
    code: 1,
    stdout: '',
    stderr: "This command takes no arguments\nFor additional help try 'opraft operator scheduler set-config -help'\n",
  });
  assert.deepEqual(await run(['operator', 'scheduler', 'set-config', '-scheduler-algorithm=foo']), {
    code: 1,
    stdout: '',
    stderr: 'Error setting scheduler configuration: Unexpected response code: 400 (invalid scheduler algorithm: foo)\n',
  });
  const flagErr = await run(['operator', 'scheduler', 'set-config', '-pause-eval-broker=x']);
  assert.equal(flagErr.code, 1);
  assert.equal(flagErr.stderr, 'invalid boolean value "x" for -pause-eval-broker: parse error\n', 'scheduler commands just exit 1 after the flag error');
  s.aclEnabled = true;
  try {
    assert.deepEqual(await run(['operator', 'scheduler', 'get-config']), { code: 1, stdout: '', stderr: 'Error querying scheduler configuration: Unexpected response code: 403 (Permission denied)\n' });
    assert.deepEqual(await run(['operator', 'scheduler', 'set-config']), { code: 1, stdout: '', stderr: 'Error querying for scheduler configuration: Unexpected response code: 403 (Permission denied)\n' });
  } finally {
    s.aclEnabled = false;
  }
});

test('help: -help on a command prints its help and exits 0; a group alone lists its subcommands and exits 1', async () => {
  const h = await run(['operator', 'raft', 'remove-peer', '-help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^Usage: opraft operator raft remove-peer \[options\]\n/);
  assert.match(h.stdout, /-peer-address="IP:port"/);
  const g = await run(['operator', 'raft']);
  assert.equal(g.code, 1);
  assert.match(g.stdout, /Subcommands:\n {4}list-peers {13}Display the current Raft peer configuration\n {4}remove-peer {12}Remove a server from the Raft configuration\n {4}transfer-leadership {4}Transfer leadership to a specified Raft peer\n$/);
  assert.equal((await run(['operator', '--help'])).code, 0);
  const unknown = await run(['nope']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^opraft: unknown command "nope"/);
  assert.deepEqual(await run(['version']), { code: 0, stdout: 'opraft v0.1.0\n', stderr: '' });
});
