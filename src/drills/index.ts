// `opraft drill list` and `opraft drill <name> [--json] [--nodes N] [--data-dir DIR] [--base-port P]
// [--keep] [--compose [--compose-file F] [--compose-host H]] [--sabotage KIND] [--steps]`:
// outage-recovery drills against a throwaway local cluster of real servers (or the docker compose
// cluster), verified from the outside (leader poller, background writer, ?stale read-back on every node).
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
import { formatReport, keptText } from './report.ts';
import { COMMON_SABOTAGES, runDrill, type Drill } from './runner.ts';

export { runDrill, type Drill, type DrillReport, type DrillOptions } from './runner.ts';
export { formatReport } from './report.ts';
export { LocalCluster, DrillNode, PortPlan } from './cluster.ts';
export { ComposeCluster, ComposeNode } from './compose.ts';

export const DRILLS: Drill[] = [leaderLoss, quorumLoss, minorityLoss, snapshotRestore, deadServerCleanup, rollingRestart, serverReplace, ipChange, partition];

/** Drills the compose driver cannot run, and why (they need the servers' files or new servers). */
export const COMPOSE_UNSUPPORTED: Record<string, string> = {
  'quorum-loss': "writes peers.json into the survivor's data directory and starts fresh servers",
  'snapshot-restore': 'restores into a second, brand-new cluster',
  'dead-server-cleanup': "deletes a server's data for good and starts fresh servers",
  'server-replace': "deletes a server's data directory and starts it empty",
  'ip-change': 'moves every server to new addresses and writes peers.json on each',
  partition: 'needs OPRAFT_TEST_FAULTS=1 in the servers and cuts links through a test-only endpoint',
};

export const DRILL_USAGE = `Usage: opraft drill list
       opraft drill <name> [--json] [--steps] [--nodes N] [--data-dir DIR] [--base-port P] [--keep] [--sabotage KIND]
       opraft drill <name> --compose [--compose-file FILE] [--compose-host HOST] [--json] [--steps] [--nodes N]

  Runs an outage-recovery drill, prints a report, and exits 1 when the verification fails. By
  default the drill starts its own throwaway local cluster of opraft servers (free loopback ports,
  data in a temporary directory) and stops every server when it ends, also on Ctrl-C.

  --json          print the report as JSON
  --steps         include the timed steps in the text report
  --nodes N       number of servers, where the drill allows it (see 'opraft drill list')
  --data-dir DIR  keep every server's data under DIR/<drill>-<time>
  --base-port P   server k (in the order the drill creates them) listens on HTTP P+10(k-1) and
                  RPC P+1+10(k-1), as 'opraft cluster' does, instead of on free ports
  --keep          leave the servers running after the report (prints where they listen, their
                  PIDs and how to stop them); Ctrl-C during the drill still stops them
  --sabotage KIND break the drill on purpose; it must then fail
  --quiet         no progress lines on stderr

  --compose       act on the docker compose cluster (already up: docker compose up -d) instead:
                  kill -9 = docker compose kill -s SIGKILL server-N, SIGTERM = docker compose stop
                  server-N, start = docker compose start server-N; HTTP at the ports published in
                  'docker compose config' (docker-compose when the compose plugin is missing).
                  Drills: ${DRILLS.map((d) => d.name).filter((n) => !(n in COMPOSE_UNSUPPORTED)).join(', ')}. The compose
                  cluster is left running; stopped services are started again at the end.
  --compose-file FILE   the compose file (default: compose's own, ./docker-compose.yml)
  --compose-host HOST   host of the published ports (default $OPRAFT_COMPOSE_HOST, else 127.0.0.1)
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
        'base-port': { type: 'string' },
        compose: { type: 'boolean', default: false },
        'compose-file': { type: 'string' },
        'compose-host': { type: 'string' },
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
  const usage = (msg: string) => (process.stderr.write(`opraft drill: ${msg}\n`), 2);
  let basePort: number | undefined;
  if (values['base-port'] !== undefined) {
    basePort = Number(values['base-port']);
    if (!Number.isInteger(basePort) || basePort < 1 || basePort + 1 + 10 * ((nodes ?? drill.nodeCounts[0]!) - 1) > 65535) return usage(`--base-port must be a port number leaving room for the servers, got "${values['base-port']}"`);
  }
  const compose = values.compose === true;
  if (!compose && (values['compose-file'] !== undefined || values['compose-host'] !== undefined)) return usage('--compose-file and --compose-host go with --compose');
  if (compose) {
    if (drill.name in COMPOSE_UNSUPPORTED) return usage(`drill ${drill.name} does not run with --compose: it ${COMPOSE_UNSUPPORTED[drill.name]}. Follow its runbook in docs/drills.md by hand, or run it on a local cluster (without --compose).`);
    for (const o of ['data-dir', 'base-port', 'keep'] as const) if (values[o] !== undefined && values[o] !== false) return usage(`--${o} has no meaning with --compose (the compose cluster has its own data and ports, and keeps running)`);
  }
  let report;
  try {
    report = await runDrill(drill, {
      ...(nodes !== undefined ? { nodes } : {}),
      ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
      ...(basePort !== undefined ? { basePort } : {}),
      ...(compose ? { compose: { ...(values['compose-file'] ? { file: values['compose-file'] } : {}), ...(values['compose-host'] ? { host: values['compose-host'] } : {}) } } : {}),
      ...(values.sabotage ? { sabotage: values.sabotage } : {}),
      keep: values.keep === true,
      progress: values.quiet ? () => undefined : (line) => process.stderr.write(`${line}\n`),
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, { steps: values.steps === true }));
  if (values.json && report.keptServers) process.stderr.write(`${keptText(report)}\n`);
  return report.ok ? 0 : 1;
}
