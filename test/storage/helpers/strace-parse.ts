// Reads an `strace -f -o` trace into calls with their start and end positions (the line
// numbers where they were issued and where they returned), joining unfinished/resumed halves.
export interface Call {
  pid: number;
  name: string;
  args: string;
  ret: string;
  start: number;
  end: number;
}

const FULL = /^(\d+)\s+(\w+)\((.*)\)\s+=\s+(.*)$/;
const UNFINISHED = /^(\d+)\s+(\w+)\((.*?)\s*<unfinished \.\.\.>$/;
const RESUMED = /^(\d+)\s+<\.\.\. (\w+) resumed>(.*)\)\s+=\s+(.*)$/;

export function parseTrace(text: string): Call[] {
  const calls: Call[] = [];
  const open = new Map<string, { name: string; args: string; start: number }>();
  text.split('\n').forEach((line, n) => {
    let m = FULL.exec(line);
    if (m && !line.includes('<unfinished')) {
      calls.push({ pid: Number(m[1]), name: m[2]!, args: m[3]!, ret: m[4]!, start: n, end: n });
      return;
    }
    m = UNFINISHED.exec(line);
    if (m) {
      open.set(`${m[1]}:${m[2]}`, { name: m[2]!, args: m[3]!, start: n });
      return;
    }
    m = RESUMED.exec(line);
    if (m) {
      const key = `${m[1]}:${m[2]}`;
      const o = open.get(key);
      open.delete(key);
      calls.push({ pid: Number(m[1]), name: m[2]!, args: (o?.args ?? '') + m[3]!, ret: m[4]!, start: o?.start ?? n, end: n });
    }
  });
  return calls.sort((a, b) => a.start - b.start);
}

/** The first quoted string argument of a call (a path), unescaped enough for our paths. */
export function quoted(args: string, nth = 0): string | undefined {
  const all = [...args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
  return all[nth];
}

export function firstFd(args: string): number | undefined {
  const m = /^(-?\d+)/.exec(args.trim());
  return m ? Number(m[1]) : undefined;
}

/** The path an fd referred to when `at` happened: the latest successful openat returning it. */
export function pathOfFd(calls: Call[], fd: number, at: number): string | undefined {
  let found: string | undefined;
  for (const c of calls) {
    if (c.end >= at) break;
    if (c.name === 'openat' && Number(c.ret) === fd) found = quoted(c.args);
  }
  return found;
}

export function markerWrite(calls: Call[], marker: string): Call | undefined {
  return calls.find((c) => c.name === 'write' && /^1,/.test(c.args) && c.args.includes(`"${marker}\\n"`));
}

const SYNCS = new Set(['fsync', 'fdatasync']);

export interface Findings {
  problems: string[];
  notes: string[];
}

/** Checks the durability order of the storage write path in a trace of strace-child.ts. */
export function checkTrace(calls: Call[], dbDir: string, snapshotsDir: string): Findings {
  const problems: string[] = [];
  const notes: string[] = [];
  const opened = markerWrite(calls, 'OPENED');
  const acked = markerWrite(calls, 'ACKED');
  const saved = markerWrite(calls, 'SNAPSHOT_SAVED');
  if (!opened || !acked || !saved) return { problems: [`markers missing from the trace (OPENED ${!!opened}, ACKED ${!!acked}, SNAPSHOT_SAVED ${!!saved})`], notes };

  // 1. The append: a write to a LevelDB log file and an fsync/fdatasync of it, done before ACKED.
  const inDb = (p: string | undefined) => p !== undefined && p.startsWith(`${dbDir}/`) && p.endsWith('.log');
  const syncs = calls.filter((c) => SYNCS.has(c.name) && c.start > opened.start && c.ret.startsWith('0'));
  const logSync = syncs.find((c) => c.end < acked.start && inDb(pathOfFd(calls, firstFd(c.args)!, c.start)));
  if (!logSync) problems.push('no fsync/fdatasync of the LevelDB log file completed between opening the store and the ACKED write');
  else {
    const fd = firstFd(logSync.args)!;
    const wrote = calls.some((c) => c.name === 'write' && firstFd(c.args) === fd && c.start > opened.start && c.end < logSync.start);
    if (!wrote) problems.push(`the synced fd ${fd} was not written to before the sync`);
    notes.push(`append: ${logSync.name}(${fd}) on ${pathOfFd(calls, fd, logSync.start)} finished at line ${logSync.end}, ACKED written at line ${acked.start}`);
  }

  // 2. The snapshot: temp file synced, renamed into snapshots/, then the directory synced, before SNAPSHOT_SAVED.
  const rename = calls.find((c) => c.name.startsWith('rename') && c.start > acked.start && c.end < saved.start && (quoted(c.args, 1) ?? '').startsWith(`${snapshotsDir}/`));
  if (!rename) problems.push('no rename into the snapshots folder between ACKED and SNAPSHOT_SAVED');
  else {
    const tmp = quoted(rename.args, 0);
    const fileSync = syncs.find((c) => c.end < rename.start && c.start > acked.start && pathOfFd(calls, firstFd(c.args)!, c.start) === tmp);
    if (!fileSync) problems.push(`the snapshot temp file ${tmp} was not fsynced before its rename`);
    const dirSync = syncs.find((c) => c.start > rename.end && c.end < saved.start && pathOfFd(calls, firstFd(c.args)!, c.start) === snapshotsDir);
    if (!dirSync) problems.push(`no fsync of the directory ${snapshotsDir} after the snapshot rename and before SNAPSHOT_SAVED`);
    else notes.push(`snapshot: rename at line ${rename.start}, ${dirSync.name} of the directory at line ${dirSync.end}, SNAPSHOT_SAVED at line ${saved.start}`);
  }
  return { problems, notes };
}
