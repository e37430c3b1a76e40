// Unknown keys and bad values stop start-up with a message naming the file, the key and the problem.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAgentConfig } from '../../src/config/index.ts';
import { loadFails, opts, scratch } from './helpers.ts';

let s: Awaited<ReturnType<typeof scratch>>;
before(async () => { s = await scratch(); });
after(async () => { await s.cleanup(); });

const BASE = 'data_dir = "/d"\nserver { enabled = true }\n';

/** Each case: file text (after BASE), the key path the error must name, and words the problem must contain. */
const CASES: Array<[string, string, string, RegExp]> = [
  ['unknown top-level key', 'bogus_key = 1', 'bogus_key', /unknown key at the top level/],
  ['misspelt key gets a suggestion', 'datacentre = "dc2"', 'datacentre', /did you mean "datacenter"/],
  ['key in the wrong block gets a hint', 'server { raft_tick = "50ms" }', 'server.raft_tick', /belongs in the top level/],
  ['unknown key in a nested block', 'server { server_join { retry_joins = ["a"] } }', 'server.server_join.retry_joins', /did you mean "retry_join"/],
  ['unknown key in autopilot', 'autopilot { cleanup = true }', 'autopilot.cleanup', /unknown key in autopilot/],
  ['unknown key in limits', 'limits { max_body = 1 }', 'limits.max_body', /unknown key in limits/],
  ['unknown key in default_scheduler_config', 'server { default_scheduler_config { algorithm = "spread" } }',
    'server.default_scheduler_config.algorithm', /unknown key/],
  ['string where a number belongs', 'server { bootstrap_expect = "three" }', 'server.bootstrap_expect', /expected a whole number, got "three"/],
  ['negative number', 'server { bootstrap_expect = -1 }', 'server.bootstrap_expect', /must not be negative/],
  ['duration without a unit', 'server { failure_timeout = "5" }', 'server.failure_timeout', /missing unit/],
  ['duration as a number', 'autopilot { last_contact_threshold = 200 }', 'autopilot.last_contact_threshold', /needs a unit/],
  ['bad duration unit', 'server { apply_timeout = "10 seconds" }', 'server.apply_timeout', /duration/],
  ['negative duration', 'autopilot { server_stabilization_time = "-1s" }', 'autopilot.server_stabilization_time', /must not be negative/],
  ['zero raft_tick', 'raft_tick = "0s"', 'raft_tick', /at least 1ms/],
  ['bool as a word', 'acl { enabled = "yes" }', 'acl.enabled', /expected true or false/],
  ['bad log level', 'log_level = "LOUD"', 'log_level', /invalid log level "LOUD"/],
  ['bad bind address', 'bind_addr = "not an ip"', 'bind_addr', /expected an IP address/],
  ['sockaddr template', 'bind_addr = "{{ GetPrivateIP }}"', 'bind_addr', /templates are not supported/],
  ['port out of range', 'ports { http = 70000 }', 'ports.http', /from 0 to 65535/],
  ['block where a value belongs', 'name { x = 1 }', 'name', /expected a value, got a block/],
  ['value where a block belongs', 'autopilot = 3', 'autopilot', /expected a block/],
  ['bad retry_join address', 'server { server_join { retry_join = ["10.0.0.1:99999"] } }', 'server.server_join.retry_join[0]', /port must be a number from 1 to 65535/],
  ['cloud auto-join', 'server { server_join { retry_join = ["provider=aws tag_key=x"] } }', 'server.server_join.retry_join[0]', /go-discover/],
  ['retry_join not a list of strings', 'server { server_join { retry_join = [1] } }', 'server.server_join.retry_join', /list of strings/],
  ['bad scheduler algorithm', 'server { default_scheduler_config { scheduler_algorithm = "random" } }',
    'server.default_scheduler_config.scheduler_algorithm', /invalid scheduler algorithm: random/],
  ['bad size', 'limits { rpc_max_frame_size = "8 parsecs" }', 'limits.rpc_max_frame_size', /size/],
  ['bad encrypt key', 'server { encrypt = "c2hvcnQ=" }', 'server.encrypt', /Invalid encryption key: it decodes to 5 bytes/],
  ['bad license key', 'server { license_public_keys = ["bm90IGEga2V5"] }', 'server.license_public_keys', /not a public key/],
  ['raft_protocol 2', 'server { raft_protocol = 2 }', 'server.raft_protocol', /raft_protocol must be 3 in Nomad v1.4 and later, got 2/],
  ['datacenter with *', 'datacenter = "dc*"', 'datacenter', /must not contain "\*"/],
  ['advertise the any-address', 'advertise { rpc = "0.0.0.0:4647" }', 'advertise.rpc', /cannot advertise 0.0.0.0/],
  ['bad header name', 'http_api_response_headers { "bad header" = "x" }', 'http_api_response_headers.bad header', /not a valid HTTP header name/],
];

for (const [title, text, key, problem] of CASES) {
  test(`error names file and key: ${title}`, async () => {
    const file = await s.write(`${title.replaceAll(/\W+/g, '-')}.hcl`, `${BASE}${text}\n`);
    const err = await loadFails(['-config', file], opts(s.dir));
    assert.equal(err.file, file);
    assert.equal(err.key, key);
    assert.match(err.problem, problem);
    assert.equal(err.message, `${file}: ${key}: ${err.problem}`);
  });
}

test('raft_multiplier: 1 to 10 accepted, 0 means 1, others refused with Nomad\'s text', async () => {
  for (const [n, want] of [[1, 1], [10, 10], [0, 1], [4, 4]] as const) {
    const file = await s.write(`mult-${n}.hcl`, `${BASE}server { raft_multiplier = ${n} }\n`);
    const { config } = await loadAgentConfig(['-config', file], opts(s.dir));
    assert.equal(config.server.raftMultiplier, want);
  }
  for (const n of [11, -1, 100]) {
    const file = await s.write(`mult-bad-${n}.hcl`, `${BASE}server { raft_multiplier = ${n} }\n`);
    const err = await loadFails(['-config', file], opts(s.dir));
    assert.equal(err.key, 'server.raft_multiplier');
    assert.equal(err.problem, `raft_multiplier cannot be ${n}. Must be between 1 and 10`);
  }
});

test('HCL syntax errors name the file and the position', async () => {
  const file = await s.write('broken.hcl', 'server {\n  enabled = \n');
  const err = await loadFails(['-config', file], opts(s.dir));
  assert.equal(err.file, file);
  assert.equal(err.key, undefined);
  assert.match(err.message, /^.*broken\.hcl: cannot parse HCL: At \d+:\d+: /);
});

test('numbers too large for the HCL reader get a hint', async () => {
  const file = await s.write('big.hcl', `${BASE}limits { snapshot_restore_max_size = 4294967296 }\n`);
  const err = await loadFails(['-config', file], opts(s.dir));
  assert.match(err.problem, /write sizes as strings such as "4GiB"/);
});

test('JSON syntax errors and non-object JSON name the file', async () => {
  const broken = await s.write('broken.json', '{"server": {"enabled": }}');
  const err = await loadFails(['-config', broken], opts(s.dir));
  assert.equal(err.file, broken);
  assert.match(err.problem, /cannot parse JSON/);
  const list = await s.write('list.json', '[1, 2]');
  assert.match((await loadFails(['-config', list], opts(s.dir))).problem, /expected a JSON object/);
});

test('a missing -config path is an error naming it', async () => {
  const err = await loadFails(['-config', 'nope.hcl'], opts(s.dir));
  assert.match(err.message, /nope\.hcl: cannot load configuration: no such file or directory/);
});

test('join conflicts across files use Nomad\'s texts and name the deprecated key\'s file', async () => {
  const a = await s.write('join-a.hcl', `${BASE}server { server_join { retry_join = ["10.0.0.1"] } }\n`);
  const b = await s.write('join-b.hcl', 'server { retry_join = ["10.0.0.2"] }\n');
  const err = await loadFails(['-config', a, '-config', b], opts(s.dir));
  assert.equal(err.problem, 'server_join and retry_join cannot both be defined; prefer setting the server_join block');
  assert.equal(err.file, b);
  assert.equal(err.key, 'server.retry_join');

  const c = await s.write('join-c.hcl', 'server { retry_interval = "3s" }\n');
  assert.equal((await loadFails(['-config', a, '-config', c], opts(s.dir))).problem,
    'server_join and retry_interval cannot both be defined; prefer setting the server_join block');

  const d = await s.write('join-d.hcl', `${BASE}server { server_join { retry_join = ["10.0.0.1"]\n start_join = ["10.0.0.3"] } }\n`);
  assert.equal((await loadFails(['-config', d], opts(s.dir))).problem, 'retry_join and start_join cannot both be defined');
});

test('a server must be enabled and have a data directory outside -dev', async () => {
  const noServer = await s.write('no-server.hcl', 'data_dir = "/d"\nclient { enabled = true }\n');
  const err = await loadFails(['-config', noServer], opts(s.dir));
  assert.match(err.message, /^Must specify either server or dev mode for the agent/);
  const noDir = await s.write('no-dir.hcl', 'server { enabled = true }\n');
  assert.equal((await loadFails(['-config', noDir], opts(s.dir))).message, 'Must specify "data_dir" config option or "data-dir" CLI flag');
});
