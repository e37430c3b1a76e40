// ACL for opraft (spec §6, Part A §20): policy parsing, the compiled permission object,
// identity resolution and token extraction. Pure: no HTTP, no I/O.
export { Acl, type AclKind } from './acl.ts';
export { PermissionDeniedError, PolicyError, type DenyReason } from './errors.ts';
export { isExpired } from './expiry.ts';
export { globMatch } from './glob.ts';
export { parsePolicy } from './parse-policy.ts';
export {
  ANONYMOUS_POLICY, resolveToken, type AclStateReader, type Identity, type IdentityKind, type ResolveDeps,
} from './resolve.ts';
export type { LabelledRule, NamespaceRule, OperatorRule, PolicyRules, PolicyWordRule, VariablesPathRule } from './rules.ts';
export { tokenFromHeaders, type HeaderMap } from './token-header.ts';
export { OPERATOR_CAPABILITIES, VARIABLE_OPS, type OperatorCapability, type VariableOp } from './words.ts';
