// The member list and its merge rules. Pure: no I/O, time is passed in.
//
// Newer news wins: a higher incarnation always; at the same incarnation the "worse" status
// (alive < failed < leaving < left), so `left` is sticky against older news and only the member
// itself (by raising its incarnation) can come back.

import type { Member, MemberStatus, Tombstone } from './types.ts';

const RANK: Record<MemberStatus, number> = { alive: 0, failed: 1, leaving: 2, left: 3 };

export interface MemberChange {
  /** The member as it is now (for a removal: as it was, with status `left`). */
  member: Member;
  previous: MemberStatus | 'none';
  /** The member was dropped from the list (reaped, pruned, or retention of a left member ended). */
  removed: boolean;
}

interface Entry {
  member: Member;
  /** Local time of the last sign of life (answer to a probe, a request from it, newer alive news). */
  lastHeard: number;
  /** Local time the current status began. */
  since: number;
}

export interface ExpiryTimes {
  failureTimeoutMs: number;
  reapTimeoutMs: number;
  leftRetentionMs: number;
  tombstoneMs: number;
}

export function copyMember(m: Member): Member {
  return { ...m, tags: { ...m.tags } };
}

/** True when `a` is news over `b` for the same member. */
export function isNewer(a: Member, b: Member): boolean {
  return a.incarnation > b.incarnation || (a.incarnation === b.incarnation && RANK[a.status] > RANK[b.status]);
}

export function sameRecord(a: Member, b: Member): boolean {
  return a.status === b.status && a.incarnation === b.incarnation && sameIdentity(a, b);
}

function sameIdentity(a: Member, b: Member): boolean {
  if (a.id !== b.id || a.addr !== b.addr || a.port !== b.port) return false;
  const ka = Object.keys(a.tags);
  if (ka.length !== Object.keys(b.tags).length) return false;
  return ka.every((k) => a.tags[k] === b.tags[k]);
}

export class MemberTable {
  private readonly entries = new Map<string, Entry>();
  private readonly tombstones = new Map<string, { incarnation: number; at: number }>();

  constructor(readonly selfName: string) {}

  get(name: string): Member | undefined {
    const e = this.entries.get(name);
    return e && copyMember(e.member);
  }

  /** Every member, sorted by name (copies). */
  list(): Member[] {
    return [...this.entries.values()].map((e) => copyMember(e.member)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  listTombstones(): Tombstone[] {
    return [...this.tombstones].map(([name, t]) => ({ name, incarnation: t.incarnation }));
  }

  tombstoned(name: string): boolean {
    return this.tombstones.has(name);
  }

  /** The local member's record: set by its owner only, never by news. */
  setSelf(m: Member, now: number): MemberChange | undefined {
    const cur = this.entries.get(m.name);
    if (cur && sameRecord(cur.member, m)) return undefined;
    const previous = cur?.member.status ?? 'none';
    this.entries.set(m.name, { member: copyMember(m), lastHeard: now, since: previous === m.status && cur ? cur.since : now });
    return { member: copyMember(m), previous, removed: false };
  }

  /** News about another member. Returns the change, or undefined when it was not news. */
  merge(m: Member, now: number): MemberChange | undefined {
    if (m.name === this.selfName) return undefined;
    const tomb = this.tombstones.get(m.name);
    if (tomb && m.incarnation <= tomb.incarnation) return undefined;
    const cur = this.entries.get(m.name);
    if (!cur) {
      this.entries.set(m.name, { member: copyMember(m), lastHeard: now, since: now });
      return { member: copyMember(m), previous: 'none', removed: false };
    }
    if (!isNewer(m, cur.member)) return undefined;
    const prev = cur.member;
    cur.member = copyMember(m);
    if (prev.status !== m.status) cur.since = now;
    if (m.status === 'alive') cur.lastHeard = now;
    if (prev.status === m.status && sameIdentity(prev, m)) return undefined; // only the counter moved
    return { member: copyMember(m), previous: prev.status, removed: false };
  }

  /** A sign of life from the member (it answered, or it asked us something). */
  heard(name: string, now: number): void {
    const e = this.entries.get(name);
    if (e) e.lastHeard = now;
  }

  /** A local decision about another member (failure detector, force-leave), at its current incarnation. */
  setStatus(name: string, status: MemberStatus, now: number): MemberChange | undefined {
    const e = this.entries.get(name);
    if (!e || name === this.selfName || e.member.status === status) return undefined;
    const previous = e.member.status;
    e.member = { ...e.member, status };
    e.since = now;
    return { member: copyMember(e.member), previous, removed: false };
  }

  /** Drops a member and leaves a tombstone at its incarnation (reap, prune). */
  remove(name: string, now: number): MemberChange | undefined {
    const e = this.entries.get(name);
    if (!e || name === this.selfName) return undefined;
    this.entries.delete(name);
    this.addTombstone(name, e.member.incarnation, now);
    return { member: { ...copyMember(e.member), status: 'left' }, previous: e.member.status, removed: true };
  }

  /** A tombstone from a peer: removes the member if the tombstone is at least as new. */
  applyTombstone(t: Tombstone, now: number): MemberChange | undefined {
    if (t.name === this.selfName) return undefined;
    const e = this.entries.get(t.name);
    if (e && e.member.incarnation > t.incarnation) return undefined; // the member came back since
    this.addTombstone(t.name, t.incarnation, now);
    return e ? this.remove(t.name, now) : undefined;
  }

  private addTombstone(name: string, incarnation: number, now: number): void {
    const cur = this.tombstones.get(name);
    if (!cur || incarnation > cur.incarnation) this.tombstones.set(name, { incarnation, at: now });
  }

  /**
   * Time-driven transitions: alive members not heard from for failureTimeoutMs become failed;
   * failed members are reaped after reapTimeoutMs; left members are dropped after leftRetentionMs;
   * tombstones expire after tombstoneMs.
   */
  expire(now: number, t: ExpiryTimes): MemberChange[] {
    const changes: MemberChange[] = [];
    for (const [name, e] of [...this.entries]) {
      if (name === this.selfName) continue;
      const s = e.member.status;
      let c: MemberChange | undefined;
      if (s === 'alive' && now - e.lastHeard >= t.failureTimeoutMs) c = this.setStatus(name, 'failed', now);
      else if (s === 'failed' && now - e.since >= t.reapTimeoutMs) c = this.remove(name, now);
      else if ((s === 'left' || s === 'leaving') && now - e.since >= t.leftRetentionMs) c = this.remove(name, now);
      if (c) changes.push(c);
    }
    for (const [name, tomb] of [...this.tombstones]) {
      if (now - tomb.at >= t.tombstoneMs) this.tombstones.delete(name);
    }
    return changes;
  }
}
