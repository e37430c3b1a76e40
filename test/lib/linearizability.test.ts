import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkHistory,
  checkOperations,
  combineVerdicts,
  historyToOperations,
  type HistoryEvent,
  type Model,
  type Operation,
} from './linearizability.ts';
import {
  isRead,
  kvModel,
  kvPartitionKeys,
  registerModel,
  type KvInput,
  type RegisterInput,
  type RegisterOutput,
} from './models.ts';
import { seededRng, type Rng } from '../../src/util/random.ts';

type In = RegisterInput<number>;
type Out = RegisterOutput<number>;
type Op = Operation<In, Out>;

const INF = Infinity;

// Shorthand constructors: [call, return] intervals, outputs as recorded.
function w(clientId: number, value: number, call: number, ret: number): Op {
  return { clientId, input: { kind: 'write', value }, call, output: true, return: ret };
}
function r(clientId: number, value: number | null, call: number, ret: number): Op {
  return { clientId, input: { kind: 'read' }, call, output: value, return: ret };
}
function cas(clientId: number, expected: number | null, value: number, okOut: boolean, call: number, ret: number): Op {
  return { clientId, input: { kind: 'cas', expected, value }, call, output: okOut, return: ret };
}
/** An indeterminate ('info') write: may or may not have happened, any time after `call`. */
function wInfo(clientId: number, value: number, call: number): Op {
  return { clientId, input: { kind: 'write', value }, call, output: undefined, return: INF };
}
function casInfo(clientId: number, expected: number | null, value: number, call: number): Op {
  return { clientId, input: { kind: 'cas', expected, value }, call, output: undefined, return: INF };
}

const reg = registerModel<number>();
const reg0 = registerModel<number>({ initial: 0 });
const check = (ops: Op[], model: Model<number | null, In, Out> = reg) => checkOperations(model, ops).verdict;

// ---------------------------------------------------------------------------
// Porcupine's README register examples (initial value 0).

test('porcupine example 1: linearizable', () => {
  const ops = [w(0, 100, 0, 100), r(1, 100, 25, 75), r(2, 0, 30, 60)];
  const res = checkOperations(reg0, ops);
  assert.equal(res.verdict, 'ok');
  assert.deepEqual(
    res.partitions.map((p) => [p.verdict, p.size]),
    [['ok', 3]],
  );
});

test('porcupine example 2: not linearizable', () => {
  const ops = [w(0, 200, 0, 100), r(1, 200, 10, 30), r(2, 0, 40, 90)];
  assert.equal(check(ops, reg0), 'violation');
});

// ---------------------------------------------------------------------------
// Basic register histories

test('empty history is ok', () => {
  const res = checkOperations(reg, []);
  assert.equal(res.verdict, 'ok');
  assert.deepEqual(res.partitions, [{ verdict: 'ok', size: 0, steps: 0 }]);
});

test('concurrent overlapping writes: a read may see either value', () => {
  for (const seen of [1, 2]) {
    assert.equal(check([w(0, 1, 0, 10), w(1, 2, 0, 10), r(2, seen, 5, 15)]), 'ok', `read ${seen}`);
  }
  // ...and two later reads may not disagree about the final value.
  assert.equal(check([w(0, 1, 0, 10), w(1, 2, 0, 10), r(2, 1, 20, 21), r(2, 2, 22, 23)]), 'violation');
  // A read concurrent with a write may see the old value.
  assert.equal(check([w(0, 1, 0, 1), w(1, 2, 2, 10), r(2, 1, 3, 4), r(3, 2, 5, 6), r(2, 2, 7, 8)]), 'ok');
  // ...but once a read has seen the new value, a later read may not go back.
  assert.equal(check([w(0, 1, 0, 1), w(1, 2, 2, 10), r(2, 2, 3, 4), r(3, 1, 5, 6)]), 'violation');
});

test('stale read after a completed write is a violation', () => {
  assert.equal(check([w(0, 1, 0, 1), w(0, 2, 2, 3), r(1, 1, 4, 5)]), 'violation');
  assert.equal(check([w(0, 1, 0, 1), r(1, null, 2, 3)]), 'violation');
  assert.equal(check([w(0, 1, 0, 1), w(0, 2, 2, 3), r(1, 2, 4, 5)]), 'ok');
});

test('a read of a value never written is a violation', () => {
  assert.equal(check([w(0, 1, 0, 10), w(1, 2, 0, 10), r(2, 3, 5, 15)]), 'violation');
  assert.equal(check([r(0, 7, 0, 1)]), 'violation');
  assert.equal(check([r(0, null, 0, 1)]), 'ok');
});

test('equal timestamps count as concurrent', () => {
  // The write returns at 5 and the read is invoked at 5: the read may precede it.
  assert.equal(check([w(0, 1, 0, 5), r(1, null, 5, 6)]), 'ok');
  assert.equal(check([w(0, 1, 0, 5), r(1, null, 5.5, 6)]), 'violation');
  // Instantaneous operations.
  assert.equal(check([w(0, 1, 3, 3), r(1, 1, 3, 3), r(2, null, 3, 3)]), 'ok');
});

test('CAS histories', () => {
  // Sequential CAS chain.
  assert.equal(check([w(0, 1, 0, 1), cas(0, 1, 2, true, 2, 3), cas(1, 1, 3, false, 4, 5), r(1, 2, 6, 7)]), 'ok');
  // Two concurrent CAS(1 -> x): exactly one may win, and the read decides which.
  assert.equal(check([w(0, 1, 0, 1), cas(1, 1, 2, true, 2, 9), cas(2, 1, 3, false, 2, 9), r(0, 2, 10, 11)]), 'ok');
  assert.equal(check([w(0, 1, 0, 1), cas(1, 1, 2, true, 2, 9), cas(2, 1, 3, false, 2, 9), r(0, 3, 10, 11)]), 'violation');
  assert.equal(check([w(0, 1, 0, 1), cas(1, 1, 2, true, 2, 9), cas(2, 1, 3, true, 2, 9)]), 'violation');
  // A failed CAS although nothing else touched the register.
  assert.equal(check([w(0, 1, 0, 1), cas(0, 1, 2, false, 2, 3)]), 'violation');
  // A failed CAS is fine if a concurrent write could have changed the value first.
  assert.equal(check([w(0, 1, 0, 1), cas(0, 1, 2, false, 2, 5), w(1, 4, 3, 4), r(0, 4, 6, 7)]), 'ok');
  // A successful CAS against a value the register never held.
  assert.equal(check([w(0, 1, 0, 1), cas(0, 5, 2, true, 2, 3)]), 'violation');
  // CAS on an empty register (expected null).
  assert.equal(check([cas(0, null, 1, true, 0, 1), r(1, 1, 2, 3)]), 'ok');
});

test('indeterminate writes may explain later reads', () => {
  // The info write may have happened...
  assert.equal(check([w(0, 1, 0, 1), wInfo(1, 2, 2), r(2, 2, 10, 11)]), 'ok');
  // ...or not (yet).
  assert.equal(check([w(0, 1, 0, 1), wInfo(1, 2, 2), r(2, 1, 10, 11)]), 'ok');
  // ...but not before it was invoked.
  assert.equal(check([w(0, 1, 0, 1), r(2, 2, 1.5, 1.8), wInfo(1, 2, 2)]), 'violation');
  // ...and once observed it cannot un-happen.
  assert.equal(check([w(0, 1, 0, 1), wInfo(1, 2, 2), r(2, 2, 10, 11), r(2, 1, 12, 13)]), 'violation');
  // ...though it may take effect long after its client gave up.
  assert.equal(check([w(0, 1, 0, 1), wInfo(1, 2, 2), r(2, 1, 10, 11), r(2, 2, 12, 13)]), 'ok');
  // Indeterminate CAS: may or may not have swapped.
  assert.equal(check([w(0, 1, 0, 1), casInfo(1, 1, 2, 2), r(2, 2, 10, 11)]), 'ok');
  assert.equal(check([w(0, 1, 0, 1), casInfo(1, 1, 2, 2), r(2, 1, 10, 11)]), 'ok');
  // ...but it can only swap from the expected value.
  assert.equal(check([w(0, 3, 0, 1), casInfo(1, 1, 2, 2), r(2, 2, 10, 11)]), 'violation');
});

test('indeterminate writes cannot explain a value nobody wrote', () => {
  assert.equal(check([w(0, 1, 0, 1), wInfo(1, 2, 2), wInfo(3, 4, 2), r(2, 3, 10, 11)]), 'violation');
});

// ---------------------------------------------------------------------------
// Event histories

test('historyToOperations: ok pairs, fail dropped, info open forever, pending = info', () => {
  const events: HistoryEvent<In, Out>[] = [
    { kind: 'invoke', clientId: 'a', opId: 1, time: 0, input: { kind: 'write', value: 1 } },
    { kind: 'invoke', clientId: 'b', opId: 2, time: 1, input: { kind: 'write', value: 2 } },
    { kind: 'ok', clientId: 'a', opId: 1, time: 2, output: true },
    { kind: 'fail', clientId: 'b', opId: 2, time: 3 },
    { kind: 'invoke', clientId: 'c', opId: 3, time: 4, input: { kind: 'write', value: 3 } },
    { kind: 'info', clientId: 'c', opId: 3, time: 5 },
    { kind: 'invoke', clientId: 'd', opId: 4, time: 6, input: { kind: 'read' } },
    { kind: 'info', clientId: 'd', opId: 4, time: 7 },
    { kind: 'invoke', clientId: 'e', opId: 5, time: 8, input: { kind: 'read' } },
    { kind: 'ok', clientId: 'e', opId: 5, time: 9, output: 1 },
    { kind: 'invoke', clientId: 'f', opId: 6, time: 10, input: { kind: 'write', value: 6 } }, // never completes
  ];
  const ops = historyToOperations(events);
  assert.deepEqual(
    ops.map((o) => [o.opId, o.call, o.return, o.output]),
    [
      [1, 0, 2, true],
      [3, 4, INF, undefined],
      [4, 6, INF, undefined],
      [5, 8, 9, 1],
      [6, 10, INF, undefined],
    ],
  );
  const dropped = historyToOperations(events, { dropIndeterminate: isRead });
  assert.deepEqual(
    dropped.map((o) => o.opId),
    [1, 3, 5, 6],
  );
  assert.equal(checkHistory(reg, events, { dropIndeterminate: isRead }).verdict, 'ok');
});

test('a failed write cannot explain a read', () => {
  const events: HistoryEvent<In, Out>[] = [
    { kind: 'invoke', clientId: 0, opId: 'w', time: 0, input: { kind: 'write', value: 9 } },
    { kind: 'fail', clientId: 0, opId: 'w', time: 1 },
    { kind: 'invoke', clientId: 1, opId: 'r', time: 2, input: { kind: 'read' } },
    { kind: 'ok', clientId: 1, opId: 'r', time: 3, output: 9 },
  ];
  assert.equal(checkHistory(reg, events).verdict, 'violation');
  const asInfo = events.map((e) => (e.kind === 'fail' ? { ...e, kind: 'info' as const } : e));
  assert.equal(checkHistory(reg, asInfo).verdict, 'ok');
});

test('malformed histories are rejected', () => {
  const inv = (opId: number, time: number): HistoryEvent<In, Out> => ({
    kind: 'invoke',
    clientId: 0,
    opId,
    time,
    input: { kind: 'read' },
  });
  assert.throws(() => historyToOperations([inv(1, 0), inv(1, 1)]), /duplicate invoke/);
  assert.throws(() => historyToOperations([{ kind: 'ok', clientId: 0, opId: 1, time: 0, output: 1 }]), /without an invoke/);
  assert.throws(() => historyToOperations([inv(1, 5), { kind: 'ok', clientId: 0, opId: 1, time: 4, output: 1 }]), /before/);
  assert.throws(() => historyToOperations([inv(1, 0), { kind: 'ok', clientId: 0, opId: 1, time: 1 }]), /no output/);
  assert.throws(() => checkOperations(reg, [r(0, null, 5, 4)]), RangeError);
});

// ---------------------------------------------------------------------------
// Partitioning

type KvOp = Operation<KvInput<number>, Out>;
function kv(key: string, op: Op): KvOp {
  return { ...op, input: { ...op.input, key } };
}

test('per-key partitioning finds the one bad key among many good ones', () => {
  const model = kvModel<number>();
  const ops: KvOp[] = [];
  for (let k = 0; k < 50; k++) {
    const key = `k${k}`;
    const t = k * 0.1; // keys overlap in time: only per-key order matters
    ops.push(kv(key, w(0, k, t, t + 10)), kv(key, w(1, k + 1000, t, t + 10)), kv(key, r(2, k + 1000, t + 5, t + 15)));
    ops.push(kv(key, r(3, k + 1000, t + 20, t + 21)));
  }
  assert.equal(checkOperations(model, ops).verdict, 'ok');
  // Key k37: a stale read after both writes and a read of the newer value.
  ops.push(kv('k37', r(4, 37, 30, 31)));
  const res = checkOperations(model, ops);
  assert.equal(res.verdict, 'violation');
  assert.equal(res.partitions.length, 50);
  const keys = kvPartitionKeys(ops);
  const bad = res.partitions.flatMap((p, i) => (p.verdict === 'violation' ? [keys[i]] : []));
  assert.deepEqual(bad, ['k37']);
  assert.equal(res.partitions[keys.indexOf('k37')]!.size, 5);
  assert.ok(res.partitions.every((p, i) => keys[i] === 'k37' || (p.verdict === 'ok' && p.size === 4)));
  // Two keys' operations on one register do conflict: partitioning is what makes it ok.
  const unpartitioned = checkOperations(
    reg,
    ops.filter((o) => o.input.key === 'k0' || o.input.key === 'k1').map((o) => ({ ...o, input: o.input as In })),
  );
  assert.equal(unpartitioned.verdict, 'violation');
});

test('overall verdict: violation beats unknown beats ok', () => {
  assert.equal(combineVerdicts([]), 'ok');
  assert.equal(combineVerdicts(['ok', 'unknown', 'ok']), 'unknown');
  assert.equal(combineVerdicts(['unknown', 'violation', 'ok']), 'violation');
  const model = kvModel<number>();
  const hard = pathological(16).map((o) => kv('hard', o));
  const good = [kv('good', w(0, 1, 0, 1)), kv('good', r(1, 1, 2, 3))];
  const bad = [kv('bad', w(0, 1, 0, 1)), kv('bad', r(1, 2, 2, 3))];
  const opts = { maxSteps: 2_000 };
  const r1 = checkOperations(model, [...hard, ...good], opts);
  assert.deepEqual(
    r1.partitions.map((p) => p.verdict),
    ['unknown', 'ok'],
  );
  assert.equal(r1.verdict, 'unknown');
  const r2 = checkOperations(model, [...good, ...hard, ...bad], opts);
  assert.deepEqual(
    r2.partitions.map((p) => p.verdict),
    ['ok', 'unknown', 'violation'],
  );
  assert.equal(r2.verdict, 'violation');
});

// ---------------------------------------------------------------------------
// Cross-check against brute force on small random histories

/** Tries every order consistent with real time; indeterminate ops may also be left out. */
function bruteForce(model: Model<number | null, In, Out>, ops: Op[]): boolean {
  const n = ops.length;
  const placed = new Array<boolean>(n).fill(false);
  const go = (state: number | null, count: number): boolean => {
    if (count === n) return true;
    for (let i = 0; i < n; i++) {
      if (placed[i]) continue;
      let minimal = true;
      for (let j = 0; j < n; j++) if (!placed[j] && j !== i && ops[j]!.return < ops[i]!.call) minimal = false;
      if (!minimal) continue;
      placed[i] = true;
      if (ops[i]!.output === undefined && go(state, count + 1)) return true; // never happened
      const res = model.step(state, ops[i]!.input, ops[i]!.output);
      if (res.ok && go(res.state, count + 1)) return true;
      placed[i] = false;
    }
    return false;
  };
  return go(model.init(), 0);
}

function randomSmallHistory(rng: Rng): Op[] {
  const n = 1 + rng.int(7);
  const ops: Op[] = [];
  const vals = [1, 2, 3];
  for (let i = 0; i < n; i++) {
    const call = rng.int(12);
    const ret = call + rng.int(6);
    const info = rng.chance(0.15);
    const k = rng.next();
    const c = rng.int(3);
    if (k < 0.4) ops.push(r(c, rng.pick([null, ...vals]), call, ret));
    else if (k < 0.75) ops.push(info ? wInfo(c, rng.pick(vals), call) : w(c, rng.pick(vals), call, ret));
    else {
      const expected = rng.pick([null, ...vals]);
      const value = rng.pick(vals);
      ops.push(info ? casInfo(c, expected, value, call) : cas(c, expected, value, rng.chance(0.5), call, ret));
    }
  }
  return ops;
}

test('agrees with brute force on 3000 small random histories', () => {
  const rng = seededRng(12345);
  const tally = { ok: 0, violation: 0 };
  for (let i = 0; i < 3000; i++) {
    const ops = randomSmallHistory(rng);
    const expected = bruteForce(reg, ops) ? 'ok' : 'violation';
    const got = checkOperations(reg, ops).verdict;
    assert.equal(got, expected, `history #${i}: ${JSON.stringify(ops)}`);
    tally[expected]++;
  }
  // Both outcomes are well represented.
  assert.ok(tally.ok > 300 && tally.violation > 300, JSON.stringify(tally));
});

// ---------------------------------------------------------------------------
// Large histories

interface GenOptions {
  ops: number;
  clients: number;
  /** Probability that an operation ends indeterminate (half of those then take effect). */
  infoRate: number;
}

/**
 * A register history that is linearizable by construction: each operation gets
 * a real linearization point inside [call, return], the operations are applied
 * to a register in that order, and outputs are what the register returned.
 * Written values (writes and CAS) are unique. Indeterminate reads are dropped.
 */
function generateHistory(rng: Rng, g: GenOptions): Op[] {
  interface Gen {
    op: Op;
    lin: number;
    applied: boolean;
  }
  const gens: Gen[] = [];
  const clock = Array.from({ length: g.clients }, () => rng.next() * 5);
  const written: number[] = [];
  let nextValue = 1;
  for (let k = 0; k < g.ops; k++) {
    let c = 0;
    for (let i = 1; i < g.clients; i++) if (clock[i]! < clock[c]!) c = i;
    const call = clock[c]! + rng.next() * 3;
    const dur = 0.5 + rng.next() * 10;
    const lin = call + rng.next() * dur;
    const ret = call + dur;
    clock[c] = ret;
    const x = rng.next();
    let input: In;
    if (x < 0.5) input = { kind: 'read' };
    else if (x < 0.8 || written.length === 0) input = { kind: 'write', value: nextValue++ };
    else {
      const recent = written.slice(-3);
      input = { kind: 'cas', expected: rng.chance(0.05) ? null : rng.pick(recent), value: nextValue++ };
    }
    if (input.kind !== 'read') written.push(input.value);
    const info = rng.chance(g.infoRate);
    if (info && input.kind === 'read') continue; // an indeterminate read constrains nothing
    gens.push({
      op: { clientId: c, input, call, output: undefined, return: info ? INF : ret },
      lin,
      applied: !info || rng.chance(0.5),
    });
  }
  // Apply in linearization order.
  let state: number | null = null;
  for (const gen of [...gens].sort((a, b) => a.lin - b.lin)) {
    if (!gen.applied) continue;
    const inp = gen.op.input;
    let out: Out;
    if (inp.kind === 'read') out = state;
    else if (inp.kind === 'write') {
      state = inp.value;
      out = true;
    } else {
      out = state === inp.expected;
      if (out) state = inp.value;
    }
    if (gen.op.return !== INF) gen.op.output = out;
  }
  return gens.map((x) => x.op);
}

/**
 * Makes one read in the second half stale: it returns the value of a write W1
 * although another write W2 started after W1 returned and finished before the
 * read began. With unique written values that is never linearizable.
 */
function corruptOneRead(ops: Op[], rng: Rng): { ops: Op[]; index: number } {
  const writers = ops.filter(
    (o) => o.return !== INF && (o.input.kind === 'write' || (o.input.kind === 'cas' && o.output === true)),
  );
  const valueOf = (o: Op): number => (o.input as { value: number }).value;
  const reads = ops.map((o, i) => [o, i] as const).filter(([o]) => o.input.kind === 'read' && o.return !== INF);
  for (let attempt = 0; attempt < 100; attempt++) {
    const [read, index] = reads[Math.floor(reads.length / 2) + rng.int(Math.floor(reads.length / 2))]!;
    const w2 = writers.filter((o) => o.return < read.call).sort((a, b) => b.return - a.return)[0];
    if (w2 === undefined) continue;
    const w1s = writers.filter((o) => o.return < w2.call && valueOf(o) !== read.output);
    if (w1s.length === 0) continue;
    const w1 = w1s[w1s.length - 1 - rng.int(Math.min(5, w1s.length))]!;
    const copy = ops.map((o) => ({ ...o }));
    copy[index]!.output = valueOf(w1);
    return { ops: copy, index };
  }
  throw new Error('could not corrupt a read');
}

test('large linearizable-by-construction history is ok, and fast', () => {
  const ops = generateHistory(seededRng(7), { ops: 4000, clients: 6, infoRate: 0 });
  assert.ok(ops.length === 4000);
  const t0 = performance.now();
  const res = checkOperations(reg, ops, { maxSteps: 2_000_000 });
  const ms = performance.now() - t0;
  assert.equal(res.verdict, 'ok');
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
});

test('large history with indeterminate writes and CAS is ok', () => {
  const ops = generateHistory(seededRng(8), { ops: 3000, clients: 6, infoRate: 0.004 });
  const open = ops.filter((o) => o.return === INF).length;
  assert.ok(open >= 2, `only ${open} indeterminate ops`);
  assert.equal(checkOperations(reg, ops, { maxSteps: 2_000_000 }).verdict, 'ok');
});

test('the same large history with one stale read is a violation', () => {
  const rng = seededRng(9);
  const ops = generateHistory(seededRng(7), { ops: 4000, clients: 6, infoRate: 0 });
  const bad = corruptOneRead(ops, rng);
  const t0 = performance.now();
  const res = checkOperations(reg, bad.ops, { maxSteps: 5_000_000 });
  const ms = performance.now() - t0;
  assert.equal(res.verdict, 'violation');
  assert.ok(ms < 3000, `took ${ms.toFixed(0)} ms`);
  // Also with indeterminate ops in the mix (each one left open multiplies the
  // space to exhaust by up to 2, hence the smaller history).
  const ops2 = generateHistory(seededRng(8), { ops: 1500, clients: 5, infoRate: 0.004 });
  assert.ok(ops2.filter((o) => o.return === INF).length >= 2);
  const res2 = checkOperations(reg, corruptOneRead(ops2, rng).ops, { maxSteps: 5_000_000 });
  assert.equal(res2.verdict, 'violation');
});

test('large key/value history: one corrupted key among many', () => {
  const model = kvModel<number>();
  const rng = seededRng(10);
  const all: KvOp[] = [];
  for (let k = 0; k < 40; k++) {
    let ops = generateHistory(rng.fork(), { ops: 100, clients: 5, infoRate: 0.01 });
    if (k === 23) ops = corruptOneRead(ops, rng).ops;
    all.push(...ops.map((o) => kv(`key${k}`, o)));
  }
  const res = checkOperations(model, all);
  assert.equal(res.verdict, 'violation');
  const keys = kvPartitionKeys(all);
  assert.deepEqual(
    res.partitions.flatMap((p, i) => (p.verdict === 'ok' ? [] : [`${keys[i]}:${p.verdict}`])),
    ['key23:violation'],
  );
});

test('results are deterministic', () => {
  const ops = generateHistory(seededRng(11), { ops: 1000, clients: 5, infoRate: 0.005 });
  const a = checkOperations(reg, ops);
  const b = checkOperations(reg, ops);
  assert.deepEqual(a, b);
});

// ---------------------------------------------------------------------------
// Bounds

/** n concurrent indeterminate writes, then a read of a value none of them wrote. */
function pathological(n: number): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) ops.push(wInfo(i, i + 1, 0));
  ops.push(r(n, 999, 1, 2));
  return ops;
}

test('pathological history with a tiny step bound answers unknown, quickly', () => {
  const t0 = performance.now();
  const res = checkOperations(reg, pathological(24), { maxSteps: 5_000 });
  const ms = performance.now() - t0;
  assert.equal(res.verdict, 'unknown');
  assert.deepEqual(res.partitions, [{ verdict: 'unknown', size: 25, steps: 5_000 }]);
  assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
  // A small instance of the same shape is decided.
  assert.equal(checkOperations(reg, pathological(6), { maxSteps: 5_000 }).verdict, 'violation');
});

test('pathological history with a wall-clock timeout answers unknown', () => {
  const t0 = performance.now();
  const res = checkOperations(reg, pathological(24), { timeoutMs: 50, maxSteps: Infinity });
  const ms = performance.now() - t0;
  assert.equal(res.verdict, 'unknown');
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
});

test('models with equal() but no hash() still memoise correctly', () => {
  const base = registerModel<number>();
  const model: Model<number | null, In, Out> = {
    init: () => base.init(),
    step: (s, i, o) => base.step(s, i, o),
    equal: (a, b) => a === b,
  };
  const ops = generateHistory(seededRng(12), { ops: 500, clients: 4, infoRate: 0.01 });
  assert.equal(checkOperations(model, ops).verdict, 'ok');
  assert.equal(checkOperations(model, corruptOneRead(ops, seededRng(13)).ops).verdict, 'violation');
  // And the default JSON hash (no hash, no equal).
  const plain: Model<number | null, In, Out> = { init: base.init, step: base.step };
  assert.equal(checkOperations(plain, ops).verdict, 'ok');
});
