// opraft server members|join|force-leave, var get|put|list|purge, acl bootstrap|policy apply|token
// create|self against the fake server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeServer, type FakeServer } from '../http/fake-server.ts';
import { cliAt, member } from './helpers.ts';

process.env.TZ = 'UTC';

let s: FakeServer;
let dir: string;
let run: ReturnType<typeof cliAt>;
before(async () => {
  s = await startFakeServer();
  dir = mkdtempSync(join(tmpdir(), 'opraft-cli-'));
  run = cliAt(s.url, { cwd: dir });
});
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

test("server members: Nomad's columns, sorted by name, the leader marked", async () => {
  s.members = [member('srv-b.global', '10.0.0.2'), member('srv-a.global', '10.0.0.1'), member('srv-c.global', '10.0.0.3', { Status: 'failed' })];
  assert.deepEqual(await run(['server', 'members']), {
    code: 0,
    stderr: '',
    stdout: `Name          Address   Port  Status  Leader  Raft Version  Build  Datacenter  Region
srv-a.global  10.0.0.1  4647  alive   true    3             0.1.0  dc1         global
srv-b.global  10.0.0.2  4647  alive   false   3             0.1.0  dc1         global
srv-c.global  10.0.0.3  4647  failed  false   3             0.1.0  dc1         global
`,
  });
  const v = await run(['server', 'members', '-verbose']);
  assert.match(v.stdout, /^Name {10}Address {3}Port  Status  Leader  Protocol  Raft Version  Build  Datacenter  Region  Tags\n/);
  assert.match(v.stdout, /build=0\.1\.0,dc=dc1,id=srv-a\.global,port=4647,raft_vsn=3,region=global,role=nomad\n/);
  s.leader = '';
  try {
    const noLeader = await run(['server', 'members']);
    assert.equal(noLeader.code, 1);
    assert.match(noLeader.stdout, /^srv-a\.global  10\.0\.0\.1  4647  alive   false/m);
    assert.match(noLeader.stderr, /^Error determining leaders: 1 error occurred:\n\t\* Region "global": Unexpected response code: 500 \(No cluster leader\)\n\n\n$/);
  } finally {
    s.leader = '11111111-1111-4111-8111-111111111111';
  }
  assert.deepEqual(await run(['server', 'members', 'x']), { code: 1, stdout: '', stderr: "This command takes no arguments\nFor additional help try 'opraft server members -help'\n" });
});

test('server join and force-leave', async () => {
  s.joinResult = { num_joined: 2, error: '' };
  assert.deepEqual(await run(['server', 'join', '10.0.0.4', '10.0.0.5:4647']), { code: 0, stdout: 'Joined 2 servers successfully\n', stderr: '' });
  assert.deepEqual(s.joins.at(-1), ['10.0.0.4', '10.0.0.5:4647']);
  s.joinResult = { num_joined: 0, error: 'dial tcp 10.0.0.9:4647: connect: connection refused' };
  assert.deepEqual(await run(['server', 'join', '10.0.0.9']), { code: 1, stdout: '', stderr: 'Error joining: dial tcp 10.0.0.9:4647: connect: connection refused\n' });
  assert.deepEqual(await run(['server', 'join']), { code: 1, stdout: '', stderr: "One or more node addresses must be given as arguments\nFor additional help try 'opraft server join -help'\n" });
  assert.deepEqual(await run(['server', 'force-leave', '-prune', 'srv-c.global']), { code: 0, stdout: '', stderr: '' });
  assert.deepEqual(await run(['server', 'force-leave', 'srv-d.global']), { code: 0, stdout: '', stderr: '' });
  assert.deepEqual(s.forceLeaves, [{ node: 'srv-c.global', prune: true }, { node: 'srv-d.global', prune: false }]);
  assert.deepEqual(await run(['server', 'force-leave']), { code: 1, stdout: '', stderr: "This command takes one argument: <node>\nFor additional help try 'opraft server force-leave -help'\n" });
});

test('var put / get / list / purge: output per -out, CAS conflicts, not found', async () => {
  const put = await run(['var', 'put', 'app/db', 'user=admin', 'pass=secret'], { isTTY: true });
  assert.match(put.stdout, /^Created variable "app\/db" with modify index \d+\n$/);
  const v = s.fsm.variable('app/db')!;
  const iso = new Date(Math.floor(Number(BigInt(v.ModifyTime) / 1_000_000n) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  assert.deepEqual(await run(['var', 'get', 'app/db'], { isTTY: true }), {
    code: 0,
    stderr: '',
    stdout: `Namespace   = default
Path        = app/db
Create Time = ${iso}
Check Index = ${v.ModifyIndex}

Items
pass = secret
user = admin
`,
  });
  // Redirected stdout defaults to JSON (Nomad's api.Variable order, two-space indent).
  const json = await run(['var', 'get', 'app/db']);
  assert.equal(json.stdout, `${JSON.stringify({ Namespace: 'default', Path: 'app/db', CreateIndex: v.CreateIndex, ModifyIndex: v.ModifyIndex, CreateTime: Number(v.CreateTime), ModifyTime: Number(v.ModifyTime), Items: { pass: 'secret', user: 'admin' } }, null, 2)}\n`);
  assert.deepEqual(await run(['var', 'get', '-item', 'user', 'app/db']), { code: 0, stdout: 'admin', stderr: '' });
  assert.deepEqual(await run(['var', 'get', '-item', 'nope', 'app/db']), { code: 1, stdout: '', stderr: 'Variable does not contain "nope" item\n' });
  assert.match((await run(['var', 'get', '-out', 'hcl', 'app/db'])).stdout, /\nitems = \{\n  pass = "secret"\n  user = "admin"\n\}\n\n$/);
  assert.equal((await run(['var', 'get', '-out', 'go-template', '-template', '{{.Items.user}}', 'app/db'])).stdout, 'admin\n');
  assert.deepEqual(await run(['var', 'get', '-out', 'xml', 'app/db']), { code: 1, stdout: '', stderr: `Invalid value for "-out"; valid values are [go-template, hcl, json, none, table]\nFor additional help try 'opraft var get -help'\n` });
  assert.deepEqual(await run(['var', 'get', 'app/none']), { code: 1, stdout: '', stderr: 'Variable not found\n' });

  // Without -force or -check-index a put is a create-only CAS, as Nomad's.
  const conflict = await run(['var', 'put', 'app/db', 'user=root'], { isTTY: true });
  assert.equal(conflict.code, 1);
  assert.equal(conflict.stdout, '');
  assert.match(conflict.stderr, new RegExp(`^\\nCheck-and-Set conflict\\n\\n {4}Your provided check-index \\(0\\) does not match the server-side index \\(${v.ModifyIndex}\\)\\.`));
  assert.match(conflict.stderr, new RegExp(`-check-index=${v.ModifyIndex}\\s+flag\\s+before\\s+the\\s+positional\\s+arguments\\.\\n\\n$`));
  const cas = await run(['var', 'put', `-check-index=${v.ModifyIndex}`, 'app/db', 'user=root', 'pass='], { isTTY: true });
  assert.equal(cas.code, 0, cas.stderr);
  assert.deepEqual(s.fsm.variable('app/db')!.Items, { user: 'root' }, 'an empty value removes the item; the others stay');
  assert.equal((await run(['var', 'put', '-force', 'app/db', 'user=forced'], { isTTY: true })).code, 0);
  assert.equal((await run(['var', 'put', '-force', '-out=none', 'app/other', 'a=@' + writeTmp('value.txt', 'from-file')])).stdout, 'Created variable "app/other" with modify index ' + (s.fsm.variable('app/other')?.ModifyIndex ?? '?') + '\n');
  assert.deepEqual(s.fsm.variable('app/other')!.Items, { a: 'from-file' });
  assert.equal((await run(['var', 'put', 'app/stdin', 'k=-'], { isTTY: true, stdin: 'piped' })).code, 0);
  assert.deepEqual(s.fsm.variable('app/stdin')!.Items, { k: 'piped' });
  const warn = await run(['var', 'put', 'app/warn', 'a-b=1'], { isTTY: true });
  assert.equal(warn.code, 0);
  assert.equal(warn.stderr, `Variable Warnings:\n* "a-b" contains characters ["-"] that require the 'index' function for direct access in templates\n\n`);
  assert.deepEqual(await run(['var', 'put', 'app/db']), { code: 1, stdout: '', stderr: "Must supply data\nFor additional help try 'opraft var put -help'\n" });
  assert.deepEqual(await run(['var', 'put']), { code: 1, stdout: '', stderr: "Not enough arguments (expected >1, got 0)\nFor additional help try 'opraft var put -help'\n" });
  assert.deepEqual(await run(['var', 'put', 'app/db', 'novalue'], { isTTY: true }), { code: 1, stdout: '', stderr: 'Failed to parse K=V data: invalid key/value pair "novalue": format must be key=value\n' });
  const bad = await run(['var', 'put', '-force', 'bad path!', 'a=b'], { isTTY: true });
  assert.deepEqual(bad, { code: 1, stdout: '', stderr: 'Error creating variable: Unexpected response code: 400 (invalid path "bad path!")\n' });

  const list = await run(['var', 'list', 'app/']);
  assert.equal(list.code, 0);
  assert.match(list.stdout, /^Namespace  Path +Last Updated\ndefault {4}app\/db +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\ndefault {4}app\/other /);
  assert.equal((await run(['var', 'list', '-q', 'app/o'])).stdout, 'app/other\n');
  assert.deepEqual(JSON.parse((await run(['var', 'list', '-json', 'app/s'])).stdout).map((m: { Path: string }) => m.Path), ['app/stdin']);
  assert.deepEqual(await run(['var', 'list', 'zzz']), { code: 0, stdout: 'No matching variables found\n', stderr: '' });

  const idx = s.fsm.variable('app/db')!.ModifyIndex;
  const purgeConflict = await run(['var', 'purge', '-check-index=1', 'app/db']);
  assert.equal(purgeConflict.code, 1);
  assert.match(purgeConflict.stderr, /Your provided check-index \(1\) does not match the server-side index/);
  assert.deepEqual(await run(['var', 'purge', `-check-index=${idx}`, 'app/db']), { code: 0, stdout: 'Successfully purged variable "app/db"!\n', stderr: '' });
  assert.deepEqual(await run(['var', 'purge', '-check-index=x', 'app/db']), { code: 1, stdout: '', stderr: 'Invalid -check-index value "x": not parsable as uint64\n' });
  assert.deepEqual(await run(['var', 'purge']), { code: 1, stdout: '', stderr: "This command takes one argument: <path>\nFor additional help try 'opraft var purge -help'\n" });
});

function writeTmp(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

test('acl bootstrap, policy apply, token create, token self; the 403 line', async () => {
  s.aclEnabled = true;
  try {
    const boot = await run(['acl', 'bootstrap']);
    assert.equal(boot.code, 0, boot.stderr);
    const m = /^Accessor ID  = ([0-9a-f-]{36})\nSecret ID    = ([0-9a-f-]{36})\nName         = Bootstrap Token\nType         = management\nGlobal       = true\nCreate Time  = \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC\nExpiry Time  = <none>\nCreate Index = \d+\nModify Index = \d+\nPolicies     = n\/a\nRoles        = n\/a\n$/.exec(boot.stdout);
    assert.ok(m, boot.stdout);
    const secret = m[2]!;
    const again = await run(['acl', 'bootstrap']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^Error bootstrapping: Unexpected response code: 400 \(ACL bootstrap already done \(reset index: \d+\)\)\n$/);

    const mgmt = { env: { NOMAD_TOKEN: secret } };
    writeTmp('ops.hcl', 'operator { policy = "read" }\n');
    assert.deepEqual(await run(['acl', 'policy', 'apply', '-description', 'Operators', 'ops', 'ops.hcl'], mgmt), { code: 0, stdout: 'Successfully wrote "ops" ACL policy!\n', stderr: '' });
    assert.deepEqual(await run(['acl', 'policy', 'apply', 'vars', '-'], { ...mgmt, stdin: 'namespace "default" { policy = "write" }' }), { code: 0, stdout: 'Successfully wrote "vars" ACL policy!\n', stderr: '' });
    const badPolicy = await run(['acl', 'policy', 'apply', 'bad', '-'], { ...mgmt, stdin: 'operator { policy = "sideways" }' });
    assert.equal(badPolicy.code, 1);
    assert.match(badPolicy.stderr, /^Error writing ACL policy: Unexpected response code: 400 \(/);
    const usage = await run(['acl', 'policy', 'apply', 'only-name'], mgmt);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /^Usage: opraft acl policy apply \[options\] <name> <path>/);

    const created = await run(['acl', 'token', 'create', '-name=ops token', '-policy', 'ops', '-policy=vars'], mgmt);
    assert.equal(created.code, 0, created.stderr);
    const c = /^Accessor ID  = [0-9a-f-]{36}\nSecret ID    = ([0-9a-f-]{36})\nName         = ops token\nType         = client\nGlobal       = false\nCreate Time  = .+\nExpiry Time  = <none>\nCreate Index = \d+\nModify Index = \d+\nPolicies     = \[ops vars\]\n\nRoles\n<none>\n$/.exec(created.stdout);
    assert.ok(c, created.stdout);
    const opsSecret = c[1]!;
    const self = await run(['acl', 'token', 'self', '-token', opsSecret]);
    assert.equal(self.code, 0, self.stderr);
    assert.match(self.stdout, /^Name {9}= ops token$/m);
    const selfJson = JSON.parse((await run(['acl', 'token', 'self', '-json'], { env: { NOMAD_TOKEN: opsSecret } })).stdout) as { SecretID: string; Policies: string[] };
    assert.equal(selfJson.SecretID, opsSecret);
    assert.deepEqual(selfJson.Policies, ['ops', 'vars']);
    assert.deepEqual(await run(['acl', 'token', 'self']), { code: 1, stdout: '', stderr: 'No token present in the environment or set via the CLI flag\n' });
    const ttl = await run(['acl', 'token', 'create', '-ttl=abc'], mgmt);
    assert.equal(ttl.code, 1);
    assert.match(ttl.stderr, /^Failed to parse TTL as time duration: time: invalid duration "abc"/);
    const mgmtWithPolicy = await run(['acl', 'token', 'create', '-type=management', '-policy=ops'], mgmt);
    assert.equal(mgmtWithPolicy.code, 1);
    assert.match(mgmtWithPolicy.stderr, /^Error creating token: Unexpected response code: 400 \(/);

    // A read-only operator token: reads pass, management-only calls answer the 403 line.
    const ro = { env: { NOMAD_TOKEN: opsSecret } };
    assert.equal((await run(['operator', 'scheduler', 'get-config'], ro)).code, 0);
    assert.deepEqual(await run(['operator', 'raft', 'list-peers'], ro), { code: 1, stdout: '', stderr: 'Failed to retrieve raft configuration: Unexpected response code: 403 (Permission denied)\n' });
    assert.deepEqual(await run(['operator', 'scheduler', 'set-config', '-pause-eval-broker=false'], ro), { code: 1, stdout: '', stderr: 'Error setting scheduler configuration: Unexpected response code: 403 (Permission denied)\n' });
    assert.deepEqual(await run(['acl', 'token', 'create', '-name=x', '-policy=ops'], ro), { code: 1, stdout: '', stderr: 'Error creating token: Unexpected response code: 403 (Permission denied)\n' });
    assert.equal((await run(['var', 'put', 'acl/ok', 'a=b'], { ...ro, isTTY: true })).code, 0, 'the vars policy allows writes');
  } finally {
    s.aclEnabled = false;
  }
});
