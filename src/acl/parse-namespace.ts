// namespace "<name>" { policy, capabilities, variables { path "<glob>" { capabilities } } }
// validated and expanded as Nomad's Parse does (nomad:acl/policy.go).
import { PolicyError } from './errors.ts';
import type { NamespaceRule, VariablesPathRule } from './rules.ts';
import { blockBodies, labelledBodies, onlyKeys, stringAttr, stringListAttr, type Body } from './tree.ts';
import {
  CAP_DENY, NAMESPACE_CAPABILITIES, NAMESPACE_EXPANSION, NAMESPACE_IMPLIED, NAMESPACE_NAME,
  SCOPED_POLICIES, VARIABLE_CAPABILITIES,
} from './words.ts';

export function parseNamespaces(v: unknown): NamespaceRule[] {
  return labelledBodies(v, 'namespace').map(([name, body]) => parseNamespace(name, body));
}

function parseNamespace(name: string, body: Body): NamespaceRule {
  const where = `namespace "${name}"`;
  if (!NAMESPACE_NAME.test(name)) {
    throw new PolicyError(`Invalid namespace name: "${name}" (letters, digits, "-" and "*", 1 to 128 characters)`);
  }
  onlyKeys(body, ['policy', 'capabilities', 'variables'], `namespace.${name}`);
  const policy = stringAttr(body, 'policy', where);
  if (policy !== '' && !SCOPED_POLICIES.includes(policy)) {
    throw new PolicyError(`Invalid namespace policy: "${policy}" in ${where} (expected deny, read, write or scale)`);
  }
  const caps = [...stringListAttr(body, 'capabilities', where)];
  for (const cap of caps) {
    if (!NAMESPACE_CAPABILITIES.has(cap)) throw new PolicyError(`Invalid namespace capability '${cap}' in ${where}`);
  }
  if (policy !== '') caps.push(...NAMESPACE_EXPANSION[policy]!);
  // Implied capabilities are appended once, for what is there after the policy expansion.
  caps.push(...caps.flatMap((c) => NAMESPACE_IMPLIED[c] ?? []));
  return {
    Name: name,
    Policy: policy,
    Capabilities: caps.length > 0 ? caps : null,
    Variables: body.variables === undefined ? null : { Paths: parseVariables(name, body.variables) },
  };
}

function parseVariables(ns: string, v: unknown): VariablesPathRule[] {
  const bodies = blockBodies(v, `variables block in namespace ${ns}`);
  // Nomad reads only the first variables block; a second one would silently grant nothing.
  if (bodies.length > 1) throw new PolicyError(`Invalid or duplicate policy keys: namespace.${ns}.variables`);
  const body = bodies[0]!;
  onlyKeys(body, ['path'], `namespace.${ns}.variables`);
  if (body.path === undefined) throw new PolicyError(`Invalid variable policy: no variable paths in namespace ${ns}`);
  return labelledBodies(body.path, 'path').map(([spec, pathBody]) => parsePath(ns, spec, pathBody));
}

function parsePath(ns: string, spec: string, body: Body): VariablesPathRule {
  if (spec === '') throw new PolicyError(`Invalid missing variable path in namespace ${ns}`);
  if (spec.startsWith('/')) {
    throw new PolicyError(`Invalid variable path "${spec}" in namespace ${ns}: cannot start with a leading '/'`);
  }
  onlyKeys(body, ['capabilities'], `namespace.${ns}.variables.path.${spec}`);
  const caps = stringListAttr(body, 'capabilities', `variable path "${spec}" in namespace ${ns}`);
  for (const cap of caps) {
    if (!VARIABLE_CAPABILITIES.has(cap)) throw new PolicyError(`Invalid variable capability '${cap}' in namespace ${ns}`);
  }
  return { PathSpec: spec, Capabilities: expandVariableCaps(caps) };
}

/** Nomad's expandVariablesCapabilities: deny stands alone; read brings list. */
function expandVariableCaps(caps: string[]): string[] | null {
  if (caps.includes(CAP_DENY)) return [CAP_DENY];
  const out = [...caps];
  if (out.includes('read') && !out.includes('list')) out.push('list');
  return out.length > 0 ? out : null;
}
