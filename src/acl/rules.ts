// The parsed policy, shaped as Nomad's acl.Policy marshals to JSON (the `RulesJSON` of
// GET /v1/acl/policy/:name): Go field names, null for an absent block or list, and
// Capabilities with the policy word's expansion appended after the explicit ones, as
// Nomad's Parse leaves them.

export interface VariablesPathRule {
  PathSpec: string;
  Capabilities: string[] | null;
}

export interface NamespaceRule {
  Name: string;
  Policy: string;
  Capabilities: string[] | null;
  Variables: { Paths: VariablesPathRule[] } | null;
}

/** host_volume and node_pool blocks: labelled, with a policy word and capabilities. */
export interface LabelledRule {
  Name: string;
  Policy: string;
  Capabilities: string[] | null;
}

export interface PolicyWordRule {
  Policy: string;
}

export interface OperatorRule {
  Policy: string;
  Capabilities: string[] | null;
}

export interface PolicyRules {
  Namespaces: NamespaceRule[] | null;
  NodePools: LabelledRule[] | null;
  HostVolumes: LabelledRule[] | null;
  Agent: PolicyWordRule | null;
  Node: PolicyWordRule | null;
  Operator: OperatorRule | null;
  Quota: PolicyWordRule | null;
  Plugin: PolicyWordRule | null;
  /** The Rules text as written. */
  Raw: string;
  /** Always null after a strict parse (Nomad clears it). */
  ExtraKeysHCL: null;
}

export function emptyRules(raw: string): PolicyRules {
  return {
    Namespaces: null, NodePools: null, HostVolumes: null, Agent: null, Node: null,
    Operator: null, Quota: null, Plugin: null, Raw: raw, ExtraKeysHCL: null,
  };
}
