import { checkOperations, type Operation } from './linearizability.ts';
import { registerModel, type RegisterInput, type RegisterOutput } from './models.ts';
import { seededRng, type Rng } from '../../src/util/random.ts';
type In = RegisterInput<number>; type Out = RegisterOutput<number>; type Op = Operation<In, Out>;
const INF = Infinity;
const reg = registerModel<number>();
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

for (const seed of [7, 8]) {
  const ops = generateHistory(seededRng(seed), { ops: seed === 7 ? 4000 : 3000, clients: 6, infoRate: seed === 7 ? 0 : 0.004 });
  const rng = seededRng(9);
  for (let k = 0; k < 4; k++) {
    const bad = corruptOneRead(ops, rng);
    const t0 = performance.now();
    const res = checkOperations(reg, bad.ops, { maxSteps: 50_000_000 });
    console.log(seed, bad.index, res.verdict, res.partitions[0]!.steps, (performance.now() - t0).toFixed(0), 'ms');
  }
}
