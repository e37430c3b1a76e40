// What the leader knows about one follower's log, and the flow control of appends to it
// (etcd's probe / replicate / snapshot states with a window bounded by count and bytes).
import type { ProgressState } from './types.ts';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** Probe: one append per heartbeat round. Replicate with a full window: one empty probe per round. */
  probeSent = false;
  /** Snapshot index being sent (snapshot state). */
  pendingSnapshot = 0;
  /** Bytes of the snapshot the follower confirmed. */
  snapshotOffset = 0;
  recentActive = false;
  /** Last index of each append in flight, oldest first, with its byte size. */
  private inflight: { index: number; bytes: number }[] = [];
  inflightBytes = 0;

  constructor(next: number, private readonly maxInflightMsgs: number, private readonly maxInflightBytes: number) {
    this.next = next;
  }

  get inflightCount(): number {
    return this.inflight.length;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotOffset = 0;
    this.inflight = [];
    this.inflightBytes = 0;
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.reset('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.reset('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.reset('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.reset('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** An ack up to n arrived. Returns true when it told us something new. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * A rejection of an append anchored at `rejected` arrived, with the follower's hint.
   * Returns false when the rejection is stale (answers an older append).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Records an append sent with entries up to lastIndex (lastIndex = next-1 for an empty one). */
  sentEntries(lastIndex: number, bytes: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflight.push({ index: lastIndex, bytes });
        this.inflightBytes += bytes;
      } else {
        this.probeSent = true;
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** Frees the window of appends acknowledged up to index. */
  freeTo(index: number): void {
    while (this.inflight.length > 0 && this.inflight[0]!.index <= index) {
      this.inflightBytes -= this.inflight.shift()!.bytes;
    }
  }

  windowFull(): boolean {
    return (
      this.inflight.length >= this.maxInflightMsgs ||
      (this.maxInflightBytes > 0 && this.inflightBytes >= this.maxInflightBytes)
    );
  }

  /** True when no append (with entries) may be sent now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.windowFull();
      case 'snapshot':
        return true;
    }
  }
}
