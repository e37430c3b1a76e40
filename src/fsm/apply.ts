// Apply rules, one function per command. Each checks everything first and only then
// changes the state, so a refused command leaves no trace. No clocks, no randomness:
// every value comes from the command or the log index.

import type { Command } from './commands.ts';
import type { ApplyFailure, ApplyResult, VariableStub } from './results.ts';
import { decodeState } from './snapshot.ts';
import { bumpIndex, copy, type FsmState } from './state.ts';
import type { AclPolicy, AclToken, SchedulerConfigFields, Variable } from './types.ts';
import { TABLE, VARIABLE_NAMESPACE } from './types.ts';

type Of<T extends Command['type']> = Extract<Command, { type: T }>;

function fail(type: Command['type'], code: 'invalid' | 'not-found', error: string): ApplyFailure {
  return { ok: false, type, code, error };
}

/** Nomad canonicalises an empty algorithm at apply (§1.8). */
function canonicalScheduler(f: SchedulerConfigFields): SchedulerConfigFields {
  return { ...f, PreemptionConfig: { ...f.PreemptionConfig }, SchedulerAlgorithm: f.SchedulerAlgorithm || 'binpack' };
}

function seedDefaults(s: FsmState, index: number, c: Of<'seedDefaults'>): ApplyResult {
  const seededScheduler = s.scheduler === null;
  const seededAutopilot = s.autopilot === null;
  if (seededScheduler) {
    s.scheduler = { ...canonicalScheduler(c.scheduler), CreateIndex: index, ModifyIndex: index };
    bumpIndex(s, TABLE.schedulerConfig, index);
  }
  if (seededAutopilot) {
    s.autopilot = { ...c.autopilot, CreateIndex: index, ModifyIndex: index };
    bumpIndex(s, TABLE.autopilotConfig, index);
  }
  return { ok: true, type: c.type, seededScheduler, seededAutopilot };
}

function setClusterMetadata(s: FsmState, index: number, c: Of<'setClusterMetadata'>): ApplyResult {
  if (s.cluster !== null) return { ok: true, type: c.type, created: false, metadata: copy(s.cluster) };
  s.cluster = { ClusterID: c.clusterId, CreateTime: c.createTime, CreateIndex: index, ModifyIndex: index };
  bumpIndex(s, TABLE.clusterMeta, index);
  return { ok: true, type: c.type, created: true, metadata: copy(s.cluster) };
}

/** §1.5/§1.8: a CAS applies only when a row exists and its ModifyIndex equals cas. */
function casMatches(row: { ModifyIndex: number } | null, cas: number | undefined): boolean {
  return cas === undefined || (row !== null && row.ModifyIndex === cas);
}

function setSchedulerConfig(s: FsmState, index: number, c: Of<'setSchedulerConfig'>): ApplyResult {
  if (!casMatches(s.scheduler, c.cas)) return { ok: true, type: c.type, updated: false };
  s.scheduler = { ...canonicalScheduler(c.config), CreateIndex: s.scheduler?.CreateIndex ?? index, ModifyIndex: index };
  bumpIndex(s, TABLE.schedulerConfig, index);
  return { ok: true, type: c.type, updated: true };
}

function setAutopilotConfig(s: FsmState, index: number, c: Of<'setAutopilotConfig'>): ApplyResult {
  if (!casMatches(s.autopilot, c.cas)) return { ok: true, type: c.type, updated: false };
  s.autopilot = { ...c.config, CreateIndex: s.autopilot?.CreateIndex ?? index, ModifyIndex: index };
  bumpIndex(s, TABLE.autopilotConfig, index);
  return { ok: true, type: c.type, updated: true };
}

function setLicense(s: FsmState, index: number, c: Of<'setLicense'>): ApplyResult {
  s.license = { Blob: c.blob, License: c.license, CreateIndex: s.license?.CreateIndex ?? index, ModifyIndex: index };
  bumpIndex(s, TABLE.license, index);
  return { ok: true, type: c.type, license: copy(s.license) };
}

/** Writes tokens that have passed every check, keeping the secret index in step. */
function putToken(s: FsmState, token: AclToken): void {
  const old = s.tokens.get(token.AccessorID);
  if (old) s.secrets.delete(old.SecretID);
  s.tokens.set(token.AccessorID, token);
  s.secrets.set(token.SecretID, token.AccessorID);
}

/** A secret already held by a different token. */
function secretTaken(s: FsmState, secret: string, accessor: string): boolean {
  const owner = s.secrets.get(secret);
  return owner !== undefined && owner !== accessor;
}

/** §6.3 / §9.12: a second bootstrap needs the current bootstrap index as its reset index. */
function aclBootstrap(s: FsmState, index: number, c: Of<'aclBootstrap'>): ApplyResult {
  const current = s.bootstrap?.BootstrapIndex ?? 0;
  if (s.bootstrap !== null) {
    if (c.resetIndex === 0) return fail(c.type, 'invalid', `ACL bootstrap already done (reset index: ${current})`);
    if (c.resetIndex !== current) {
      return fail(c.type, 'invalid', `Invalid bootstrap reset index (specified ${c.resetIndex}, reset index: ${current})`);
    }
  }
  if (s.tokens.has(c.token.AccessorID)) return fail(c.type, 'invalid', `ACL token accessor ${c.token.AccessorID} already exists`);
  if (secretTaken(s, c.token.SecretID, c.token.AccessorID)) return fail(c.type, 'invalid', 'ACL token secret ID is already in use');
  const token: AclToken = { ...c.token, CreateIndex: index, ModifyIndex: index };
  putToken(s, token);
  s.bootstrap = { BootstrapIndex: index };
  bumpIndex(s, TABLE.aclToken, index);
  return { ok: true, type: c.type, token: copy(token) };
}

function upsertAclPolicies(s: FsmState, index: number, c: Of<'upsertAclPolicies'>): ApplyResult {
  const written: AclPolicy[] = c.policies.map((p) => ({
    ...p,
    CreateIndex: s.policies.get(p.Name)?.CreateIndex ?? index,
    ModifyIndex: index,
  }));
  for (const p of written) s.policies.set(p.Name, p);
  bumpIndex(s, TABLE.aclPolicy, index);
  return { ok: true, type: c.type, policies: copy(written) };
}

function deleteAclPolicies(s: FsmState, index: number, c: Of<'deleteAclPolicies'>): ApplyResult {
  // Deleting a policy that is not there is a no-op, as in Nomad's state store.
  for (const name of c.names) s.policies.delete(name);
  bumpIndex(s, TABLE.aclPolicy, index);
  return { ok: true, type: c.type };
}

function upsertAclTokens(s: FsmState, index: number, c: Of<'upsertAclTokens'>): ApplyResult {
  const written: AclToken[] = [];
  for (const t of c.tokens) {
    const old = s.tokens.get(t.AccessorID);
    // An update keeps the token's secret and creation (Nomad's state store does the same).
    const token: AclToken = old
      ? { ...t, SecretID: old.SecretID, CreateTime: old.CreateTime, CreateIndex: old.CreateIndex, ModifyIndex: index }
      : { ...t, CreateIndex: index, ModifyIndex: index };
    if (!old && secretTaken(s, token.SecretID, token.AccessorID)) {
      return fail(c.type, 'invalid', `ACL token ${token.AccessorID}: secret ID is already in use`);
    }
    written.push(token);
  }
  for (const t of written) putToken(s, t);
  bumpIndex(s, TABLE.aclToken, index);
  return { ok: true, type: c.type, tokens: copy(written) };
}

function deleteAclTokens(s: FsmState, index: number, c: Of<'deleteAclTokens'>): ApplyResult {
  const missing = c.accessorIds.filter((id) => !s.tokens.has(id));
  if (missing.length) return fail(c.type, 'not-found', `Cannot delete nonexistent tokens: ${missing.join(', ')}`);
  for (const id of c.accessorIds) {
    s.secrets.delete(s.tokens.get(id)!.SecretID);
    s.tokens.delete(id);
  }
  bumpIndex(s, TABLE.aclToken, index);
  return { ok: true, type: c.type };
}

/** Part A §23: cas=n applies only if the current ModifyIndex is n; cas=0 only if absent. */
function variableConflict(type: 'upsertVariable' | 'deleteVariable', current: Variable | undefined, path: string, cas: number | undefined): ApplyResult | null {
  if (cas === undefined || (current?.ModifyIndex ?? 0) === cas) return null;
  const conflict: Variable | VariableStub = current ? copy(current) : { Namespace: VARIABLE_NAMESPACE, Path: path };
  const error = current
    ? `cas conflict: variable "${path}" has ModifyIndex ${current.ModifyIndex}, not ${cas}`
    : `cas conflict: variable "${path}" does not exist`;
  return { ok: false, type, code: 'conflict', error, conflict };
}

function upsertVariable(s: FsmState, index: number, c: Of<'upsertVariable'>): ApplyResult {
  const current = s.variables.get(c.path);
  const conflict = variableConflict(c.type, current, c.path, c.cas);
  if (conflict) return conflict;
  const v: Variable = {
    Namespace: VARIABLE_NAMESPACE,
    Path: c.path,
    CreateIndex: current?.CreateIndex ?? index,
    CreateTime: current?.CreateTime ?? c.time,
    ModifyIndex: index,
    ModifyTime: c.time,
    Items: c.items,
  };
  s.variables.set(c.path, v);
  bumpIndex(s, TABLE.variables, index);
  return { ok: true, type: c.type, variable: copy(v) };
}

function deleteVariable(s: FsmState, index: number, c: Of<'deleteVariable'>): ApplyResult {
  const current = s.variables.get(c.path);
  const conflict = variableConflict(c.type, current, c.path, c.cas);
  if (conflict) return conflict;
  if (current) {
    s.variables.delete(c.path);
    bumpIndex(s, TABLE.variables, index);
  }
  return { ok: true, type: c.type };
}

/** Applies a checked command at a log index. */
export function applyCommand(s: FsmState, index: number, c: Command): ApplyResult {
  switch (c.type) {
    case 'seedDefaults': return seedDefaults(s, index, c);
    case 'setClusterMetadata': return setClusterMetadata(s, index, c);
    case 'setSchedulerConfig': return setSchedulerConfig(s, index, c);
    case 'setAutopilotConfig': return setAutopilotConfig(s, index, c);
    case 'setLicense': return setLicense(s, index, c);
    case 'aclBootstrap': return aclBootstrap(s, index, c);
    case 'upsertAclPolicies': return upsertAclPolicies(s, index, c);
    case 'deleteAclPolicies': return deleteAclPolicies(s, index, c);
    case 'upsertAclTokens': return upsertAclTokens(s, index, c);
    case 'deleteAclTokens': return deleteAclTokens(s, index, c);
    case 'upsertVariable': return upsertVariable(s, index, c);
    case 'deleteVariable': return deleteVariable(s, index, c);
    case 'restoreState': return restoreState(s, index, c);
  }
}

/** Replaces every table with the snapshot's, keeping the cluster ID (see the command's comment). */
function restoreState(s: FsmState, index: number, c: Of<'restoreState'>): ApplyResult {
  let next: FsmState;
  try {
    next = decodeState(c.stateBin).state;
  } catch (e) {
    return { ok: false, type: c.type, code: 'invalid', error: `failed to restore from snapshot: ${(e as Error).message}` };
  }
  const cluster = s.cluster;
  clampIndexes(next, index);
  for (const k of Object.keys(s) as (keyof FsmState)[]) delete (s as Partial<FsmState>)[k];
  Object.assign(s, next);
  s.cluster = cluster;
  return { ok: true, type: 'restoreState' };
}

/**
 * Indexes must keep growing after a restore: Nomad makes the log jump past the snapshot's index;
 * here the restore is one entry at `index`, so nothing restored may claim a later index (a write
 * after it would get a smaller ModifyIndex than what it replaces, and a CAS would misfire). Every
 * table is marked as written at the restore itself.
 */
function clampIndexes(st: FsmState, index: number): void {
  const clamp = (o: { CreateIndex: number; ModifyIndex: number } | null) => {
    if (!o) return;
    o.CreateIndex = Math.min(o.CreateIndex, index);
    o.ModifyIndex = Math.min(o.ModifyIndex, index);
  };
  clamp(st.scheduler);
  clamp(st.autopilot);
  clamp(st.license);
  for (const m of [st.policies, st.tokens, st.variables] as Map<string, { CreateIndex: number; ModifyIndex: number }>[]) for (const o of m.values()) clamp(o);
  if (st.bootstrap) st.bootstrap.BootstrapIndex = Math.min(st.bootstrap.BootstrapIndex, index);
  for (const table of st.indexes.keys()) st.indexes.set(table, index);
}
