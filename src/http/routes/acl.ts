// The ACL API (contract §6.3, §6.4, Part A §20): bootstrap (with the reset file), policies and
// tokens. Nomad's order of checks is kept: method → ACLs enabled → leader → body decoding and
// path match (the HTTP handler's part) → identity and permission → validation → Raft.
import { createHash, randomUUID } from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { ANONYMOUS_POLICY, parsePolicy, type Identity } from '../../acl/index.ts';
import { rfc3339Nanos } from '../../acl/expiry.ts';
import { formatDurationNs, parseDurationNs } from '../../config/duration.ts';
import {
  ACL_POLICY_NAME_PATTERN, TABLE,
  type AclJobAcl, type AclPolicy, type AclPolicyFields, type AclToken, type AclTokenFields, type AclTokenType, type ApplyResult,
} from '../../fsm/index.ts';
import { field, rawBody } from '../body.ts';
import type { HttpContext } from '../context.ts';
import { bool, DecodeError, objectAt, str } from '../decode.ts';
import { HttpError } from '../errors.ts';
import { leaderOnly } from '../leader.ts';
import { parseQueryOptions, parseStale, queryString } from '../query.ts';
import { sendEmpty, sendJson, setQueryMeta } from '../respond.ts';
import { checkRegionMw } from './status.ts';

const INVALID_METHOD = 'Invalid method';
const ACL_DISABLED = 'ACL support disabled';
const PERMISSION_DENIED = 'Permission denied';
const TOKEN_NOT_FOUND = 'ACL token not found';
const POLICY_NOT_FOUND = 'ACL policy not found';

/** Nomad's agent defaults `acl { token_min_expiration_ttl = "1m"  token_max_expiration_ttl = "24h" }`. */
const MIN_TTL_NS = 60n * 1_000_000_000n;
const MAX_TTL_NS = 24n * 3600n * 1_000_000_000n;
/** nomad:nomad/structs: maxTokenNameLength, maxPolicyDescriptionLength. */
const MAX_TOKEN_NAME = 256;
const MAX_POLICY_DESCRIPTION = 256;
/** Nomad's helper.IsUUID. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ------------------------------------------------------------------ routing

export function aclRoutes(ctx: HttpContext): Router {
  const r = Router();
  const staleGet = (req: Request) => req.method === 'GET' && parseStale(req);
  /** What every ACL endpoint does first; `methods` answer 405 `Invalid method` otherwise. */
  const pre = (methods: string[]) => [
    (req: Request, _res: Response, next: NextFunction) => next(methods.includes(req.method) ? undefined : new HttpError(405, INVALID_METHOD)),
    checkRegionMw(ctx),
    (_req: Request, _res: Response, next: NextFunction) => next(ctx.aclEnabled ? undefined : new HttpError(400, ACL_DISABLED)),
    // The body is read after leaderOnly: a request proxied to the leader must still hold its stream.
    leaderOnly(ctx, staleGet),
    rawBody(ctx.limits.jsonBodyBytes),
  ];

  r.all('/v1/acl/bootstrap', ...pre(['PUT', 'POST']), (req, res) => bootstrap(ctx, req, res));

  r.all('/v1/acl/policies', ...pre(['GET']), (req, res) => listPolicies(ctx, req, res));
  r.all('/v1/acl/policy/self', ...pre(['GET', 'PUT', 'POST', 'DELETE']), (req, res) =>
    req.method === 'GET' ? selfPolicies(ctx, req, res) : policyByName(ctx, req, res, 'self'));
  r.all('/v1/acl/policy/*name', ...pre(['GET', 'PUT', 'POST', 'DELETE']), (req, res) => policyByName(ctx, req, res, wildcard(req, 'name')));

  // Express matches `/x` and `/x/` alike; Nomad's mux does not: an empty name or accessor is a 400.
  r.all(['/v1/acl/policy/', '/v1/acl/token/'], (req, _res, next) => {
    if (!req.path.endsWith('/')) return next();
    next(new HttpError(400, req.path.startsWith('/v1/acl/policy') ? 'Missing Policy Name' : 'Missing Token Accessor'));
  });
  r.all('/v1/acl/tokens', ...pre(['GET']), (req, res) => listTokens(ctx, req, res));
  r.all('/v1/acl/token', ...pre(['PUT', 'POST']), (req, res) => upsertToken(ctx, req, res, null));
  r.all('/v1/acl/token/self', ...pre(['GET']), (req, res) => tokenSelf(ctx, req, res));
  r.all('/v1/acl/token/*accessor', ...pre(['GET', 'PUT', 'POST', 'DELETE']), (req, res) => {
    const accessor = wildcard(req, 'accessor');
    if (req.method === 'GET') return getToken(ctx, req, res, accessor);
    if (req.method === 'DELETE') return deleteToken(ctx, req, res, accessor);
    return upsertToken(ctx, req, res, accessor);
  });
  return r;
}

function wildcard(req: Request, name: string): string {
  const p = (req.params as Record<string, string[] | string | undefined>)[name];
  return Array.isArray(p) ? p.join('/') : (p ?? '');
}

// ------------------------------------------------------------------ shared helpers

async function identity(ctx: HttpContext, req: Request): Promise<Identity> {
  // Unknown, malformed and expired secrets throw PermissionDeniedError (→ 403 `Permission denied`).
  return ctx.resolveIdentity(req.headers);
}

async function requireManagement(ctx: HttpContext, req: Request): Promise<Identity> {
  const who = await identity(ctx, req);
  if (!who.acl.isManagement()) throw new HttpError(403, PERMISSION_DENIED);
  return who;
}

/** The policy names a non-management caller may see: its token's, or `anonymous` without a token. */
function attachedPolicies(who: Identity): Set<string> {
  if (who.token === null) return new Set(who.kind === 'anonymous' ? [ANONYMOUS_POLICY] : []);
  return new Set(who.token.Policies ?? []);
}

async function readPrelude(ctx: HttpContext, req: Request): Promise<void> {
  parseQueryOptions(req);
  if (!parseStale(req)) await ctx.consistentRead();
}

function queryMeta(ctx: HttpContext, res: Response, index: number): void {
  const s = ctx.raft();
  setQueryMeta(res, { index, knownLeader: s.leader !== '', lastContactMs: s.lastContactMs });
}

/** A refused command: rule breaks are the caller's fault (400), anything else ours (500). */
function applyFailed(result: Extract<ApplyResult, { ok: false }>): never {
  throw new HttpError(result.code === 'invalid' || result.code === 'not-found' ? 400 : 500, result.error);
}

/** hashicorp/go-multierror's default format, which Nomad's validation errors use. */
export function multiError(errors: string[]): string {
  if (errors.length === 1) return `1 error occurred:\n\t* ${errors[0]}\n\n`;
  return `${errors.length} errors occurred:\n\t${errors.map((e) => `* ${e}`).join('\n\t')}\n\n`;
}

/**
 * The Hash fields. Nomad uses BLAKE2b-256; node:crypto has only BLAKE2b-512, and BLAKE2b's
 * output length is a parameter of the digest (not a truncation), so no Node digest equals
 * Nomad's. opraft uses the first 32 bytes of BLAKE2b-512 over the same inputs, in Nomad's
 * order: the value differs from Nomad's but has the same size and changes when they change.
 */
function digest(parts: string[]): string {
  const h = createHash('blake2b512');
  for (const p of parts) h.update(p, 'utf8');
  return h.digest().subarray(0, 32).toString('base64');
}

/** Go's JSON body decoding errors keep their text; the body being absent is Nomad's text. */
function decodeJson(req: Request): unknown {
  const buf = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (buf.length === 0) throw new HttpError(400, 'Request body is empty');
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
}

// ------------------------------------------------------------------ times

/** Unix nanoseconds now. Date.now() has milliseconds; process.hrtime adds the digits below them. */
function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}

/** Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros trimmed), in UTC. */
export function rfc3339Nano(ns: bigint): string {
  const secs = ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n);
  const frac = ns - secs * 1_000_000_000n;
  const base = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  const digits = frac.toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${digits ? `.${digits}` : ''}Z`;
}

// ------------------------------------------------------------------ JSON shapes

/** ACLToken's custom marshaller: ExpirationTTL first, as a Go duration string ("" when unset). */
export function tokenJson(t: AclToken) {
  return {
    ExpirationTTL: t.ExpirationTTL === 0 ? '' : formatDurationNs(BigInt(t.ExpirationTTL)),
    AccessorID: t.AccessorID,
    SecretID: t.SecretID,
    Name: t.Name,
    Type: t.Type,
    Policies: t.Policies,
    Roles: t.Roles,
    Global: t.Global,
    Hash: t.Hash,
    CreateTime: t.CreateTime,
    ExpirationTime: t.ExpirationTime,
    CreateIndex: t.CreateIndex,
    ModifyIndex: t.ModifyIndex,
  };
}

/** ACLTokenListStub: no SecretID, no ExpirationTTL. */
export function tokenStubJson(t: AclToken) {
  return {
    AccessorID: t.AccessorID,
    Name: t.Name,
    Type: t.Type,
    Policies: t.Policies,
    Roles: t.Roles,
    Global: t.Global,
    Hash: t.Hash,
    CreateTime: t.CreateTime,
    ExpirationTime: t.ExpirationTime,
    CreateIndex: t.CreateIndex,
    ModifyIndex: t.ModifyIndex,
  };
}

export function policyStubJson(p: AclPolicy) {
  return { Name: p.Name, Description: p.Description, JobACL: p.JobACL, Hash: p.Hash, CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex };
}

function policyJson(p: AclPolicy) {
  let rules;
  try {
    rules = parsePolicy(p.Rules);
  } catch (e) {
    throw new HttpError(500, `failed to parse rules of ACL policy "${p.Name}": ${(e as Error).message}`);
  }
  return {
    Name: p.Name, Description: p.Description, Rules: p.Rules, RulesJSON: rules, JobACL: p.JobACL,
    Hash: p.Hash, CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex,
  };
}

// ------------------------------------------------------------------ bootstrap (§6.3, §9.12)

async function bootstrap(ctx: HttpContext, req: Request, res: Response): Promise<void> {
  let secret = '';
  if (Buffer.isBuffer(req.body) && req.body.length > 0) {
    try {
      const body = objectAt(JSON.parse(req.body.toString('utf8')), 'structs.ACLTokenBootstrapRequest');
      secret = str(body, 'BootstrapSecret', 'ACLTokenBootstrapRequest');
    } catch (e) {
      throw new HttpError(400, `failed to decode request body: ${(e as Error).message}`);
    }
  }
  // The early check Nomad's RPC makes; the FSM checks the same rule again at apply.
  const current = ctx.state().aclBootstrapIndex();
  let resetIndex = 0;
  if (current > 0) {
    const specified = await ctx.readBootstrapReset();
    if (specified === 0) throw new HttpError(400, `ACL bootstrap already done (reset index: ${current})`);
    if (specified !== current) throw new HttpError(400, `Invalid bootstrap reset index (specified ${specified}, reset index: ${current})`);
    resetIndex = specified;
  }
  if (secret !== '' && !UUID.test(secret)) throw new HttpError(400, 'invalid acl token');
  const token: AclTokenFields = {
    ExpirationTTL: 0,
    AccessorID: randomUUID(),
    SecretID: secret || randomUUID(),
    Name: 'Bootstrap Token',
    Type: 'management',
    Policies: null,
    Roles: null,
    Global: true,
    Hash: '',
    CreateTime: rfc3339Nano(nowNs()),
    ExpirationTime: null,
  };
  token.Hash = tokenHash(token);
  const { index, result } = await ctx.apply({ type: 'aclBootstrap', token, resetIndex });
  if (!result.ok) applyFailed(result);
  res.setHeader('X-Nomad-Index', String(index));
  sendJson(req, res, result.type === 'aclBootstrap' ? tokenJson(result.token) : null);
}

// ------------------------------------------------------------------ policies

async function listPolicies(ctx: HttpContext, req: Request, res: Response): Promise<void> {
  await readPrelude(ctx, req);
  const who = await identity(ctx, req);
  const visible = who.acl.isManagement() ? null : attachedPolicies(who);
  const prefix = queryString(req, 'prefix') ?? '';
  const list = ctx.state().aclPolicies()
    .filter((p) => p.Name.startsWith(prefix) && (visible === null || visible.has(p.Name)))
    .map(policyStubJson);
  // Nomad floors this index at 1 so that a blocking query on it works.
  queryMeta(ctx, res, Math.max(1, ctx.state().latestIndex(TABLE.aclPolicy)));
  sendJson(req, res, list);
}

/**
 * GET /v1/acl/policy/self: Nomad lists the caller's policies as ACL.ListPolicies does for a
 * token (a UUID secret); without a token it asks for workload-identity claims, finds none and
 * refuses.
 */
async function selfPolicies(ctx: HttpContext, req: Request, res: Response): Promise<void> {
  const who = await identity(ctx, req);
  if (who.token === null) throw new HttpError(403, PERMISSION_DENIED);
  return listPolicies(ctx, req, res);
}

async function policyByName(ctx: HttpContext, req: Request, res: Response, name: string): Promise<void> {
  if (name === '') throw new HttpError(400, 'Missing Policy Name');
  if (req.method === 'GET') return getPolicy(ctx, req, res, name);
  if (req.method === 'DELETE') return deletePolicy(ctx, req, res, name);
  return putPolicy(ctx, req, res, name);
}

async function getPolicy(ctx: HttpContext, req: Request, res: Response, name: string): Promise<void> {
  await readPrelude(ctx, req);
  const who = await identity(ctx, req);
  // Anyone may read the anonymous policy; others need management or the policy attached.
  if (!who.acl.isManagement() && name !== ANONYMOUS_POLICY && !attachedPolicies(who).has(name)) {
    throw new HttpError(403, PERMISSION_DENIED);
  }
  const p = ctx.state().aclPolicy(name);
  queryMeta(ctx, res, p ? p.ModifyIndex : ctx.state().latestIndex(TABLE.aclPolicy));
  if (!p) throw new HttpError(404, POLICY_NOT_FOUND);
  sendJson(req, res, policyJson(p));
}

function decodePolicyBody(req: Request): AclPolicyFields {
  const T = 'ACLPolicy';
  try {
    const o = objectAt(decodeJson(req), `structs.${T}`);
    const j = objectAt(o ? field(o, 'JobACL') : undefined, 'structs.JobACL');
    const jobAcl: AclJobAcl | null = j === undefined
      ? null
      : { Namespace: str(j, 'Namespace', 'JobACL'), JobID: str(j, 'JobID', 'JobACL'), Group: str(j, 'Group', 'JobACL'), Task: str(j, 'Task', 'JobACL') };
    return { Name: str(o, 'Name', T), Description: str(o, 'Description', T), Rules: str(o, 'Rules', T), JobACL: jobAcl, Hash: '' };
  } catch (e) {
    if (e instanceof DecodeError) throw new HttpError(400, e.message);
    throw e;
  }
}

/** nomad:nomad/structs ACLPolicy.Validate; errors in its order. */
function validatePolicy(p: AclPolicyFields): string[] {
  const errors: string[] = [];
  if (!ACL_POLICY_NAME_PATTERN.test(p.Name)) errors.push(`invalid name '${p.Name}'`);
  try {
    parsePolicy(p.Rules);
  } catch (e) {
    errors.push(`failed to parse rules: ${(e as Error).message}`);
  }
  if (p.Description.length > MAX_POLICY_DESCRIPTION) errors.push(`description longer than ${MAX_POLICY_DESCRIPTION}`);
  if (p.JobACL) {
    if (p.JobACL.JobID !== '' && p.JobACL.Namespace === '') errors.push('namespace must be set to set job ID');
    if (p.JobACL.Group !== '' && p.JobACL.JobID === '') errors.push('job ID must be set to set group');
    if (p.JobACL.Task !== '' && p.JobACL.Group === '') errors.push('group must be set to set task');
  }
  return errors;
}

/** Nomad's ACLPolicy.SetHash inputs: name, description, rules, and the job ACL when set. */
function policyHash(p: AclPolicyFields): string {
  const parts = [p.Name, p.Description, p.Rules];
  if (p.JobACL) parts.push(p.JobACL.Namespace, p.JobACL.JobID, p.JobACL.Group, p.JobACL.Task);
  return digest(parts);
}

async function putPolicy(ctx: HttpContext, req: Request, res: Response, name: string): Promise<void> {
  const policy = decodePolicyBody(req);
  if (policy.Name !== name) throw new HttpError(400, 'ACL policy name does not match request path');
  await requireManagement(ctx, req);
  const errors = validatePolicy(policy);
  if (errors.length) throw new HttpError(400, `policy 0 invalid: ${multiError(errors)}`);
  policy.Hash = policyHash(policy);
  const { index, result } = await ctx.apply({ type: 'upsertAclPolicies', policies: [policy] });
  if (!result.ok) applyFailed(result);
  res.setHeader('X-Nomad-Index', String(index));
  sendEmpty(res);
}

async function deletePolicy(ctx: HttpContext, _req: Request, res: Response, name: string): Promise<void> {
  await requireManagement(ctx, _req);
  const { index, result } = await ctx.apply({ type: 'deleteAclPolicies', names: [name] });
  if (!result.ok) applyFailed(result);
  res.setHeader('X-Nomad-Index', String(index));
  sendEmpty(res);
}

// ------------------------------------------------------------------ tokens

/** Nomad's ACLToken.SetHash inputs: name, type, each policy, global/local, each role ID. */
function tokenHash(t: Pick<AclTokenFields, 'Name' | 'Type' | 'Policies' | 'Global' | 'Roles'>): string {
  return digest([t.Name, t.Type, ...(t.Policies ?? []), t.Global ? 'global' : 'local', ...(t.Roles ?? []).map((r) => r.ID)]);
}

interface TokenBody {
  AccessorID: string;
  Name: string;
  Type: string;
  Policies: string[] | null;
  Roles: { ID: string; Name: string }[];
  Global: boolean;
  /** Nanoseconds; may be negative (validation refuses it). */
  ttl: bigint;
  /** Unix nanoseconds, or null when not given. */
  expiration: bigint | null;
}

/** The body as Nomad's ACLToken.UnmarshalJSON reads it: ExpirationTTL a duration string or nanoseconds. */
function decodeTokenBody(req: Request): TokenBody {
  const T = 'ACLToken';
  try {
    const o = objectAt(decodeJson(req), `structs.${T}`);
    const policies = o ? field(o, 'Policies') : undefined;
    if (policies !== undefined && policies !== null && (!Array.isArray(policies) || policies.some((p) => typeof p !== 'string'))) {
      throw new DecodeError(`json: cannot unmarshal ${JSON.stringify(policies)} into Go struct field ${T}.Policies of type []string`);
    }
    const rolesRaw = o ? field(o, 'Roles') : undefined;
    if (rolesRaw !== undefined && rolesRaw !== null && !Array.isArray(rolesRaw)) {
      throw new DecodeError(`json: cannot unmarshal ${typeof rolesRaw} into Go struct field ${T}.Roles of type []*structs.ACLTokenRoleLink`);
    }
    const roles = ((rolesRaw ?? []) as unknown[]).map((r) => {
      const ro = objectAt(r, 'structs.ACLTokenRoleLink');
      return { ID: str(ro, 'ID', 'ACLTokenRoleLink'), Name: str(ro, 'Name', 'ACLTokenRoleLink') };
    });
    const ttlRaw = o ? field(o, 'ExpirationTTL') : undefined;
    let ttl = 0n;
    if (typeof ttlRaw === 'string' && ttlRaw !== '') ttl = parseDurationNs(ttlRaw);
    else if (typeof ttlRaw === 'number' && Number.isFinite(ttlRaw)) ttl = BigInt(Math.trunc(ttlRaw));
    const expRaw = o ? field(o, 'ExpirationTime') : undefined;
    let expiration: bigint | null = null;
    if (expRaw !== undefined && expRaw !== null) {
      if (typeof expRaw !== 'string') throw new DecodeError(`json: cannot unmarshal ${typeof expRaw} into Go struct field ${T}.ExpirationTime of type time.Time`);
      // Go's zero time counts as "no expiration" (HasExpirationTime).
      if (!expRaw.startsWith('0001-01-01T00:00:00')) {
        expiration = rfc3339Nanos(expRaw);
        if (expiration === null) throw new DecodeError(`parsing time ${JSON.stringify(expRaw)} as RFC 3339: cannot parse`);
      }
    }
    return {
      AccessorID: str(o, 'AccessorID', T),
      Name: str(o, 'Name', T),
      Type: str(o, 'Type', T),
      Policies: (policies ?? null) as string[] | null,
      Roles: roles,
      Global: bool(o, 'Global', T),
      ttl,
      expiration,
    };
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, (e as Error).message);
  }
}

/** nomad:nomad/structs ACLToken.Validate, with the agent's TTL bounds; errors in its order. */
function validateToken(t: TokenBody, createNs: bigint, existing: AclToken | null): string[] {
  const errors: string[] = [];
  if (t.Name.length > MAX_TOKEN_NAME) errors.push('token name too long');
  if (t.Type === 'client') {
    if ((t.Policies ?? []).length === 0 && t.Roles.length === 0) errors.push('client token missing policies or roles');
  } else if (t.Type === 'management') {
    if ((t.Policies ?? []).length !== 0 || t.Roles.length !== 0) errors.push('management token cannot be associated with policies or roles');
  } else {
    errors.push('token type must be client or management');
  }
  if (existing === null) {
    if (t.ttl < 0n) errors.push(`token expiration TTL '${formatDurationNs(t.ttl)}' should not be negative`);
    if (t.expiration !== null) {
      if (createNs > t.expiration) errors.push('expiration time cannot be before create time');
      const expiresIn = t.expiration - createNs;
      if (expiresIn > MAX_TTL_NS) {
        errors.push(`expiration time cannot be more than ${formatDurationNs(MAX_TTL_NS)} in the future (was ${formatDurationNs(expiresIn)})`);
      } else if (expiresIn < MIN_TTL_NS) {
        errors.push(`expiration time cannot be less than ${formatDurationNs(MIN_TTL_NS)} in the future (was ${formatDurationNs(expiresIn)})`);
      }
    }
  } else {
    if (existing.Global !== t.Global) errors.push('cannot toggle global mode');
    if (BigInt(existing.ExpirationTTL) !== t.ttl) errors.push('cannot update expiration TTL');
    // Nomad compares the two pointers (so any update of an expiring token fails); opraft compares the times.
    const old = existing.ExpirationTime === null ? null : rfc3339Nanos(existing.ExpirationTime);
    if (old !== t.expiration) errors.push('cannot update expiration time');
  }
  return errors;
}

async function upsertToken(ctx: HttpContext, req: Request, res: Response, pathAccessor: string | null): Promise<void> {
  const body = decodeTokenBody(req);
  if (pathAccessor !== null && body.AccessorID !== pathAccessor) throw new HttpError(400, 'ACL token accessor does not match request path');
  await requireManagement(ctx, req);

  // An AccessorID in the body makes it an update of that token (Nomad's upsertTokens).
  const existing = body.AccessorID === '' ? null : ctx.state().aclTokenByAccessor(body.AccessorID);
  if (body.AccessorID !== '' && existing === null) throw new HttpError(400, `cannot find token ${body.AccessorID}`);
  const createNs = nowNs();
  // Canonicalize (create only): the expiration follows from the TTL unless given.
  if (existing === null && body.expiration === null && body.ttl !== 0n) body.expiration = createNs + body.ttl;
  const errors = validateToken(body, createNs, existing);
  if (errors.length) throw new HttpError(400, `token 0 invalid: ${multiError(errors)}`);
  // opraft has no ACL roles (Part A §20), so no role link can be found.
  const role = body.Roles[0];
  if (role) throw new HttpError(400, `cannot find role ${role.ID || role.Name}`);

  const token: AclTokenFields = {
    ExpirationTTL: Number(body.ttl),
    AccessorID: existing?.AccessorID ?? randomUUID(),
    SecretID: existing?.SecretID ?? randomUUID(),
    Name: body.Name,
    Type: body.Type as AclTokenType,
    Policies: body.Policies,
    Roles: null,
    Global: body.Global,
    Hash: '',
    CreateTime: existing?.CreateTime ?? rfc3339Nano(createNs),
    ExpirationTime: existing ? existing.ExpirationTime : body.expiration === null ? null : rfc3339Nano(body.expiration),
  };
  token.Hash = tokenHash(token);
  const { index, result } = await ctx.apply({ type: 'upsertAclTokens', tokens: [token] });
  if (!result.ok) applyFailed(result);
  res.setHeader('X-Nomad-Index', String(index));
  sendJson(req, res, result.type === 'upsertAclTokens' ? tokenJson(result.tokens[0]!) : null);
}

async function getToken(ctx: HttpContext, req: Request, res: Response, accessor: string): Promise<void> {
  await readPrelude(ctx, req);
  const who = await identity(ctx, req);
  const t = ctx.state().aclTokenByAccessor(accessor);
  // Management reads any token; any other caller only the token whose secret it holds.
  if (!who.acl.isManagement() && (t === null || who.token?.SecretID !== t.SecretID)) throw new HttpError(403, PERMISSION_DENIED);
  queryMeta(ctx, res, t ? t.ModifyIndex : ctx.state().latestIndex(TABLE.aclToken));
  if (!t) throw new HttpError(404, TOKEN_NOT_FOUND);
  sendJson(req, res, tokenJson(t));
}

async function tokenSelf(ctx: HttpContext, req: Request, res: Response): Promise<void> {
  await readPrelude(ctx, req);
  const who = await identity(ctx, req);
  const t = who.token ? ctx.state().aclTokenByAccessor(who.token.AccessorID) : null;
  queryMeta(ctx, res, t ? t.ModifyIndex : ctx.state().latestIndex(TABLE.aclToken));
  if (!t) throw new HttpError(404, TOKEN_NOT_FOUND);
  sendJson(req, res, tokenJson(t));
}

async function deleteToken(ctx: HttpContext, req: Request, res: Response, accessor: string): Promise<void> {
  await requireManagement(ctx, req);
  if (ctx.state().aclTokenByAccessor(accessor) === null) throw new HttpError(400, `Cannot delete nonexistent tokens: ${accessor}`);
  const { index, result } = await ctx.apply({ type: 'deleteAclTokens', accessorIds: [accessor] });
  if (!result.ok) applyFailed(result);
  res.setHeader('X-Nomad-Index', String(index));
  sendEmpty(res);
}

/**
 * GET /v1/acl/tokens: management only; `prefix` on AccessorID (then in AccessorID order),
 * otherwise in creation order (Nomad's `create` index); `reverse`; `per_page` / `next_token`
 * with Nomad's paginator tokens (`<AccessorID>` with a prefix, `<CreateIndex>.<AccessorID>` without).
 */
async function listTokens(ctx: HttpContext, req: Request, res: Response): Promise<void> {
  const opts = parseQueryOptions(req);
  if (!parseStale(req)) await ctx.consistentRead();
  await requireManagement(ctx, req);
  if ((queryString(req, 'filter') ?? '') !== '') throw new HttpError(400, 'failed to read filter expression: opraft does not evaluate filter expressions');
  const prefix = queryString(req, 'prefix') ?? '';
  const byId = prefix !== '';
  const cmp = (a: AclToken, b: AclToken): number => {
    if (!byId && a.CreateIndex !== b.CreateIndex) return a.CreateIndex - b.CreateIndex;
    return a.AccessorID < b.AccessorID ? -1 : a.AccessorID > b.AccessorID ? 1 : 0;
  };
  const key = (t: AclToken) => (byId ? t.AccessorID : `${t.CreateIndex}.${t.AccessorID}`);
  let tokens = ctx.state().aclTokens(prefix).sort(cmp);
  if (opts.reverse) tokens.reverse();
  if (opts.nextToken !== '') {
    const at = tokens.findIndex((t) => afterOrAt(key(t), opts.nextToken, byId, opts.reverse));
    tokens = at < 0 ? [] : tokens.slice(at);
  }
  let next = '';
  if (opts.perPage > 0 && tokens.length > opts.perPage) {
    next = key(tokens[opts.perPage]!);
    tokens = tokens.slice(0, opts.perPage);
  }
  queryMeta(ctx, res, ctx.state().latestIndex(TABLE.aclToken));
  if (next !== '') res.setHeader('X-Nomad-NextToken', next);
  sendJson(req, res, tokens.map(tokenStubJson));
}

/** Whether an item's paginator key is at or past `next` in the listing's direction. */
function afterOrAt(k: string, next: string, byId: boolean, reverse: boolean): boolean {
  let c: number;
  if (byId) {
    c = k < next ? -1 : k > next ? 1 : 0;
  } else {
    const [ki, kid = ''] = splitKey(k);
    const [ni, nid = ''] = splitKey(next);
    c = ki !== ni ? ki - ni : kid < nid ? -1 : kid > nid ? 1 : 0;
  }
  return reverse ? c <= 0 : c >= 0;
}

function splitKey(k: string): [number, string] {
  const dot = k.indexOf('.');
  const n = Number(dot < 0 ? k : k.slice(0, dot));
  return [Number.isFinite(n) ? n : 0, dot < 0 ? '' : k.slice(dot + 1)];
}
