// Child process for the kill -9 test: appends entries forever (one synced batch per "Ready
// cycle"), snapshots and compacts now and then, and prints `ACK <index>` after each ack.
import { openRaftStorage } from '../../../src/storage/index.ts';
import { entry } from './util.ts';

const raftDir = process.argv[2]!;
const cfg = { voters: ['n1'], nonVoters: [] };
const s = await openRaftStorage({ raftDir });
const loaded = await s.log.load();
let next = (loaded.entries.at(-1)?.index ?? loaded.snapshotMeta?.index ?? 0) + 1;
process.stdout.write(`START ${next}\n`);
for (;;) {
  const batch = [entry(next, 1), entry(next + 1, 1)];
  await s.log.persist({ entries: batch, hardState: { term: 1, vote: 'n1', commit: next + 1 } });
  next += 2;
  process.stdout.write(`ACK ${next - 1}\n`);
  if ((next - 1) % 40 === 0) {
    const at = next - 1;
    await s.snapshots.save({ index: at, term: 1, config: cfg }, Buffer.from(`state@${at}`));
    await s.log.compact({ index: at - 10, term: 1, config: cfg });
    process.stdout.write(`SNAP ${at}\n`);
  }
}
