// The compiled permissions of one identity: parsed policies folded together with Nomad's
// combination rules (nomad:acl/acl.go NewACL, spec §6.2), answering the checks the HTTP
// layer needs. Job-related namespace capabilities, host volumes, node pools, quota and
// plugin rules are parsed and stored but govern nothing here (Part A §20).
import { closestMatch } from './glob.ts';
import { maxPrivilege, mergeCaps, mergeInto } from './merge.ts';
import type { NamespaceRule, PolicyRules } from './rules.ts';
import {
  CAP_DENY, NAMESPACE_VARIABLE_GRANT, POLICY_READ, POLICY_WRITE, type OperatorCapability, type VariableOp,
} from './words.ts';

/** `disabled`: ACLs are off and everything passes; `management`: a management token. */
export type AclKind = 'disabled' | 'management' | 'policies';

/** Variable rules are keyed as Nomad keys them: namespace, NUL, path. */
const varKey = (ns: string, path: string): string => `${ns}\u0000${path}`;

const EMPTY: ReadonlySet<string> = new Set();

export class Acl {
  private operator = '';
  private readonly operatorCaps = new Set<string>();
  private agent = '';
  private node = '';
  /** What each namespace rule's policy word grants on all its variables, exact names and globs. */
  private readonly nsVars = new Map<string, Set<string>>();
  private readonly nsVarsGlob = new Map<string, Set<string>>();
  /** Explicit `variables { path }` rules; a glob in the namespace or the path makes it a glob rule. */
  private readonly vars = new Map<string, Set<string>>();
  private readonly varsGlob = new Map<string, Set<string>>();

  private constructor(readonly kind: AclKind) {}

  /** The identity when ACLs are disabled: every check passes (IsManagement is true, §6.1). */
  static allowAll(): Acl {
    return new Acl('disabled');
  }

  static management(): Acl {
    return new Acl('management');
  }

  /** A client identity: the union of its policies. No policies means nothing is allowed. */
  static fromPolicies(policies: readonly PolicyRules[]): Acl {
    const acl = new Acl('policies');
    for (const p of policies) acl.add(p);
    return acl;
  }

  private add(p: PolicyRules): void {
    for (const ns of p.Namespaces ?? []) this.addNamespace(ns);
    if (p.Operator) {
      this.operator = maxPrivilege(this.operator, p.Operator.Policy);
      mergeCaps(this.operatorCaps, p.Operator.Capabilities ?? []);
    }
    if (p.Agent) this.agent = maxPrivilege(this.agent, p.Agent.Policy);
    if (p.Node) this.node = maxPrivilege(this.node, p.Node.Policy);
  }

  private addNamespace(ns: NamespaceRule): void {
    const nsGlob = ns.Name.includes('*');
    // A namespace-level deny (word or capability) denies its variables as well.
    const grant = ns.Capabilities?.includes(CAP_DENY) ? [CAP_DENY] : (NAMESPACE_VARIABLE_GRANT[ns.Policy] ?? []);
    mergeInto(nsGlob ? this.nsVarsGlob : this.nsVars, ns.Name, grant);
    for (const path of ns.Variables?.Paths ?? []) {
      const glob = nsGlob || path.PathSpec.includes('*');
      mergeInto(glob ? this.varsGlob : this.vars, varKey(ns.Name, path.PathSpec), path.Capabilities ?? []);
    }
  }

  private get all(): boolean {
    return this.kind !== 'policies';
  }

  /** True for management tokens and when ACLs are disabled (Nomad's IsManagement). */
  isManagement(): boolean {
    return this.all;
  }

  /** True only when ACLs are disabled. */
  isDisabled(): boolean {
    return this.kind === 'disabled';
  }

  allowOperatorRead(): boolean {
    return this.all || this.operator === POLICY_READ || this.operator === POLICY_WRITE;
  }

  allowOperatorWrite(): boolean {
    return this.all || this.operator === POLICY_WRITE;
  }

  /** A fine-grained operator operation such as `snapshot-save`: write, or the capability itself. */
  allowOperatorOperation(cap: Exclude<OperatorCapability, 'deny'>): boolean {
    if (this.all || this.operator === POLICY_WRITE) return true;
    // Untyped callers could still pass "deny"; holding deny never grants anything.
    return (cap as string) !== CAP_DENY && this.operatorCaps.has(cap);
  }

  allowAgentRead(): boolean {
    return this.all || this.agent === POLICY_READ || this.agent === POLICY_WRITE;
  }

  allowAgentWrite(): boolean {
    return this.all || this.agent === POLICY_WRITE;
  }

  allowNodeRead(): boolean {
    return this.all || this.node === POLICY_READ || this.node === POLICY_WRITE;
  }

  allowNodeWrite(): boolean {
    return this.all || this.node === POLICY_WRITE;
  }

  /**
   * `op` on the variable at `path` in `namespace`. Two grants are looked up, each as an exact
   * entry else the closest glob: the namespace rule's policy word (read → read/list,
   * write → read/list/write/destroy) and the explicit path rule. The result is their union,
   * unless either says deny.
   */
  allowVariableOp(namespace: string, path: string, op: VariableOp): boolean {
    if (this.all) return true;
    const fromNs = closestMatch(this.nsVars, this.nsVarsGlob, namespace) ?? EMPTY;
    const fromPath = closestMatch(this.vars, this.varsGlob, varKey(namespace, path)) ?? EMPTY;
    if (fromNs.has(CAP_DENY) || fromPath.has(CAP_DENY)) return false;
    return fromNs.has(op) || fromPath.has(op);
  }
}
