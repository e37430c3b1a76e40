// Hostile config files and peers.json at start-up: every malformed variant is refused, quickly,
// with a message naming the file and what is wrong — through the loader and parser in process, and
// end to end through real `opraft agent` processes (a config that used to hang the HCL reader; a
// peers.json that used to be accepted). test/config/errors.test.ts and test/integration/peers-json
// cover the documented single-key errors and hashicorp/raft's checks; these are the hostile rest.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ConfigError, loadAgentConfig } from '../../src/config/index.ts';
import { parseConfigText } from '../../src/config/parse.ts';
import { PeersJsonError, readPeersConfiguration } from '../../src/storage/index.ts';
import { loadFails, opts, scratch } from '../config/helpers.ts';
import { countLog, TestCluster, waitLeader, type TestNode } from '../integration/harness.ts';

let s: Awaited<ReturnType<typeof scratch>>;
before(async () => {
  s = await scratch();
});
after(async () => {
  await s.cleanup();
});

const BASE = 'data_dir = "/d"\nserver { enabled = true }\n';
const BASE_JSON = { data_dir: '/d', server: { enabled: true } };

/** Loads one file that must be refused within `ms`; returns the error (its message names the file). */
async function refusedFile(name: string, content: string | Buffer, problem: RegExp, ms = 3000): Promise<ConfigError> {
  const file = await s.write(name, typeof content === 'string' ? content : content.toString('latin1'));
  if (Buffer.isBuffer(content)) await writeFile(file, content);
  const t = Date.now();
  const err = await loadFails(['-config', file], opts(s.dir));
  const took = Date.now() - t;
  assert.ok(err.message.includes(file), `${name}: the message names the file: ${err.message}`);
  assert.match(err.message, problem, name);
  assert.ok(took < ms, `${name}: refused in ${took} ms`);
  return err;
}

test('config files that are not HCL or JSON at all: binary, NUL bytes, invalid UTF-8, truncated, unbalanced', async () => {
  await refusedFile('binary.hcl', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0xff, 0xfe]), /cannot parse HCL/);
  await refusedFile('nul.hcl', `${BASE}name = "a\u0000b"\n`, /cannot parse HCL|name/);
  await refusedFile('latin1.json', Buffer.from('{"data_dir": "/d\xe9", "server": {"enabled": tru', 'latin1'), /cannot parse JSON/);
  await refusedFile('truncated.hcl', 'data_dir = "/d"\nserver {\n  enabled = true\n', /cannot parse HCL/);
  await refusedFile('unbalanced.hcl', `${BASE}}}}\n`, /cannot parse HCL/);
  await refusedFile('unterminated-string.hcl', 'data_dir = "/d\nserver { enabled = true }\n', /cannot parse HCL/);
  await refusedFile('unterminated-heredoc.hcl', `${BASE}name = <<EOF\nabc\n`, /cannot parse HCL/);
  await refusedFile('garbage.json', 'not json at all', /cannot parse JSON/);
  await refusedFile('trailing.json', `${JSON.stringify(BASE_JSON)} trailing`, /cannot parse JSON/);
  for (const [name, text, what] of [['top-array.json', '[1,2]', /a list/], ['top-string.json', '"x"', /"x"/], ['top-number.json', '42', /42/], ['top-null.json', 'null', /null/]] as const) {
    await refusedFile(name, text, what);
  }
});

test('deep nesting is refused at once, and the HCL reader is not left broken for the next file', async () => {
  for (const [name, text] of [
    ['deep-blocks.hcl', `${BASE}${'a { '.repeat(1000)}${'}'.repeat(1000)}\n`],
    ['deep-lists.hcl', `${BASE}x = ${'['.repeat(5000)}${']'.repeat(5000)}\n`],
    ['deep-unbalanced.hcl', `${BASE}${'{'.repeat(200_000)}`],
  ] as const) {
    await refusedFile(name, text, /cannot parse HCL: blocks and lists nest \d+ levels deep; at most 64 are read/, 2000);
  }
  // Braces in strings, comments and heredocs do not count.
  const quoted = `${BASE}name = "${'{'.repeat(500)}x"\n# ${'['.repeat(500)}\n/* ${'{'.repeat(500)} */\nregion = <<EOF\n${'{'.repeat(500)}\nEOF\n`;
  assert.doesNotThrow(() => parseConfigText(quoted, 'quoted.hcl'));
  // A real config still parses after the refusals.
  const good = await s.write('good-after-deep.hcl', BASE);
  assert.equal((await loadAgentConfig(['-config', good], opts(s.dir))).config.dataDir, '/d');
  // JSON nests deeply without harm, and the unknown key is named.
  await refusedFile('deep.json', `{"data_dir":"/d","server":{"enabled":true},"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, /x: unknown key at the top level/);
  await refusedFile('deep-known.json', JSON.stringify({ ...BASE_JSON, server: { enabled: true, server_join: { retry_join: [[[['a']]]] } } }), /server\.server_join\.retry_join/);
});

test('known keys with the wrong shape in JSON: blocks as scalars, scalars as blocks, nulls, wrong list items', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...BASE_JSON, server: 'yes' }, /server: expected a block/],
    [{ ...BASE_JSON, server: [1, 2] }, /server/],
    [{ ...BASE_JSON, ports: 4646 }, /ports: expected a block/],
    [{ ...BASE_JSON, ports: { http: [4646] } }, /ports\.http/],
    [{ ...BASE_JSON, ports: { http: -1 } }, /ports\.http/],
    [{ ...BASE_JSON, ports: { rpc: 1e10 } }, /ports\.rpc/],
    [{ ...BASE_JSON, limits: [] }, /limits/],
    [{ ...BASE_JSON, limits: { http_max_json_body_size: {} } }, /limits\.http_max_json_body_size/],
    [{ ...BASE_JSON, limits: { http_max_conns_per_client: -5 } }, /limits\.http_max_conns_per_client/],
    [{ ...BASE_JSON, limits: { http_header_timeout: '0s' } }, /limits\.http_header_timeout/],
    [{ ...BASE_JSON, autopilot: { last_contact_threshold: null, max_trailing_logs: 'many' } }, /autopilot\.max_trailing_logs/],
    [{ ...BASE_JSON, server: { enabled: true, bootstrap_expect: true } }, /server\.bootstrap_expect/],
    [{ ...BASE_JSON, server: { enabled: true, server_join: { retry_join: 'not a host:port:x' } } }, /server\.server_join\.retry_join/],
    [{ ...BASE_JSON, server: { enabled: true, encrypt: 'c2hvcnQ=' } }, /server\.encrypt/],
    [{ ...BASE_JSON, bind_addr: '999.1.1.1' }, /bind_addr/],
    [{ ...BASE_JSON, raft_tick: 'fast' }, /raft_tick/],
    [{ ...BASE_JSON, log_level: ['DEBUG'] }, /log_level/],
    [{ ...BASE_JSON, acl: { enabled: 'maybe' } }, /acl\.enabled/],
    [{ ...BASE_JSON, name: 'has space' }, /name: must not contain spaces/],
    [{ ...BASE_JSON, region: '' }, /region: expected a value/],
    [{ ...BASE_JSON, '': 1 }, /unknown key/],
    [{ ...BASE_JSON, __proto__key: 1 }, /__proto__key/],
  ];
  for (const [i, [tree, problem]] of cases.entries()) await refusedFile(`shape-${i}.json`, JSON.stringify(tree), problem);
  // `__proto__` as a JSON key is an own key to JSON.parse: it is an unknown key, not a prototype.
  await refusedFile('proto.json', '{"data_dir":"/d","server":{"enabled":true},"__proto__":{"acl":{"enabled":true}}}', /__proto__/);
});

test('limits that would break the server are refused: an RPC frame too small for a Raft entry', async () => {
  for (const v of ['10', '1KiB', '65536', '1048575']) {
    await refusedFile(`frame-${v}.hcl`, `${BASE}limits { rpc_max_frame_size = "${v}" }\n`, /limits\.rpc_max_frame_size: must be at least 1MiB/);
  }
  const ok = await s.write('frame-1MiB.hcl', `${BASE}limits { rpc_max_frame_size = "1MiB" }\n`);
  assert.equal((await loadAgentConfig(['-config', ok], opts(s.dir))).config.limits.rpcMaxFrameBytes, 1 << 20);
});

test('config paths that cannot be read: missing, a dangling symlink, a directory holding a bad file, unreadable', async () => {
  const missing = path.join(s.dir, 'nope.hcl');
  await assert.rejects(loadAgentConfig(['-config', missing], opts(s.dir)), (e: unknown) => e instanceof ConfigError && e.message.includes(missing));
  const dangling = path.join(s.dir, 'dangling.hcl');
  await symlink(path.join(s.dir, 'gone.hcl'), dangling);
  await assert.rejects(loadAgentConfig(['-config', dangling], opts(s.dir)), (e: unknown) => e instanceof ConfigError && e.message.includes('dangling.hcl'));
  const dir = path.join(s.dir, 'confdir');
  await mkdir(dir);
  await writeFile(path.join(dir, 'a.hcl'), BASE);
  await writeFile(path.join(dir, 'b.json'), '{"limits": {"rpc_max_frame_size": 5}}');
  await assert.rejects(loadAgentConfig(['-config', dir], opts(s.dir)), (e: unknown) => e instanceof ConfigError && e.message.includes('b.json') && /rpc_max_frame_size/.test(e.message));
  if (process.getuid?.() !== 0) {
    const locked = await s.write('locked.hcl', BASE);
    await chmod(locked, 0o000);
    await assert.rejects(loadAgentConfig(['-config', locked], opts(s.dir)), (e: unknown) => e instanceof ConfigError && e.message.includes('locked.hcl'));
  }
});

// ------------------------------------------------------------------ peers.json

const ID = '6f1c4d1e-1111-4111-8111-111111111111';
const ID2 = '9a0b2c3d-2222-4222-8222-222222222222';

test('peers.json: every malformed variant is refused with `recovery failed to parse peers.json:` naming what is wrong', () => {
  const e = (o: Record<string, unknown>) => JSON.stringify([o]);
  const cases: [string, string, RegExp][] = [
    ['empty file', '', /invalid JSON/],
    ['whitespace', '  \n', /invalid JSON/],
    ['a BOM', `\ufeff${e({ id: ID, address: '10.0.0.1:4647' })}`, /invalid JSON/],
    ['trailing garbage', `${e({ id: ID, address: '10.0.0.1:4647' })}x`, /invalid JSON/],
    ['two arrays', `${e({ id: ID, address: '10.0.0.1:4647' })}${e({ id: ID2, address: '10.0.0.2:4647' })}`, /invalid JSON/],
    ['null', 'null', /holds null, not an array/],
    ['an object', '{}', /holds an object, not an array/],
    ['a number', '5', /holds a number/],
    ['an empty list', '[]', /need at least one voter in configuration: 0 server/],
    ['a null entry', '[null]', /entry 0 is null, not an object/],
    ['a nested list', '[[{"id":"x","address":"10.0.0.1:4647"}]]', /entry 0 is an array, not an object/],
    ['v2 strings', '["10.0.0.1:4647"]', /entry 0 is the string "10\.0\.0\.1:4647", not an object \(a list of "ip:port" strings is the Raft protocol 2 format/],
    ['id as an object', e({ id: { a: 1 }, address: '10.0.0.1:4647' }), /entry 0: "id" is an object, not a string/],
    ['address as a list', e({ id: ID, address: ['10.0.0.1:4647'] }), /entry 0: "address" is an array, not a string/],
    ['non_voter as a number', e({ id: ID, address: '10.0.0.1:4647', non_voter: 0 }), /entry 0: "non_voter" is a number, not true or false/],
    ['no id', e({ address: '10.0.0.1:4647' }), /empty ID in configuration: entry 0/],
    ['no address', e({ id: ID }), /empty address in configuration: entry 0/],
    ['an address without a port', e({ id: ID, address: '10.0.0.1' }), /invalid address in configuration: entry 0: "10\.0\.0\.1" is not ip:port/],
    ['an address with port 0', e({ id: ID, address: '10.0.0.1:0' }), /invalid address in configuration: entry 0/],
    ['an address with port 99999', e({ id: ID, address: '10.0.0.1:99999' }), /invalid address in configuration: entry 0/],
    ['an address with spaces', e({ id: ID, address: ' 10.0.0.1:4647' }), /invalid address in configuration/],
    ['an address that is a URL', e({ id: ID, address: 'http://10.0.0.1:4647' }), /invalid address in configuration/],
    ['an unbracketed IPv6 address', e({ id: ID, address: '::1:4647' }), /invalid address in configuration/],
    ['an id of 300 characters', e({ id: 'x'.repeat(300), address: '10.0.0.1:4647' }), /invalid ID in configuration: entry 0: .*at most 256 characters/],
    ['an id with a newline', e({ id: 'a\nb', address: '10.0.0.1:4647' }), /invalid ID in configuration: entry 0/],
    ['a duplicate id by case-insensitive key (the last wins)', JSON.stringify([{ id: ID, ID: '', address: '10.0.0.1:4647' }]), /empty ID in configuration/],
    ['duplicate ids', JSON.stringify([{ id: ID, address: '10.0.0.1:4647' }, { id: ID, address: '10.0.0.2:4647' }]), new RegExp(`found duplicate ID in configuration: ${ID}`)],
    ['duplicate addresses', JSON.stringify([{ id: ID, address: '10.0.0.1:4647' }, { id: ID2, address: '10.0.0.1:4647' }]), /found duplicate address in configuration: 10\.0\.0\.1:4647/],
    ['only non-voters', e({ id: ID, address: '10.0.0.1:4647', non_voter: true }), /need at least one voter/],
    ['deep nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, /entry 0 is an array/],
  ];
  for (const [what, text, problem] of cases) {
    const t = Date.now();
    assert.throws(() => readPeersConfiguration(text), (err: unknown) => {
      assert.ok(err instanceof PeersJsonError, `${what}: ${String(err)}`);
      assert.ok(err.message.startsWith('recovery failed to parse peers.json: '), `${what}: ${err.message}`);
      assert.match(err.message, problem, what);
      return true;
    }, what);
    assert.ok(Date.now() - t < 1000, `${what}: refused promptly`);
  }
  // The accepted forms still are: IPv4, a host name, bracketed IPv6, keys in any case, unknown keys.
  const ok = readPeersConfiguration(JSON.stringify([{ ID, Address: '10.0.0.1:4647', extra: 1 }, { id: ID2, address: 'srv-2.example:4647', NON_VOTER: true }, { id: 'c', address: '[::1]:4647' }]));
  assert.deepEqual(ok, { voters: [ID, 'c'], nonVoters: [ID2], addresses: { [ID]: '10.0.0.1:4647', [ID2]: 'srv-2.example:4647', c: '[::1]:4647' } });
  // 10 000 entries parse in well under a second.
  const many = JSON.stringify(Array.from({ length: 10_000 }, (_, i) => ({ id: `id-${i}`, address: `10.0.${i >> 8}.${i & 255}:4647` })));
  const t = Date.now();
  assert.equal(readPeersConfiguration(many).voters.length, 10_000);
  assert.ok(Date.now() - t < 1000);
});

test('real servers: a deeply nested config and a bad peers.json each stop start-up, naming the problem; the data stays usable', async () => {
  const c = await TestCluster.create(1, { expect: 1, join: [] });
  const n = c.nodes[0]!;
  const startFails = async (node: TestNode, text: string): Promise<string> => {
    const before = (await node.log()).length;
    const t = Date.now();
    await node.start();
    const exit = await node.waitExit(30_000);
    const log = (await node.log()).slice(before);
    assert.ok(exit.code !== 0 && exit.code !== null, `${node.name} should have failed to start: ${JSON.stringify(exit)}\n${log}`);
    assert.ok(log.includes(text), `the log lacks ${JSON.stringify(text)}:\n${log.slice(-2000)}`);
    assert.ok(Date.now() - t < 25_000, `refused in ${Date.now() - t} ms`);
    return log;
  };
  try {
    // A config nested 2000 levels deep: it hung the HCL reader for minutes; now a prompt refusal.
    n.opts.extraHcl = `${'x { '.repeat(2000)}${'}'.repeat(2000)}`;
    await startFails(n, 'blocks and lists nest 2000 levels deep');
    n.opts.extraHcl = undefined;

    // Raft state first, then peers.json variants the recovery must refuse before touching it.
    await n.start();
    await waitLeader(c, [n]);
    const put = await n.req('PUT', '/v1/var/startup/keep', { Items: { k: 'v' } });
    assert.equal(put.status, 200, put.text);
    await n.signal('SIGTERM');
    const peersJson = path.join(n.dataDir, 'server', 'raft', 'peers.json');
    for (const [body, text] of [
      [JSON.stringify([{ id: randomUUID(), address: n.rpcAddr.split(':')[0] }]), 'recovery failed to parse peers.json: invalid address in configuration: entry 0'],
    ] as const) {
      await writeFile(peersJson, body);
      await startFails(n, text);
      assert.equal(await readFile(peersJson, 'utf8'), body, 'the refused file is left in place');
    }
    await rm(peersJson);
    await n.start();
    await waitLeader(c, [n]);
    const got = await n.get('/v1/var/startup/keep');
    assert.equal(got.status, 200, 'the data survived the refused starts');
    assert.equal(await countLog(n, 'found peers.json file'), 1);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${await c.logs(20)}`, { cause: e });
  } finally {
    await c.destroy();
  }
});
