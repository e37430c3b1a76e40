// What the leader changes in the Raft configuration when members come and go (contract §5.3,
// §4.6), and the "promote once caught up" rule used until autopilot exists. Pure functions.

import type { ConfChange, Configuration } from '../raft/types.ts';
import { parseServer } from './tags.ts';
import type { Member } from './types.ts';

export interface ReconcileContext {
  /** The leader's region: members of other regions are not its Raft peers. */
  region: string;
  /** The leader's own member name. */
  localName: string;
  /** The leader's own node id (its entry is never removed by reconcile). */
  localId: string;
}

export interface ReconcileDecision {
  member: string;
  /** In order; the core takes one configuration change at a time. */
  changes: ConfChange[];
  /** Why (for logs): what was found or skipped. */
  reason: string;
}

interface ConfigEntry {
  id: string;
  address: string | undefined;
}

function entries(config: Configuration): ConfigEntry[] {
  return [...config.voters, ...config.nonVoters].map((id) => ({ id, address: config.addresses?.[id] }));
}

function checkInputs(config: Configuration, ctx: ReconcileContext): void {
  if (!config || !Array.isArray(config.voters) || !Array.isArray(config.nonVoters)) throw new Error('reconcile: configuration must have voters and nonVoters arrays');
  if (!ctx || typeof ctx.region !== 'string' || typeof ctx.localName !== 'string' || typeof ctx.localId !== 'string') {
    throw new Error('reconcile: context needs region, localName and localId strings');
  }
}

/**
 * The Raft changes one member's status calls for: alive → add as non-voter (after removing an
 * entry that shares only its id or only its address); left (incl. reaped) → remove by id or
 * address; failed / leaving → nothing (autopilot's cleanup decides about failed servers).
 */
export function reconcileMember(config: Configuration, member: Member, members: Member[], ctx: ReconcileContext): ReconcileDecision {
  checkInputs(config, ctx);
  const none = (reason: string): ReconcileDecision => ({ member: member?.name ?? '', changes: [], reason });
  const s = member ? parseServer(member) : undefined;
  if (!s) return none('not a server');
  if (s.region !== ctx.region) return none(`server of region "${s.region}"`);

  if (member.status === 'left') {
    if (member.name === ctx.localName || s.id === ctx.localId) return none('removing self should be done by a follower');
    const hits = entries(config).filter((e) => e.id === s.id || (e.address !== undefined && e.address === s.rpcAddr));
    if (hits.length === 0) return none('left and not in the configuration');
    return { member: member.name, changes: hits.map((e) => ({ type: 'remove', id: e.id })), reason: 'member left' };
  }
  if (member.status !== 'alive') return none(`status ${member.status}: no Raft change`);

  if (s.bootstrap) {
    const other = members.find((m) => m.name !== member.name && parseServer(m)?.bootstrap);
    if (other) return none(`another member (${other.name}) is in bootstrap mode; only one server should be`);
  }
  const current = entries(config);
  if (member.name === ctx.localName && current.length < 3) return none('skipping self: the cluster is too small');
  const changes: ConfChange[] = [];
  for (const e of current) {
    const sameId = e.id === s.id;
    const sameAddr = e.address !== undefined && e.address === s.rpcAddr;
    if (sameId && (sameAddr || e.address === undefined)) return none('already in the configuration');
    if (sameId || sameAddr) {
      if (e.id === ctx.localId) return none(`would remove the leader's own entry (${e.id}) to add ${s.id}; skipped`);
      changes.push({ type: 'remove', id: e.id });
    }
  }
  changes.push({ type: 'addNonVoter', id: s.id, address: s.rpcAddr });
  return { member: member.name, changes, reason: changes.length > 1 ? 'replacing an entry with the same id or address' : 'new server' };
}

/** Applies decided changes to a copy of the configuration, so later decisions see earlier ones. */
function applyChanges(config: Configuration, changes: ConfChange[]): Configuration {
  let voters = [...config.voters];
  let nonVoters = [...config.nonVoters];
  const addresses = { ...(config.addresses ?? {}) };
  for (const c of changes) {
    if (c.type === 'remove') {
      voters = voters.filter((id) => id !== c.id);
      nonVoters = nonVoters.filter((id) => id !== c.id);
      delete addresses[c.id];
    } else if (c.type === 'addNonVoter') {
      if (!voters.includes(c.id) && !nonVoters.includes(c.id)) nonVoters.push(c.id);
      if (c.address) addresses[c.id] = c.address;
    }
  }
  return { voters, nonVoters, addresses };
}

/** The leader's periodic full reconcile: every member's decision, in name order. */
export function reconcileMembers(config: Configuration, members: Member[], ctx: ReconcileContext): ReconcileDecision[] {
  checkInputs(config, ctx);
  if (!Array.isArray(members)) throw new Error('reconcile: members must be an array');
  let working = applyChanges(config, []);
  const out: ReconcileDecision[] = [];
  for (const m of [...members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const d = reconcileMember(working, m, members, ctx);
    if (d.changes.length > 0) working = applyChanges(working, d.changes);
    out.push(d);
  }
  return out;
}

// ---------------------------------------------------------------- promotion

export interface NonVoterProgress {
  id: string;
  /** Highest log index known to be replicated on it. */
  match: number;
  /** Defaults to true; an unhealthy server is never promoted (its clock restarts). */
  healthy?: boolean;
}

export interface PromotionInput {
  nonVoters: NonVoterProgress[];
  /** The leader's last log index. */
  lastIndex: number;
  /** Caught up = lastIndex − match ≤ this. */
  maxLagEntries: number;
  /** How long a non-voter must stay caught up before promotion. */
  stabilizationMs: number;
  now: number;
  /** From the previous call: since when each non-voter has been caught up. */
  caughtUpSince: Readonly<Record<string, number>>;
}

export interface PromotionResult {
  /** Ids to promote (in id order). */
  promote: string[];
  /** Pass back in on the next call. Servers that fell behind or left are dropped. */
  caughtUpSince: Record<string, number>;
}

function nonNegative(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`promotion: ${what} must be a non-negative number, got ${String(v)}`);
  return v;
}

/** Until autopilot exists: promote a non-voter that stayed within maxLagEntries for stabilizationMs. */
export function promoteCaughtUp(input: PromotionInput): PromotionResult {
  if (!input || !Array.isArray(input.nonVoters)) throw new Error('promotion: nonVoters must be an array');
  const lastIndex = nonNegative(input.lastIndex, 'lastIndex');
  const maxLag = nonNegative(input.maxLagEntries, 'maxLagEntries');
  const stabilization = nonNegative(input.stabilizationMs, 'stabilizationMs');
  const now = nonNegative(input.now, 'now');
  const before = input.caughtUpSince ?? {};
  const since: Record<string, number> = {};
  const promote: string[] = [];
  for (const nv of input.nonVoters) {
    if (!nv || typeof nv.id !== 'string' || nv.id.length === 0) throw new Error('promotion: every non-voter needs an id');
    const match = nonNegative(nv.match, `match of ${nv.id}`);
    if (nv.healthy === false || lastIndex - match > maxLag) continue;
    const start = typeof before[nv.id] === 'number' ? before[nv.id]! : now;
    since[nv.id] = start;
    if (now - start >= stabilization) promote.push(nv.id);
  }
  promote.sort();
  return { promote, caughtUpSince: since };
}
