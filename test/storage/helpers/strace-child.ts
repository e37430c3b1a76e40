// Child for the strace test: open the storage, persist one batch, print ACKED, save a
// snapshot, print SNAPSHOT_SAVED. Markers go straight to fd 1 so they show up as write(1, …).
import { writeSync } from 'node:fs';
import { openRaftStorage, type TestMode } from '../../../src/storage/index.ts';
import { entry } from './util.ts';

const raftDir = process.argv[2]!;
const mode = process.argv[3] as TestMode | undefined;
const s = await openRaftStorage(mode ? { raftDir, testMode: mode } : { raftDir });
writeSync(1, 'OPENED\n');
await s.log.persist({ entries: [entry(1, 1), entry(2, 1)], hardState: { term: 1, vote: 'n1', commit: 2 } });
writeSync(1, 'ACKED\n');
await s.snapshots.save({ index: 2, term: 1, config: { voters: ['n1'], nonVoters: [] } }, Buffer.from('state'));
writeSync(1, 'SNAPSHOT_SAVED\n');
await s.close();
