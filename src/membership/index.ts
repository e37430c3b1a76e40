// The membership layer's door: who the servers are (Serf's part), retry_join, bootstrap_expect,
// and the leader's membership reconcile rules.

export { Membership, type MembershipOptions, type ChangeListener } from './membership.ts';
export { retryJoin, RetryJoinError, type RetryJoinOptions, type RetryJoinResult } from './retry-join.ts';
export { BootstrapExpect, type BootstrapExpectOptions, type BootstrapOutcome, type BootstrapServer } from './bootstrap-expect.ts';
export {
  reconcileMember, reconcileMembers, promoteCaughtUp,
  type ReconcileContext, type ReconcileDecision, type NonVoterProgress, type PromotionInput, type PromotionResult,
} from './reconcile.ts';
export { serverTags, parseServer, memberName, validateLocalServer, type LocalServer, type ServerInfo } from './tags.ts';
export { normalizeJoinAddress, memberRpcAddress, joinHostPort, DEFAULT_RPC_PORT, type NormalizedAddress } from './address.ts';
export { isNewer, type MemberChange } from './member-table.ts';
export {
  MembershipError, RPC, MEMBER_STATUSES,
  type Member, type MemberStatus, type Tombstone, type RpcEndpoint, type Logger, type Timers,
} from './types.ts';
