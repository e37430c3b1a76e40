// Nomad's policy words and capability names (nomad:acl/policy.go, spec §6.2), and how a
// policy word expands into capabilities. Data only, so the rules read like the source.

export const POLICY_DENY = 'deny';
export const POLICY_READ = 'read';
export const POLICY_LIST = 'list';
export const POLICY_WRITE = 'write';
export const POLICY_SCALE = 'scale';

/** operator, agent and node take only these (§6.2). */
export const SIMPLE_POLICIES: readonly string[] = [POLICY_DENY, POLICY_READ, POLICY_WRITE];
/** namespace, host_volume, node_pool and quota also take `scale` (Nomad's isPolicyValid). */
export const SCOPED_POLICIES: readonly string[] = [...SIMPLE_POLICIES, POLICY_SCALE];
/** plugin takes `list` instead of `scale`. */
export const PLUGIN_POLICIES: readonly string[] = [POLICY_DENY, POLICY_READ, POLICY_LIST, POLICY_WRITE];

export const CAP_DENY = 'deny';

// ------------------------------------------------------------------ operator

export const OPERATOR_CAPABILITIES = [
  'deny', 'snapshot-save', 'license-read', 'keyring-rotate', 'keyring-read', 'keyring-delete',
] as const;
export type OperatorCapability = (typeof OPERATOR_CAPABILITIES)[number];

export const OPERATOR_EXPANSION: Record<string, readonly string[]> = {
  deny: ['deny'],
  read: ['license-read', 'keyring-read'],
  write: ['snapshot-save', 'license-read', 'keyring-rotate', 'keyring-read', 'keyring-delete'],
};

// ------------------------------------------------------------------ namespace (jobs: stored, govern nothing here)

const NS_READ = [
  'list-jobs', 'parse-job', 'read-job', 'csi-list-volume', 'csi-read-volume', 'read-job-scaling',
  'list-scaling-policies', 'read-scaling-policy', 'host-volume-read',
];
const NS_WRITE = [
  ...NS_READ, 'scale-job', 'submit-job', 'dispatch-job', 'read-logs', 'read-fs', 'alloc-exec',
  'alloc-lifecycle', 'csi-mount-volume', 'csi-write-volume', 'submit-recommendation', 'host-volume-create',
];

export const NAMESPACE_EXPANSION: Record<string, readonly string[]> = {
  deny: ['deny'],
  read: NS_READ,
  write: NS_WRITE,
  scale: ['list-scaling-policies', 'read-scaling-policy', 'read-job-scaling', 'scale-job', 'read-job', 'submit-recommendation'],
};

export const NAMESPACE_CAPABILITIES: ReadonlySet<string> = new Set([
  'deny', 'list-jobs', 'parse-job', 'read-job', 'submit-job', 'dispatch-job', 'read-logs', 'read-fs',
  'alloc-exec', 'alloc-node-exec', 'alloc-lifecycle', 'sentinel-override', 'csi-register-plugin',
  'csi-write-volume', 'csi-read-volume', 'csi-list-volume', 'csi-mount-volume', 'host-volume-create',
  'host-volume-register', 'host-volume-read', 'host-volume-write', 'host-volume-delete',
  'list-scaling-policies', 'read-scaling-policy', 'read-job-scaling', 'scale-job', 'submit-recommendation',
  'register-job', 'revert-job', 'deregister-job', 'purge-job', 'evaluate-job', 'plan-job', 'tag-job-version',
  'stable-job', 'fail-deployment', 'pause-deployment', 'promote-deployment', 'unblock-deployment',
  'cancel-deployment', 'set-alloc-health-deployment', 'gc-allocation', 'pause-allocation',
  'force-periodic-job', 'delete-service-registration',
]);

/** Capabilities that imply others (Nomad's expandNamespaceCapabilities). */
export const NAMESPACE_IMPLIED: Record<string, readonly string[]> = {
  'host-volume-write': ['host-volume-register', 'host-volume-create', 'host-volume-delete', 'host-volume-read'],
  'host-volume-register': ['host-volume-create', 'host-volume-read'],
  'host-volume-create': ['host-volume-read'],
};

export const NAMESPACE_NAME = /^[a-zA-Z0-9\-*]{1,128}$/;

// ------------------------------------------------------------------ variables

export const VARIABLE_OPS = ['read', 'list', 'write', 'destroy'] as const;
export type VariableOp = (typeof VARIABLE_OPS)[number];
export const VARIABLE_CAPABILITIES: ReadonlySet<string> = new Set([...VARIABLE_OPS, 'deny']);

/** What a namespace policy word grants on every variable path of the namespace (Part A §23). */
export const NAMESPACE_VARIABLE_GRANT: Record<string, readonly string[]> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['read', 'list', 'write', 'destroy'],
};

// ------------------------------------------------------------------ other blocks (stored, govern nothing here)

export const HOST_VOLUME_CAPABILITIES: ReadonlySet<string> = new Set(['deny', 'mount-readonly', 'mount-readwrite']);
export const HOST_VOLUME_EXPANSION: Record<string, readonly string[]> = {
  deny: ['deny'],
  read: ['mount-readonly'],
  write: ['mount-readonly', 'mount-readwrite'],
};
export const HOST_VOLUME_NAME = /^[a-zA-Z0-9\-*]{1,128}$/;

export const NODE_POOL_CAPABILITIES: ReadonlySet<string> = new Set(['delete', 'deny', 'read', 'write']);
export const NODE_POOL_EXPANSION: Record<string, readonly string[]> = {
  deny: ['deny'],
  read: ['read'],
  write: ['delete', 'read', 'write'],
};
export const NODE_POOL_NAME = /^[a-zA-Z0-9\-_*]{1,128}$/;
