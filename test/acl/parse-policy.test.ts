// Policy parsing: accepted shapes, policy-word expansion, the normalized (RulesJSON) form
// and strict errors that name what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy, PolicyError } from '../../src/acl/index.ts';

test('operator policy words expand into capabilities after the explicit ones (§6.2)', () => {
  assert.deepEqual(parsePolicy('operator { policy = "deny" }').Operator, { Policy: 'deny', Capabilities: ['deny'] });
  assert.deepEqual(parsePolicy('operator { policy = "read" }').Operator, { Policy: 'read', Capabilities: ['license-read', 'keyring-read'] });
  assert.deepEqual(parsePolicy('operator { policy = "write" }').Operator, {
    Policy: 'write', Capabilities: ['snapshot-save', 'license-read', 'keyring-rotate', 'keyring-read', 'keyring-delete'],
  });
  assert.deepEqual(parsePolicy('operator { policy = "read" capabilities = ["snapshot-save"] }').Operator, {
    Policy: 'read', Capabilities: ['snapshot-save', 'license-read', 'keyring-read'],
  });
  assert.deepEqual(parsePolicy('operator { capabilities = ["keyring-rotate"] }').Operator, { Policy: '', Capabilities: ['keyring-rotate'] });
  assert.deepEqual(parsePolicy('operator {}').Operator, { Policy: '', Capabilities: null });
});

test('every operator capability is accepted', () => {
  for (const cap of ['deny', 'snapshot-save', 'license-read', 'keyring-rotate', 'keyring-read', 'keyring-delete']) {
    assert.deepEqual(parsePolicy(`operator { capabilities = ["${cap}"] }`).Operator?.Capabilities, [cap]);
  }
});

test('the normalized form has Go field names, nulls for absent blocks and the raw text', () => {
  const raw = 'agent { policy = "read" }\nnode { policy = "write" }';
  assert.deepEqual(parsePolicy(raw), {
    Namespaces: null, NodePools: null, HostVolumes: null, Agent: { Policy: 'read' }, Node: { Policy: 'write' },
    Operator: null, Quota: null, Plugin: null, Raw: raw, ExtraKeysHCL: null,
  });
  assert.deepEqual(Object.keys(parsePolicy(raw)), ['Namespaces', 'NodePools', 'HostVolumes', 'Agent', 'Node', 'Operator', 'Quota', 'Plugin', 'Raw', 'ExtraKeysHCL']);
  // It survives JSON as the HTTP layer will send it.
  assert.deepEqual(JSON.parse(JSON.stringify(parsePolicy(raw))), parsePolicy(raw));
});

test('namespace words expand as Nomad expands them, and variables paths are read', () => {
  const p = parsePolicy(`
    namespace "default" {
      policy = "read"
      capabilities = ["submit-job"]
      variables {
        path "app/*" { capabilities = ["read"] }
        path "secret/*" { capabilities = ["deny", "read"] }
        path "ops" { capabilities = ["write", "destroy"] }
      }
    }
    namespace "other" { policy = "write" }`);
  const [def, other] = p.Namespaces!;
  assert.equal(def!.Name, 'default');
  assert.deepEqual(def!.Capabilities, [
    'submit-job', 'list-jobs', 'parse-job', 'read-job', 'csi-list-volume', 'csi-read-volume', 'read-job-scaling',
    'list-scaling-policies', 'read-scaling-policy', 'host-volume-read',
  ]);
  assert.deepEqual(def!.Variables, {
    Paths: [
      { PathSpec: 'app/*', Capabilities: ['read', 'list'] }, // read brings list
      { PathSpec: 'secret/*', Capabilities: ['deny'] }, // deny stands alone
      { PathSpec: 'ops', Capabilities: ['write', 'destroy'] },
    ],
  });
  assert.ok(other!.Capabilities!.includes('submit-job') && other!.Capabilities!.includes('read-logs'));
  assert.ok(!other!.Capabilities!.includes('alloc-node-exec'), 'write does not grant alloc-node-exec');
  assert.equal(other!.Variables, null);
  assert.deepEqual(parsePolicy('namespace "x" { policy = "deny" }').Namespaces![0]!.Capabilities, ['deny']);
});

test('implied namespace capabilities are added (host-volume-write brings register/create/delete/read)', () => {
  const caps = parsePolicy('namespace "x" { capabilities = ["host-volume-write"] }').Namespaces![0]!.Capabilities!;
  for (const c of ['host-volume-register', 'host-volume-create', 'host-volume-delete', 'host-volume-read']) assert.ok(caps.includes(c), c);
});

test('JSON rules parse to the same form as HCL', () => {
  const hcl = parsePolicy('namespace "default" { policy = "read" variables { path "a/*" { capabilities = ["write"] } } }\noperator { policy = "write" }');
  const json = parsePolicy(JSON.stringify({
    namespace: { default: { policy: 'read', variables: { path: { 'a/*': { capabilities: ['write'] } } } } },
    operator: { policy: 'write' },
  }));
  assert.deepEqual({ ...json, Raw: '' }, { ...hcl, Raw: '' });
  // Blocks written as JSON lists work too.
  assert.equal(parsePolicy('{"operator": [{"policy": "read"}]}').Operator?.Policy, 'read');
});

test('blocks that govern nothing here are accepted and stored', () => {
  const p = parsePolicy(`
    host_volume "data-*" { policy = "write" }
    node_pool "prod" { policy = "read" capabilities = ["delete"] }
    quota { policy = "read" }
    plugin { policy = "list" }
    namespace "*" { policy = "scale" capabilities = ["alloc-node-exec", "sentinel-override"] }`);
  assert.deepEqual(p.HostVolumes, [{ Name: 'data-*', Policy: 'write', Capabilities: ['mount-readonly', 'mount-readwrite'] }]);
  assert.deepEqual(p.NodePools, [{ Name: 'prod', Policy: 'read', Capabilities: ['delete', 'read'] }]);
  assert.deepEqual(p.Quota, { Policy: 'read' });
  assert.deepEqual(p.Plugin, { Policy: 'list' });
  assert.equal(p.Namespaces![0]!.Name, '*');
});

test('empty Rules grant nothing; whitespace or comments only are an invalid policy', () => {
  assert.deepEqual(parsePolicy('').Operator, null);
  assert.throws(() => parsePolicy('# nothing'), { name: 'PolicyError', message: 'Invalid policy: # nothing' });
  assert.throws(() => parsePolicy('{}'), /^PolicyError: Invalid policy: \{\}$/);
});

/** [rules, the message must match] */
const ERRORS: Array<[string, RegExp]> = [
  ['operator { policy = "read" capabilities = ["snapshot-restore"] }', /^Invalid operator capability 'snapshot-restore'$/],
  ['operator { policy = "admin" }', /^Invalid operator policy: "admin"/],
  ['operator { policy = "scale" }', /^Invalid operator policy: "scale"/],
  ['operator { policy = "list" }', /^Invalid operator policy: "list"/],
  ['agent { policy = "root" }', /^Invalid agent policy: "root"/],
  ['agent { }', /^Invalid agent policy: ""/],
  ['node { policy = "scale" }', /^Invalid node policy: "scale"/],
  ['quota { policy = "list" }', /^Invalid quota policy: "list"/],
  ['plugin { policy = "scale" }', /^Invalid plugin policy: "scale"/],
  ['bogus { policy = "read" }', /^Invalid or duplicate policy keys: bogus$/],
  ['keyring { policy = "read" }', /^Invalid or duplicate policy keys: keyring$/],
  ['operator { policy = "read" }\noperator { policy = "write" }', /^Invalid or duplicate policy keys: operator$/],
  ['operator { policy = "read" polcy = "write" }', /^Invalid or duplicate policy keys: operator\.polcy$/],
  ['namespace "default" { policy = "read" capability = ["x"] }', /^Invalid or duplicate policy keys: namespace\.default\.capability$/],
  ['namespace "default" { policy = "admin" }', /^Invalid namespace policy: "admin" in namespace "default"/],
  ['namespace "default" { capabilities = ["read"] }', /^Invalid namespace capability 'read' in namespace "default"$/],
  ['namespace "bad name" { policy = "read" }', /^Invalid namespace name: "bad name"/],
  ['namespace { policy = "read" }', /^Invalid namespace: the block needs a label/],
  ['namespace {}', /^Invalid namespace: the block needs a label/],
  ['namespace "d" { variables { } }', /^Invalid variable policy: no variable paths in namespace d$/],
  ['namespace "d" { variables { path "/abs" { capabilities = ["read"] } } }', /^Invalid variable path "\/abs" in namespace d: cannot start with a leading '\/'$/],
  ['namespace "d" { variables { path "" { capabilities = ["read"] } } }', /^Invalid missing variable path in namespace d$/],
  ['namespace "d" { variables { path "a" { capabilities = ["submit-job"] } } }', /^Invalid variable capability 'submit-job' in namespace d$/],
  ['namespace "d" { variables { path "a" { capabilities = ["read"] policy = "read" } } }', /^Invalid or duplicate policy keys: namespace\.d\.variables\.path\.a\.policy$/],
  ['namespace "d" { variables { path "a" { capabilities = ["read"] } }\n variables { path "b" { capabilities = ["read"] } } }', /^Invalid or duplicate policy keys: namespace\.d\.variables$/],
  ['namespace "d" { variables { path { capabilities = ["read"] } } }', /^Invalid path: the block needs a label/],
  ['operator { capabilities = "snapshot-save" }', /^Invalid operator capabilities: expected a list of strings, got "snapshot-save"$/],
  ['agent { policy = 3 }', /^Invalid agent policy: expected a string, got 3$/],
  ['operator = "write"', /^Invalid operator block: expected a block, got "write"$/],
  ['host_volume "x" { policy = "read" capabilities = ["mount"] }', /^Invalid host volume capability 'mount' for 'x'$/],
  ['node_pool "a b" { policy = "read" }', /^Invalid node pool name 'a b'$/],
  ['operator { policy = read }', /^Failed to parse ACL Policy: .*Unknown token/],
  ['operator { policy = "read" ', /^Failed to parse ACL Policy: .*RBRACE/],
  ['{"operator": {"policy": "read"},}', /^Failed to parse ACL Policy: invalid JSON/],
  ['{"operator": {"policy": "root"}}', /^Invalid operator policy: "root"/],
];

for (const [rules, message] of ERRORS) {
  test(`refused: ${rules.replace(/\s+/g, ' ')}`, () => {
    assert.throws(() => parsePolicy(rules), (e: unknown) => {
      assert.ok(e instanceof PolicyError, `expected a PolicyError, got ${String(e)}`);
      assert.match(e.message, message);
      return true;
    });
  });
}
