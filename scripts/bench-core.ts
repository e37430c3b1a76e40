// Committed entries per second for an in-memory 3-node cluster of RaftCore with batching.
// No disk and no sockets: this measures the consensus core alone (messages passed by reference,
// "persistence" instantaneous). Usage: npm run bench:core [-- --seconds 5 --batch 256 --size 100]
import { parseArgs } from 'node:util';
import { RaftCore, defaultRaftConfig, type Message, type NodeId } from '../src/raft/index.ts';
import { seededRng } from '../src/util/random.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '256' },
    size: { type: 'string', default: '100' },
    nodes: { type: 'string', default: '3' },
  },
});
const seconds = Number(values.seconds);
const batch = Number(values.batch);
const size = Number(values.size);
const ids: NodeId[] = Array.from({ length: Number(values.nodes) }, (_, i) => `n${i + 1}`);

function run(batchSize: number, durationMs: number) {
  const rng = seededRng(42);
  const cores = new Map<NodeId, RaftCore>();
  for (const id of ids) {
    const r = rng.fork();
    cores.set(id, new RaftCore(defaultRaftConfig(id, () => r.next()), {
      hardState: { term: 0, vote: '', commit: 0 },
      entries: [],
      bootstrap: { voters: ids, nonVoters: [] },
    }));
  }
  let queue: Message[] = [];
  let applied = 0;
  const pump = () => {
    for (;;) {
      let moved = false;
      for (const [id, c] of cores) {
        if (!c.hasReady()) continue;
        moved = true;
        const rd = c.ready();
        for (const m of rd.eagerMessages) queue.push(m);
        for (const m of rd.messages) queue.push(m);
        if (id === 'n1') applied += rd.committedEntries.length;
        c.advance();
      }
      if (queue.length === 0 && !moved) return;
      const q = queue;
      queue = [];
      for (const m of q) cores.get(m.to)!.step(m);
    }
  };
  const leader = cores.get('n1')!;
  leader.campaign();
  pump();
  if (leader.role !== 'leader') throw new Error('n1 did not become leader');
  applied = 0;
  const payload = new Uint8Array(size).fill(7);
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(durationMs)) * 1_000_000n;
  let proposed = 0;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < batchSize; i++) leader.propose(payload);
    proposed += batchSize;
    pump();
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return { proposed, committed: applied, elapsed, perSecond: applied / elapsed };
}

run(batch, 500); // warm-up
console.log(`bench:core — ${ids.length} in-memory nodes, ${size}-byte entries, ${seconds}s per row`);
console.log('batch  committed/s   committed');
for (const b of [1, 16, batch]) {
  const r = run(b, (seconds * 1000) / 3);
  console.log(`${String(b).padStart(5)}  ${Math.round(r.perSecond).toLocaleString('en').padStart(11)}   ${r.committed}`);
}
const main = run(batch, seconds * 1000);
console.log(`result: ${Math.round(main.perSecond)} committed entries/s with batches of ${batch} (target ≥ 100,000)`);
