// `opraft drill list` and `opraft drill <name> [--json] [--nodes N] [--data-dir DIR] [--keep]
// [--sabotage KIND] [--steps]`: outage-recovery drills against a local cluster of real servers,
// verified from the outside (leader poller, background writer, ?stale read-back on every node).
import { parseArgs } from 'node:util';
import { deadServerCleanup } from './dead-server-cleanup.ts';
import { ipChange } from './ip-change.ts';
import { leaderLoss } from './leader-loss.ts';
import { minorityLoss } from './minority-loss.ts';
import { partition } from './partition.ts';
import { quorumLoss } from './quorum-loss.ts';
import { rollingRestart } from './rolling-restart.ts';
import { serverReplace } from './server-replace.ts';
import { snapshotRestore } from './snapshot-restore.ts';
import { formatReport } from './report.ts';
import { COMMON_SABOTAGES, runDrill, type Drill } from './runner.ts';

export { runDrill, type Drill, type DrillReport, type DrillOptions } from './runner.ts';
export { formatReport } from './report.ts';
export { LocalCluster, DrillNode } from './cluster.ts';

export const DRILLS: Drill[] = [leaderLoss, quorumLoss, minorityLoss, snapshotRestore, deadServerCleanup, rollingRestart, serverReplace, ipChange, partition];

export const DRILL_USAGE = `Usage: opraft drill list
       opraft drill <name> [--json] [--steps] [--nodes N] [--data-dir DIR] [--keep] [--sabotage KIND]

  Runs an outage-recovery drill against a local cluster of opraft servers on free loopback ports
  (data in a temporary directory, or under --data-dir), prints a report, and exits 1 when the
  verification fails. Every server the drill starts is stopped when it ends.

  --json          print the report as JSON
  --steps         include the timed steps in the text report
  --nodes N       number of servers, where the drill allows it (see 'opraft drill list')
  --data-dir DIR  keep every server's data under DIR/<drill>-<time>
  --keep          keep the temporary data directory (a failed drill always keeps it)
  --sabotage KIND break the drill on purpose; it must then fail
  --quiet         no progress lines on stderr
`;

export function findDrill(name: string): Drill | undefined {
  return DRILLS.find((d) => d.name === name);
}

export function listText(): string {
  const lines = DRILLS.map((d) => {
    const sab = [...Object.keys(d.sabotages), ...Object.keys(COMMON_SABOTAGES)].join(', ');
    return `  ${d.name.padEnd(20)} ${d.summary}\n  ${''.padEnd(20)} servers: ${d.nodeCounts.join(' or ')}; sabotage: ${sab}`;
  });
  return `Drills:\n${lines.join('\n')}\n`;
}

export async function runDrillCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.map((a) => (/^-[a-z]/.test(a) ? `-${a}` : a)),
      options: {
        json: { type: 'boolean', default: false },
        steps: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        nodes: { type: 'string' },
        'data-dir': { type: 'string' },
        sabotage: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    process.stderr.write(`opraft drill: ${(e as Error).message}\n${DRILL_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    process.stdout.write(DRILL_USAGE);
    return values.help ? 0 : 2;
  }
  if (positionals[0] === 'list') {
    process.stdout.write(listText());
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`opraft drill: one drill name expected\n${DRILL_USAGE}`);
    return 2;
  }
  const drill = findDrill(positionals[0]!);
  if (!drill) {
    process.stderr.write(`opraft drill: no drill "${positionals[0]}"\n${listText()}`);
    return 2;
  }
  const nodes = values.nodes === undefined ? undefined : Number(values.nodes);
  const report = await runDrill(drill, {
    ...(nodes !== undefined ? { nodes } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(values.sabotage ? { sabotage: values.sabotage } : {}),
    keep: values.keep === true,
    progress: values.quiet ? () => undefined : (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, { steps: values.steps === true }));
  return report.ok ? 0 : 1;
}
