// Linearizability checker: Wing & Gong's search with Lowe's improvements
// ("WGL"), the algorithm of Porcupine's checkSingle and Knossos. See
// /work/shared/spec/raft-test-catalogue.md §3.2.
//
// Outline
// - A history is a set of operations, each with a call time, a return time and
//   (for completed operations) an output. Operation A precedes B in real time
//   iff A.return < B.call; at equal timestamps the operations count as
//   concurrent (calls are ordered before returns), which is the permissive
//   choice: it never invents a violation out of a timestamp tie.
// - Indeterminate operations (a client saw a timeout / closed connection) have
//   return = Infinity and output = undefined: they may take effect at any point
//   after their call, or never (linearizing them "at the end" is the same as
//   never, since nothing comes after).
// - The model may split the history into independent partitions (e.g. one per
//   key); linearizability is local, so each partition is checked on its own
//   (P-compositionality) and the overall verdict is the worst one.
// - Per partition: the call/return events are sorted by time into a doubly
//   linked list. A depth-first search walks the list; at a call event it tries
//   to linearize that operation now (model.step). If legal and the pair
//   (set of linearized operations, new model state) has not been explored
//   before (memo cache), the operation's two events are unlinked ("lifted"),
//   pushed on a stack and the walk restarts at the head. Reaching a return
//   event means that operation must already have been linearized, so the
//   search backtracks: pop, restore state, relink, and try the next call.
//   The history is linearizable when the list becomes empty.
// - The search is exponential in the worst case, so it is bounded by a step
//   count (deterministic) and/or a wall-clock deadline; hitting a bound gives
//   'unknown', never a hang.

export interface Operation<I, O> {
  clientId: number | string;
  input: I;
  /** Invocation time. */
  call: number;
  /** Output of a completed operation; undefined for an indeterminate one. */
  output: O | undefined;
  /** Completion time; Infinity for indeterminate ('info') operations. */
  return: number;
  /** Optional identifier, carried through for debugging (set by historyToOperations). */
  opId?: number | string;
}

export interface Model<S, I, O> {
  init(): S;
  /**
   * Apply `input` to `state`. `ok` says whether producing `output` is legal
   * here. `output === undefined` marks an indeterminate operation: any
   * outcome is allowed, so `ok` should be true (the checker never drops an
   * indeterminate operation; "it never happened" is expressed by linearizing
   * it after everything else). Must not mutate `state`.
   */
  step(state: S, input: I, output: O | undefined): { ok: boolean; state: S };
  /** Split a history into independently checkable sub-histories (e.g. per key). */
  partition?(ops: Operation<I, O>[]): Operation<I, O>[][];
  /**
   * Key for the memo cache. Without `equal`, two states with the same hash are
   * taken to be the same state, so the hash must then be injective (a faithful
   * encoding). With `equal`, the hash only buckets states and `equal` decides.
   * Default: JSON.stringify(state).
   */
  hash?(state: S): string;
  equal?(a: S, b: S): boolean;
}

export type Verdict = 'ok' | 'violation' | 'unknown';

export interface CheckOptions {
  /**
   * Wall-clock budget for the whole check (all partitions). The clock is only
   * read every 1024 search steps, so a partition that needs fewer steps is
   * always decided even after the deadline. Not reproducible; prefer maxSteps.
   */
  timeoutMs?: number;
  /**
   * Search-step budget per partition (one step = one visit of a list event).
   * Deterministic. Default 10,000,000; pass Infinity to disable.
   */
  maxSteps?: number;
}

export interface PartitionResult {
  verdict: Verdict;
  /** Number of operations in the partition. */
  size: number;
  /** Search steps spent on the partition. */
  steps: number;
}

export interface CheckResult {
  verdict: Verdict;
  /** One entry per partition, in the order model.partition returned them. */
  partitions: PartitionResult[];
}

export const DEFAULT_MAX_STEPS = 10_000_000;

/** Checks a set of operations against a sequential model. */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  opts: CheckOptions = {},
): CheckResult {
  for (const op of ops) validateOperation(op);
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  if (!(maxSteps >= 0)) throw new RangeError(`maxSteps must be >= 0, got ${maxSteps}`);
  const deadline = opts.timeoutMs === undefined ? Infinity : performance.now() + opts.timeoutMs;
  const parts = model.partition ? model.partition([...ops]) : [ops];
  const partitions: PartitionResult[] = [];
  for (const part of parts) {
    const r = checkPartition(model, part, maxSteps, deadline);
    partitions.push({ verdict: r.verdict, size: part.length, steps: r.steps });
  }
  return { verdict: combineVerdicts(partitions.map((p) => p.verdict)), partitions };
}

/** violation if any is a violation, else unknown if any is unknown, else ok. */
export function combineVerdicts(verdicts: Iterable<Verdict>): Verdict {
  let out: Verdict = 'ok';
  for (const v of verdicts) {
    if (v === 'violation') return 'violation';
    if (v === 'unknown') out = 'unknown';
  }
  return out;
}

function validateOperation(op: Operation<unknown, unknown>): void {
  if (typeof op.call !== 'number' || !Number.isFinite(op.call)) {
    throw new RangeError(`operation ${describe(op)}: call time must be a finite number, got ${op.call}`);
  }
  if (typeof op.return !== 'number' || Number.isNaN(op.return) || op.return < op.call) {
    throw new RangeError(`operation ${describe(op)}: return time ${op.return} must be >= call time ${op.call}`);
  }
}

function describe(op: Operation<unknown, unknown>): string {
  return op.opId !== undefined ? `${String(op.opId)} (client ${String(op.clientId)})` : `of client ${String(op.clientId)}`;
}

// ---------------------------------------------------------------------------
// Single-partition search

function defaultHash(state: unknown): string {
  const s = JSON.stringify(state);
  return s === undefined ? 'undefined' : s;
}

function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  partOps: readonly Operation<I, O>[],
  maxSteps: number,
  deadline: number,
): { verdict: Verdict; steps: number } {
  const n = partOps.length;
  if (n === 0) return { verdict: 'ok', steps: 0 };

  // Number the operations by call time (stable), see the cache key below.
  const byCall = new Array<number>(n);
  for (let i = 0; i < n; i++) byCall[i] = i;
  byCall.sort((a, b) => partOps[a]!.call - partOps[b]!.call || a - b);
  const ops = byCall.map((i) => partOps[i]!);

  // Events: id e = 2*op + (0 call | 1 return). Sort by time; at equal time
  // calls first (=> concurrent), then by id. So call events appear in
  // increasing op number.
  const m = 2 * n;
  const order = new Array<number>(m);
  for (let e = 0; e < m; e++) order[e] = e;
  const timeOf = (e: number): number => ((e & 1) === 0 ? ops[e >> 1]!.call : ops[e >> 1]!.return);
  order.sort((a, b) => {
    const ta = timeOf(a);
    const tb = timeOf(b);
    if (ta < tb) return -1;
    if (ta > tb) return 1;
    const ka = a & 1;
    const kb = b & 1;
    if (ka !== kb) return ka - kb;
    return a - b;
  });

  // Doubly linked list over sorted positions 0..m-1; `head` is a sentinel.
  // It holds exactly the events of the operations not linearized yet.
  const head = m;
  const next = new Int32Array(m + 1);
  const prev = new Int32Array(m + 1);
  const posOp = new Int32Array(m);
  const posIsCall = new Uint8Array(m);
  const callPos = new Int32Array(n);
  const retPos = new Int32Array(n);
  for (let p = 0; p < m; p++) {
    const e = order[p]!;
    const op = e >> 1;
    posOp[p] = op;
    if ((e & 1) === 0) {
      posIsCall[p] = 1;
      callPos[op] = p;
    } else {
      retPos[op] = p;
    }
    prev[p] = p === 0 ? head : p - 1;
    next[p] = p === m - 1 ? -1 : p + 1;
  }
  next[head] = 0;
  prev[head] = -1;

  // A call is always followed (somewhere) by its return, so next[call] != -1.
  const lift = (op: number): void => {
    const c = callPos[op]!;
    next[prev[c]!] = next[c]!;
    prev[next[c]!] = prev[c]!;
    const r = retPos[op]!;
    next[prev[r]!] = next[r]!;
    if (next[r] !== -1) prev[next[r]!] = prev[r]!;
  };
  // Dancing links: relink in the reverse order of unlinking.
  const unlift = (op: number): void => {
    const r = retPos[op]!;
    next[prev[r]!] = r;
    if (next[r] !== -1) prev[next[r]!] = r;
    const c = callPos[op]!;
    next[prev[c]!] = c;
    prev[next[c]!] = c;
  };

  // Memo cache of (linearized set, state). The set is encoded exactly and
  // compactly as its highest member `top` plus the "holes": the operations
  // numbered below `top` that are not linearized. Those are the calls at the
  // front of the list, up to the first call numbered above `top`; there are
  // few of them (operations still open around the search frontier, plus open
  // indeterminate ones), so the key costs O(holes), not O(n).
  const equal = model.equal ? model.equal.bind(model) : undefined;
  const hash = model.hash ? model.hash.bind(model) : equal ? () => '' : defaultHash;
  const seen = new Set<string>(); // used without `equal`
  const buckets = new Map<string, S[]>(); // used with `equal`
  /** Records (current set, state) unless already seen; returns whether it was new. */
  const remember = (top: number, state: S): boolean => {
    let key = `${top}`;
    for (let p = next[head]!; p !== -1; p = next[p]!) {
      if (posIsCall[p] === 1) {
        const o = posOp[p]!;
        if (o > top) break;
        key += `,${o}`;
      }
    }
    key += `|${hash(state)}`;
    if (equal === undefined) {
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }
    const bucket = buckets.get(key);
    if (bucket === undefined) {
      buckets.set(key, [state]);
      return true;
    }
    for (const other of bucket) if (equal(other, state)) return false;
    bucket.push(state);
    return true;
  };

  const stackOp: number[] = [];
  const stackState: S[] = [];
  const stackTop: number[] = [];
  let top = -1; // highest-numbered linearized operation
  let state = model.init();
  let entry = next[head]!;
  let steps = 0;

  while (next[head] !== -1) {
    if (steps >= maxSteps) return { verdict: 'unknown', steps };
    steps++;
    if ((steps & 1023) === 0 && performance.now() > deadline) return { verdict: 'unknown', steps };

    const op = posOp[entry]!;
    if (posIsCall[entry] === 1) {
      // Try to linearize `op` now.
      const o = ops[op]!;
      const res = model.step(state, o.input, o.output);
      if (res.ok) {
        lift(op);
        const newTop = op > top ? op : top;
        if (remember(newTop, res.state)) {
          stackOp.push(op);
          stackState.push(state);
          stackTop.push(top);
          state = res.state;
          top = newTop;
          entry = next[head]!;
          continue;
        }
        unlift(op);
      }
      entry = next[entry]!;
    } else {
      // The return of an operation that is not linearized: dead end, backtrack.
      if (stackOp.length === 0) return { verdict: 'violation', steps };
      const last = stackOp.pop()!;
      state = stackState.pop()!;
      top = stackTop.pop()!;
      unlift(last);
      entry = next[callPos[last]!]!;
    }
  }
  return { verdict: 'ok', steps };
}

// ---------------------------------------------------------------------------
// Event histories (Jepsen style)

export interface HistoryEvent<I, O> {
  kind: 'invoke' | 'ok' | 'fail' | 'info';
  clientId: number | string;
  /** Identifies the operation; an invoke and its completion share it. Unique per history. */
  opId: number | string;
  time: number;
  /** On 'invoke'. */
  input?: I;
  /** On 'ok' (required there: undefined is reserved for "indeterminate"). */
  output?: O;
}

export interface HistoryOptions<I> {
  /**
   * Indeterminate operations for which this returns true are dropped rather
   * than kept open forever, e.g. reads: a read that never returned constrains
   * nothing, and dropping it keeps the search small.
   */
  dropIndeterminate?: (input: I) => boolean;
}

/**
 * Pairs invoke events with their completions:
 * - ok: a completed operation [invoke.time, ok.time] with ok.output;
 * - fail: known not to have taken effect, dropped;
 * - info, or no completion at all: indeterminate, return = Infinity and
 *   output = undefined (or dropped, see `dropIndeterminate`).
 * Operations come out in the order of their invoke events.
 */
export function historyToOperations<I, O>(
  events: readonly HistoryEvent<I, O>[],
  opts: HistoryOptions<I> = {},
): Operation<I, O>[] {
  const invokes = new Map<number | string, HistoryEvent<I, O>>();
  for (const ev of events) {
    if (ev.kind !== 'invoke') continue;
    if (invokes.has(ev.opId)) throw new Error(`history: duplicate invoke for op ${String(ev.opId)}`);
    invokes.set(ev.opId, ev);
  }
  const completions = new Map<number | string, HistoryEvent<I, O>>();
  for (const ev of events) {
    if (ev.kind === 'invoke') continue;
    if (ev.kind !== 'ok' && ev.kind !== 'fail' && ev.kind !== 'info') {
      throw new Error(`history: unknown event kind ${String((ev as { kind: unknown }).kind)}`);
    }
    const inv = invokes.get(ev.opId);
    if (inv === undefined) throw new Error(`history: ${ev.kind} for op ${String(ev.opId)} without an invoke`);
    if (completions.has(ev.opId)) throw new Error(`history: op ${String(ev.opId)} completed twice`);
    if (inv.clientId !== ev.clientId) {
      throw new Error(
        `history: op ${String(ev.opId)} invoked by client ${String(inv.clientId)} but completed by ${String(ev.clientId)}`,
      );
    }
    if (!(ev.time >= inv.time)) {
      throw new Error(`history: op ${String(ev.opId)} completes at ${ev.time} before its invoke at ${inv.time}`);
    }
    if (ev.kind === 'ok' && ev.output === undefined) {
      throw new Error(`history: ok for op ${String(ev.opId)} has no output (undefined means indeterminate; use null/true)`);
    }
    completions.set(ev.opId, ev);
  }
  const ops: Operation<I, O>[] = [];
  for (const inv of invokes.values()) {
    const done = completions.get(inv.opId);
    if (done?.kind === 'fail') continue;
    const input = inv.input as I;
    if (done?.kind === 'ok') {
      ops.push({ clientId: inv.clientId, opId: inv.opId, input, call: inv.time, output: done.output, return: done.time });
    } else {
      if (opts.dropIndeterminate?.(input)) continue;
      ops.push({ clientId: inv.clientId, opId: inv.opId, input, call: inv.time, output: undefined, return: Infinity });
    }
  }
  return ops;
}

/** historyToOperations followed by checkOperations. */
export function checkHistory<S, I, O>(
  model: Model<S, I, O>,
  events: readonly HistoryEvent<I, O>[],
  opts: CheckOptions & HistoryOptions<I> = {},
): CheckResult {
  return checkOperations(model, historyToOperations(events, opts), opts);
}
