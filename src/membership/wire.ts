// Bodies of the membership RPCs, and their validation: anything a peer sends is checked before use.

import { MEMBER_STATUSES, type Member, type Tombstone } from './types.ts';

export interface PingBody {
  /** The sender's own record. */
  from: Member;
  /** Name of the member the sender means to reach (an address may now belong to someone else). */
  target: string;
  /** The sender's record of the target, so the target can refute news of its failure at once. */
  view?: Member;
}

export interface PingReply {
  member: Member;
}

export interface IndirectPingBody {
  from: Member;
  /** The sender's record of the member to probe. */
  target: Member;
}

export interface IndirectPingReply {
  ok: boolean;
  member?: Member;
}

export interface PushPullBody {
  from: Member;
  members: Member[];
  tombstones: Tombstone[];
}

export interface PushPullReply {
  /** The answering server's own record. */
  from: Member;
  members: Member[];
  tombstones: Tombstone[];
}

const MAX_MEMBERS = 10_000;
const MAX_TEXT = 1024;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown, what: string, allowEmpty = false): string {
  if (typeof v !== 'string') throw new Error(`${what} must be a string`);
  if (!allowEmpty && v.length === 0) throw new Error(`${what} must not be empty`);
  if (v.length > MAX_TEXT) throw new Error(`${what} is longer than ${MAX_TEXT} characters`);
  return v;
}

function counter(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${what} must be a non-negative integer`);
  return v;
}

/** A member record from the wire; throws an Error naming the field that is wrong. */
export function readMember(v: unknown, what = 'member'): Member {
  if (!isObject(v)) throw new Error(`${what} must be an object`);
  const name = text(v.name, `${what}.name`);
  const at = `${what} "${name}"`;
  const id = text(v.id, `${at} id`);
  const addr = text(v.addr, `${at} addr`);
  const port = v.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${at} port must be 1-65535`);
  const status = v.status;
  if (typeof status !== 'string' || !(MEMBER_STATUSES as readonly string[]).includes(status)) {
    throw new Error(`${at} status must be one of ${MEMBER_STATUSES.join(', ')}`);
  }
  const incarnation = counter(v.incarnation, `${at} incarnation`);
  if (!isObject(v.tags)) throw new Error(`${at} tags must be an object`);
  const tags: Record<string, string> = {};
  const entries = Object.entries(v.tags);
  if (entries.length > 64) throw new Error(`${at} has more than 64 tags`);
  for (const [k, val] of entries) tags[text(k, `${at} tag name`)] = text(val, `${at} tag "${k}"`, true);
  return { name, id, addr, port, status: status as Member['status'], incarnation, tags };
}

function readList<T>(v: unknown, what: string, read: (x: unknown, w: string) => T): T[] {
  if (!Array.isArray(v)) throw new Error(`${what} must be an array`);
  if (v.length > MAX_MEMBERS) throw new Error(`${what} has more than ${MAX_MEMBERS} entries`);
  return v.map((x, i) => read(x, `${what}[${i}]`));
}

export function readTombstone(v: unknown, what = 'tombstone'): Tombstone {
  if (!isObject(v)) throw new Error(`${what} must be an object`);
  return { name: text(v.name, `${what}.name`), incarnation: counter(v.incarnation, `${what}.incarnation`) };
}

export function readPing(v: unknown): PingBody {
  if (!isObject(v)) throw new Error('ping body must be an object');
  const body: PingBody = { from: readMember(v.from, 'ping from'), target: text(v.target, 'ping target') };
  if (v.view !== undefined) body.view = readMember(v.view, 'ping view');
  return body;
}

export function readPingReply(v: unknown): PingReply {
  if (!isObject(v)) throw new Error('ping reply must be an object');
  return { member: readMember(v.member, 'ping reply member') };
}

export function readIndirectPing(v: unknown): IndirectPingBody {
  if (!isObject(v)) throw new Error('indirect ping body must be an object');
  return { from: readMember(v.from, 'indirect ping from'), target: readMember(v.target, 'indirect ping target') };
}

export function readIndirectPingReply(v: unknown): IndirectPingReply {
  if (!isObject(v)) throw new Error('indirect ping reply must be an object');
  if (typeof v.ok !== 'boolean') throw new Error('indirect ping reply ok must be a boolean');
  const reply: IndirectPingReply = { ok: v.ok };
  if (v.member !== undefined) reply.member = readMember(v.member, 'indirect ping reply member');
  return reply;
}

export function readPushPull(v: unknown): PushPullBody {
  if (!isObject(v)) throw new Error('push/pull body must be an object');
  return {
    from: readMember(v.from, 'push/pull from'),
    members: readList(v.members, 'push/pull members', readMember),
    tombstones: readList(v.tombstones, 'push/pull tombstones', readTombstone),
  };
}

export function readPushPullReply(v: unknown): PushPullReply {
  if (!isObject(v)) throw new Error('push/pull reply must be an object');
  return {
    from: readMember(v.from, 'push/pull reply from'),
    members: readList(v.members, 'push/pull reply members', readMember),
    tombstones: readList(v.tombstones, 'push/pull reply tombstones', readTombstone),
  };
}
