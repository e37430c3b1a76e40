// Rules text (HCL or JSON) to a validated, expanded PolicyRules — strictly: unknown keys
// and bad words are errors naming what is wrong, with Nomad's wording where it has one.
import { PolicyError } from './errors.ts';
import { parseNamespaces } from './parse-namespace.ts';
import { emptyRules, type LabelledRule, type OperatorRule, type PolicyRules, type PolicyWordRule } from './rules.ts';
import { blockBodies, labelledBodies, onlyKeys, parseTree, stringAttr, stringListAttr, type Body } from './tree.ts';
import {
  HOST_VOLUME_CAPABILITIES, HOST_VOLUME_EXPANSION, HOST_VOLUME_NAME, NODE_POOL_CAPABILITIES,
  NODE_POOL_EXPANSION, NODE_POOL_NAME, OPERATOR_CAPABILITIES, OPERATOR_EXPANSION, PLUGIN_POLICIES,
  SCOPED_POLICIES, SIMPLE_POLICIES,
} from './words.ts';

const TOP_LEVEL = ['namespace', 'node_pool', 'host_volume', 'agent', 'node', 'operator', 'quota', 'plugin'];

export function parsePolicy(rules: string): PolicyRules {
  if (typeof rules !== 'string') throw new PolicyError(`Failed to parse ACL Policy: expected text, got ${typeof rules}`);
  const out = emptyRules(rules);
  // Nomad's hot path: empty Rules parse to a policy that grants nothing.
  if (rules === '') return out;
  const tree = parseTree(rules);
  onlyKeys(tree, TOP_LEVEL, '');
  if (Object.keys(tree).length === 0) throw new PolicyError(`Invalid policy: ${rules}`);

  if (tree.namespace !== undefined) out.Namespaces = parseNamespaces(tree.namespace);
  if (tree.node_pool !== undefined) {
    out.NodePools = parseLabelled(tree.node_pool, 'node pool', NODE_POOL_NAME, NODE_POOL_CAPABILITIES, NODE_POOL_EXPANSION);
  }
  if (tree.host_volume !== undefined) {
    out.HostVolumes = parseLabelled(tree.host_volume, 'host volume', HOST_VOLUME_NAME, HOST_VOLUME_CAPABILITIES, HOST_VOLUME_EXPANSION);
  }
  if (tree.agent !== undefined) out.Agent = parseWord(tree.agent, 'agent', SIMPLE_POLICIES);
  if (tree.node !== undefined) out.Node = parseWord(tree.node, 'node', SIMPLE_POLICIES);
  if (tree.operator !== undefined) out.Operator = parseOperator(tree.operator);
  if (tree.quota !== undefined) out.Quota = parseWord(tree.quota, 'quota', SCOPED_POLICIES);
  if (tree.plugin !== undefined) out.Plugin = parseWord(tree.plugin, 'plugin', PLUGIN_POLICIES);
  return out;
}

/** A block that may appear once (agent, node, operator, quota, plugin). */
function single(v: unknown, key: string): Body {
  const bodies = blockBodies(v, `${key} block`);
  if (bodies.length > 1) throw new PolicyError(`Invalid or duplicate policy keys: ${key}`);
  return bodies[0]!;
}

/** `agent|node|quota|plugin { policy = "..." }`: the word is required. */
function parseWord(v: unknown, key: string, valid: readonly string[]): PolicyWordRule {
  const body = single(v, key);
  onlyKeys(body, ['policy'], key);
  const policy = stringAttr(body, 'policy', key);
  if (!valid.includes(policy)) {
    throw new PolicyError(`Invalid ${key} policy: "${policy}" (expected ${orList(valid)})`);
  }
  return { Policy: policy };
}

/** `operator { policy, capabilities }`: either may be absent (§6.2). */
function parseOperator(v: unknown): OperatorRule {
  const body = single(v, 'operator');
  onlyKeys(body, ['policy', 'capabilities'], 'operator');
  const policy = stringAttr(body, 'policy', 'operator');
  if (policy !== '' && !SIMPLE_POLICIES.includes(policy)) {
    throw new PolicyError(`Invalid operator policy: "${policy}" (expected ${orList(SIMPLE_POLICIES)})`);
  }
  const caps = [...stringListAttr(body, 'capabilities', 'operator')];
  for (const cap of caps) {
    if (!(OPERATOR_CAPABILITIES as readonly string[]).includes(cap)) throw new PolicyError(`Invalid operator capability '${cap}'`);
  }
  if (policy !== '') caps.push(...OPERATOR_EXPANSION[policy]!);
  return { Policy: policy, Capabilities: caps.length > 0 ? caps : null };
}

/** host_volume / node_pool: stored for the policy API; nothing here checks them (Part A §20). */
function parseLabelled(
  v: unknown, what: string, nameRe: RegExp, validCaps: ReadonlySet<string>, expansion: Record<string, readonly string[]>,
): LabelledRule[] {
  const key = what.replace(' ', '_');
  return labelledBodies(v, key).map(([name, body]) => {
    if (!nameRe.test(name)) throw new PolicyError(`Invalid ${what} name '${name}'`);
    onlyKeys(body, ['policy', 'capabilities'], `${key}.${name}`);
    const policy = stringAttr(body, 'policy', `${what} '${name}'`);
    if (policy !== '' && !SCOPED_POLICIES.includes(policy)) {
      throw new PolicyError(`Invalid ${what} policy '${policy}' for '${name}'`);
    }
    const caps = [...stringListAttr(body, 'capabilities', `${what} '${name}'`)];
    for (const cap of caps) {
      if (!validCaps.has(cap)) throw new PolicyError(`Invalid ${what} capability '${cap}' for '${name}'`);
    }
    caps.push(...(expansion[policy] ?? []));
    return { Name: name, Policy: policy, Capabilities: caps.length > 0 ? caps : null };
  });
}

function orList(words: readonly string[]): string {
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}
