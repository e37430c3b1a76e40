// A peer's bounded send queue, in two lanes. Control frames (heartbeats, votes, responses, small
// requests) are bounded by count; bulk frames (appends, snapshot chunks, big requests) by bytes.
// When a lane is full the new frame is dropped: Raft tolerates loss, and an unbounded queue to a
// slow peer would only grow memory and staleness.

/** A FIFO over an array with a moving head (shift() is O(n) on long arrays). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

export interface QueueLimits {
  /** Most control frames waiting. */
  maxControlFrames: number;
  /** Most bytes of bulk frames waiting. */
  maxBulkBytes: number;
}

export class SendQueue {
  private readonly control = new Fifo<Buffer>();
  private readonly bulk = new Fifo<Buffer>();
  private controlBytes = 0;
  private bulkBytes = 0;

  constructor(private readonly limits: QueueLimits) {}

  /** Queues a frame; false (and nothing queued) when its lane is full. */
  push(bytes: Buffer, isBulk: boolean): boolean {
    if (isBulk) {
      // A single frame bigger than the whole bound still goes through an empty lane.
      if (this.bulk.length > 0 && this.bulkBytes + bytes.length > this.limits.maxBulkBytes) return false;
      this.bulk.push(bytes);
      this.bulkBytes += bytes.length;
    } else {
      if (this.control.length >= this.limits.maxControlFrames) return false;
      this.control.push(bytes);
      this.controlBytes += bytes.length;
    }
    return true;
  }

  shiftControl(): Buffer | undefined {
    const b = this.control.shift();
    if (b) this.controlBytes -= b.length;
    return b;
  }

  shiftBulk(): Buffer | undefined {
    const b = this.bulk.shift();
    if (b) this.bulkBytes -= b.length;
    return b;
  }

  get frames(): number {
    return this.control.length + this.bulk.length;
  }

  get bytes(): number {
    return this.controlBytes + this.bulkBytes;
  }

  get hasBulk(): boolean {
    return this.bulk.length > 0;
  }

  /** Empties both lanes; returns how many frames were dropped. */
  clear(): number {
    const n = this.frames;
    this.control.clear();
    this.bulk.clear();
    this.controlBytes = 0;
    this.bulkBytes = 0;
    return n;
  }
}
