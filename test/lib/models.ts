// Ready-made sequential models for the linearizability checker.
//
// Register operations (inputs) and their outputs:
//   { kind: 'read' }                          -> the value read (null = never written)
//   { kind: 'write', value }                  -> any defined value (e.g. true or null); ignored
//   { kind: 'cas', expected, value }          -> boolean: whether the swap happened
// An undefined output marks an indeterminate operation: a read then constrains
// nothing, a write may or may not have taken effect, and a CAS may or may not
// have taken effect (if it did, it swapped only if the register held `expected`).
//
// The key/value model has the same operations with a `key` on every input and
// partitions the history per key, so its state is the value of one key.

import type { Model, Operation } from './linearizability.ts';

export type RegisterInput<V> =
  | { kind: 'read' }
  | { kind: 'write'; value: V }
  | { kind: 'cas'; expected: V | null; value: V };

/** read -> V | null; write -> anything defined (ignored); cas -> boolean. */
export type RegisterOutput<V> = V | null | boolean;

export type RegisterState<V> = V | null;

export type KvInput<V> = RegisterInput<V> & { key: string };

export interface RegisterModelOptions<V> {
  /** Initial value; default null ("never written"). */
  initial?: V | null;
  /** Value equality; default: === for primitives, JSON equality for objects. */
  equals?: (a: V, b: V) => boolean;
  /**
   * Injective string encoding of a value, for the memo cache. Must agree with
   * `equals` (equal values <=> equal keys). Default: type tag + String() for
   * primitives, JSON for objects.
   */
  key?: (v: V) => string;
}

/** True for read inputs; pass as `dropIndeterminate` to historyToOperations. */
export function isRead(input: { kind: string }): boolean {
  return input.kind === 'read';
}

function defaultKey(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return `s${v}`;
    case 'number':
      return `n${String(v)}`;
    case 'bigint':
      return `b${String(v)}`;
    case 'boolean':
      return v ? 'T' : 'F';
    default:
      return `o${JSON.stringify(v)}`;
  }
}

function defaultEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return false;
}

function registerCore<V>(opts: RegisterModelOptions<V>) {
  const eqV = opts.equals ?? defaultEquals;
  const keyV = opts.key ?? defaultKey;
  const initial: RegisterState<V> = opts.initial ?? null;
  const same = (a: RegisterState<V>, b: RegisterState<V>): boolean =>
    a === null || b === null ? a === b : eqV(a, b);

  const step = (
    state: RegisterState<V>,
    input: RegisterInput<V>,
    output: RegisterOutput<V> | undefined,
  ): { ok: boolean; state: RegisterState<V> } => {
    switch (input.kind) {
      case 'read':
        if (output === undefined) return { ok: true, state };
        return { ok: same(state, output as RegisterState<V>), state };
      case 'write':
        return { ok: true, state: input.value };
      case 'cas': {
        const matches = same(state, input.expected);
        // Indeterminate: if it takes effect here, it swaps iff it matches. Not
        // taking effect at all is covered by linearizing it last.
        if (output === undefined) return { ok: true, state: matches ? input.value : state };
        if (typeof output !== 'boolean') {
          throw new TypeError(`register model: cas output must be a boolean, got ${String(output)}`);
        }
        return output ? { ok: matches, state: matches ? input.value : state } : { ok: !matches, state };
      }
      default:
        throw new TypeError(`register model: unknown input kind ${String((input as { kind: unknown }).kind)}`);
    }
  };
  const hash = (state: RegisterState<V>): string => (state === null ? 'null' : keyV(state));
  return { init: (): RegisterState<V> => initial, step, hash };
}

/** A single read/write/CAS register. */
export function registerModel<V>(
  opts: RegisterModelOptions<V> = {},
): Model<RegisterState<V>, RegisterInput<V>, RegisterOutput<V>> {
  return registerCore(opts);
}

/**
 * A key/value store of independent registers, partitioned per key (partitions
 * in order of each key's first operation). Every key starts at `initial`.
 */
export function kvModel<V>(
  opts: RegisterModelOptions<V> = {},
): Model<RegisterState<V>, KvInput<V>, RegisterOutput<V>> {
  const core = registerCore(opts);
  return {
    init: core.init,
    step: core.step,
    hash: core.hash,
    partition(ops: Operation<KvInput<V>, RegisterOutput<V>>[]) {
      const byKey = new Map<string, Operation<KvInput<V>, RegisterOutput<V>>[]>();
      for (const op of ops) {
        let list = byKey.get(op.input.key);
        if (list === undefined) {
          list = [];
          byKey.set(op.input.key, list);
        }
        list.push(op);
      }
      return [...byKey.values()];
    },
  };
}

/** The keys of kvModel's partitions, in the same order (to name a failing partition). */
export function kvPartitionKeys<V>(ops: readonly Operation<KvInput<V>, RegisterOutput<V>>[]): string[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const op of ops) {
    if (!seen.has(op.input.key)) {
      seen.add(op.input.key);
      keys.push(op.input.key);
    }
  }
  return keys;
}
