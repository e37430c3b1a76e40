// Virtual time and a deterministic event queue: events run in (time, insertion) order.

export interface SimEvent {
  at: number;
  seq: number;
  run: () => void;
}

export class Scheduler {
  /** Current virtual time in sub-steps. */
  now = 0;
  /** Strictly increasing counter for history timestamps and tie-breaking. */
  private counter = 0;
  private heap: SimEvent[] = [];

  /** A fresh, strictly increasing stamp (exact real-time order of history events). */
  stamp(): number {
    return ++this.counter;
  }

  at(time: number, run: () => void): void {
    const ev: SimEvent = { at: Math.max(time, this.now), seq: ++this.counter, run };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(ev, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = ev;
  }

  after(delay: number, run: () => void): void {
    this.at(this.now + delay, run);
  }

  /** Runs every event due at or before `now`, including ones they schedule for `now`. */
  runDue(shouldStop: () => boolean): void {
    const h = this.heap;
    while (h.length > 0 && h[0]!.at <= this.now) {
      const ev = this.pop();
      ev.run();
      if (shouldStop()) return;
    }
  }

  get pending(): number {
    return this.heap.length;
  }

  private pop(): SimEvent {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(h[r]!, h[l]!) ? r : l;
        if (!less(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function less(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
