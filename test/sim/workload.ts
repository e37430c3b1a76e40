// Client workload: several clients doing put / cas / ReadIndex reads against the
// node they believe is leader, recording a Jepsen-style history with virtual
// timestamps (strictly increasing stamps from the scheduler).
//
// Outcomes: a write is `ok` when the proposing node applies it; `fail` when it
// is known not to have taken effect (proposal rejected, or the proposing node
// applied a different entry at its index); `info` (indeterminate) when the
// proposing node crashed or the client timed out. After a converged run, an
// `info` write whose command is absent from the final applied sequence is known
// not to have taken effect and becomes `fail`. Reads are served from the local
// KV once applied ≥ the read index; a read that cannot be served is `fail`
// (reads have no effect).
import { ProposalError, type Entry, type NodeId, type ReadFailure, type ReadState } from '../../src/raft/index.ts';
import type { Rng } from '../../src/util/random.ts';
import type { HistoryEvent } from '../lib/linearizability.ts';
import type { KvInput, RegisterOutput } from '../lib/models.ts';
import type { Observer } from './invariants.ts';
import { encodeCommand, type Command } from './kv.ts';
import type { SimNode } from './node.ts';
import type { Scheduler } from './scheduler.ts';

export type KvEvent = HistoryEvent<KvInput<string>, RegisterOutput<string>>;

interface Op {
  opId: number;
  client: Client;
  input: KvInput<string>;
  node: NodeId;
  cmdId: string;
  index: number;
  context: string;
  /** Read index once answered, -1 before. */
  readIndex: number;
  done: boolean;
  /** The completion event, once recorded. */
  completion?: KvEvent;
}

interface Client {
  id: number;
  hint: NodeId;
  op: Op | undefined;
  nextAt: number;
  lastSeen: Map<string, string | null>;
}

export interface WorkloadStats {
  invoked: number;
  writesOk: number;
  writesFail: number;
  writesInfo: number;
  readsOk: number;
  readsFail: number;
  rejected: number;
}

export interface WorkloadEnv {
  sched: Scheduler;
  observer: Observer;
  rng: Rng;
  node(id: NodeId): SimNode | undefined;
  /** Up nodes a client may contact. */
  candidates(): NodeId[];
}

export class Workload {
  readonly history: KvEvent[] = [];
  readonly stats: WorkloadStats = { invoked: 0, writesOk: 0, writesFail: 0, writesInfo: 0, readsOk: 0, readsFail: 0, rejected: 0 };
  /** Command ids of writes acknowledged ok. */
  readonly acked = new Set<string>();
  issuing = true;
  private readonly clients: Client[] = [];
  private readonly keys: string[] = [];
  private readonly byNodeIndex = new Map<string, Op>();
  private readonly reads = new Map<string, Op>();
  private readonly ops: Op[] = [];
  private nextOpId = 0;

  private readonly timeout: number;

  /** `timeout`: sub-steps after which a pending operation is given up (info / fail). */
  constructor(
    private readonly env: WorkloadEnv,
    opts: { clients: number; keys: number; timeout: number },
  ) {
    this.timeout = opts.timeout;
    for (let k = 0; k < opts.keys; k++) this.keys.push(`k${k}`);
    for (let c = 0; c < opts.clients; c++) {
      this.clients.push({ id: c, hint: '', op: undefined, nextAt: env.rng.int(8), lastSeen: new Map() });
    }
  }

  /** Called once per sub-step: idle clients may start an operation. */
  step(now: number): void {
    if (!this.issuing) return;
    for (const c of this.clients) {
      if (c.op || now < c.nextAt) continue;
      this.issue(c, now);
    }
  }

  private record(ev: KvEvent): KvEvent {
    this.history.push(ev);
    return ev;
  }

  private pickTarget(c: Client): SimNode | undefined {
    let n = c.hint ? this.env.node(c.hint) : undefined;
    if (!n || !n.up) {
      const cands = this.env.candidates();
      if (cands.length === 0) return undefined;
      c.hint = this.env.rng.pick(cands);
      n = this.env.node(c.hint);
    }
    return n && n.up ? n : undefined;
  }

  private issue(c: Client, now: number): void {
    const { rng, sched } = this.env;
    const target = this.pickTarget(c);
    if (!target) {
      c.nextAt = now + 2 + rng.int(4);
      return;
    }
    const key = rng.pick(this.keys);
    const roll = rng.next();
    const opId = ++this.nextOpId;
    const kind: 'read' | 'write' | 'cas' = roll < 0.4 ? 'read' : roll < 0.8 ? 'write' : 'cas';
    let input: KvInput<string>;
    let cmd: Command | undefined;
    const value = `v${opId}`;
    if (kind === 'read') input = { key, kind: 'read' };
    else if (kind === 'write') {
      input = { key, kind: 'write', value };
      cmd = { id: `w${opId}`, op: 'put', key, value };
    } else {
      const seen = c.lastSeen.get(key);
      const expected = seen !== undefined && rng.chance(0.8) ? seen : rng.chance(0.5) ? null : `v${1 + rng.int(opId)}`;
      input = { key, kind: 'cas', expected, value };
      cmd = { id: `w${opId}`, op: 'cas', key, expected, value };
    }
    const op: Op = { opId, client: c, input, node: target.id, cmdId: cmd?.id ?? '', index: 0, context: '', readIndex: -1, done: false };
    this.stats.invoked++;
    this.record({ kind: 'invoke', clientId: c.id, opId, time: sched.stamp(), input });
    c.op = op;
    this.ops.push(op);
    if (cmd) {
      try {
        const { index } = target.propose(encodeCommand(cmd));
        op.index = index;
        this.byNodeIndex.set(`${target.id}@${index}`, op);
      } catch (err) {
        if (!(err instanceof ProposalError)) throw err;
        this.stats.rejected++;
        this.complete(op, 'fail');
        this.rehint(c, target);
        return;
      }
    } else {
      op.context = `r${opId}`;
      this.reads.set(op.context, op);
      this.env.observer.onReadRequest(op.context);
      try {
        target.readIndex(op.context);
      } catch (err) {
        if (!(err instanceof ProposalError)) throw err;
        this.complete(op, 'fail');
        this.rehint(c, target);
        return;
      }
    }
    if (!op.done) {
      sched.after(this.timeout, () => {
        if (!op.done) this.complete(op, op.input.kind === 'read' ? 'fail' : 'info');
      });
    }
  }

  /** Where to go next after `node` did not serve us: its leader, itself if it still claims to lead, else anyone. */
  private rehint(c: Client, node: SimNode): void {
    const l = node.core?.leader;
    c.hint = l ?? '';
  }

  private complete(op: Op, kind: 'ok' | 'fail' | 'info', output?: RegisterOutput<string>): void {
    if (op.done) return;
    op.done = true;
    const c = op.client;
    const ev: KvEvent = { kind, clientId: c.id, opId: op.opId, time: this.env.sched.stamp() };
    if (kind === 'ok') ev.output = output;
    op.completion = this.record(ev);
    if (op.index > 0) this.byNodeIndex.delete(`${op.node}@${op.index}`);
    if (op.context) this.reads.delete(op.context);
    const isRead = op.input.kind === 'read';
    if (kind === 'ok') {
      if (isRead) {
        this.stats.readsOk++;
        c.lastSeen.set(op.input.key, output as string | null);
      } else {
        this.stats.writesOk++;
        this.acked.add(op.cmdId);
        if (op.input.kind === 'write' || output === true) c.lastSeen.set(op.input.key, (op.input as { value: string }).value);
      }
    } else if (kind === 'fail') {
      if (isRead) this.stats.readsFail++;
      else this.stats.writesFail++;
    } else this.stats.writesInfo++;
    c.op = undefined;
    c.nextAt = this.env.sched.now + 1 + this.env.rng.int(6);
    if (kind !== 'ok') {
      const n = this.env.node(op.node);
      if (n) this.rehint(c, n);
      else c.hint = '';
      // No leader known: back off for a while (an election is likely under way).
      if (c.hint === '') c.nextAt += 4 + this.env.rng.int(12);
    }
  }

  // ------------------------------------------------------------------ node callbacks

  onApplied(node: SimNode, e: Entry, cmd: Command | undefined, result: boolean | undefined): void {
    const op = this.byNodeIndex.get(`${node.id}@${e.index}`);
    if (!op) return;
    if (cmd && cmd.id === op.cmdId) this.complete(op, 'ok', op.input.kind === 'write' ? true : result === true);
    else this.complete(op, 'fail'); // its index holds another entry: it can never be applied
  }

  /** `node` jumped to a snapshot at `index`: resolve its writes at or below it from the apply ledger. */
  onSnapshotRestored(node: SimNode, index: number): void {
    for (const c of this.clients) {
      const op = c.op;
      if (!op || op.node !== node.id || op.index === 0 || op.index > index) continue;
      const rec = this.env.observer.applied[op.index];
      if (!rec) this.complete(op, 'info');
      else if (rec.cmdId === op.cmdId) this.complete(op, 'ok', op.input.kind === 'write' ? true : rec.result === true);
      else this.complete(op, 'fail');
    }
  }

  onReadState(node: SimNode, rs: ReadState): void {
    const op = this.reads.get(rs.context);
    if (!op || op.node !== node.id) return;
    op.readIndex = rs.index;
    if (node.applied >= rs.index) this.serve(op, node);
  }

  onReadFailure(node: SimNode, rf: ReadFailure): void {
    const op = this.reads.get(rf.context);
    if (op && op.node === node.id) this.complete(op, 'fail');
  }

  afterApply(node: SimNode): void {
    for (const c of this.clients) {
      const op = c.op;
      if (op && op.readIndex >= 0 && op.node === node.id && node.applied >= op.readIndex) this.serve(op, node);
    }
  }

  private serve(op: Op, node: SimNode): void {
    this.complete(op, 'ok', node.kv.get(op.input.key));
  }

  /** The node crashed: its pending writes are indeterminate, its reads failed. */
  onCrash(id: NodeId): void {
    for (const c of this.clients) {
      const op = c.op;
      if (op && op.node === id) this.complete(op, op.input.kind === 'read' ? 'fail' : 'info');
    }
  }

  /**
   * Closes the history. Open operations become info (writes) or fail (reads).
   * With `applied` (the command ids of the final applied sequence of a converged
   * cluster), info writes that never took effect become fail.
   */
  finish(applied: Set<string> | undefined): KvEvent[] {
    for (const op of this.ops) if (!op.done) this.complete(op, op.input.kind === 'read' ? 'fail' : 'info');
    if (applied) {
      for (const op of this.ops) {
        if (op.completion?.kind === 'info' && !applied.has(op.cmdId)) {
          op.completion.kind = 'fail';
          this.stats.writesInfo--;
          this.stats.writesFail++;
        }
      }
    }
    return this.history;
  }
}
