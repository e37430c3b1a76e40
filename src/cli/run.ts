// The operator command line, runnable in-process: runCli(argv, io) → exit code. `opraft agent`
// and `opraft cluster` run servers and stay in main.ts.
import { VERSION } from '../version.ts';
import { aclGroup } from './acl.ts';
import { errorText } from './api-client.ts';
import type { CliIo } from './io.ts';
import { licenseGroup } from './license.ts';
import { dispatch, group, type Command, type Group } from './meta.ts';
import { operatorAutopilotGroup } from './operator-autopilot.ts';
import { operatorRaftGroup } from './operator-raft.ts';
import { operatorSchedulerGroup } from './operator-scheduler.ts';
import { operatorSnapshotGroup } from './operator-snapshot.ts';
import { serverGroup } from './server.ts';
import { varGroup } from './var.ts';

export type { CliIo } from './io.ts';

export const operatorGroup = group({
  name: 'operator',
  synopsis: 'Provides cluster-level tools for operators',
  help: `Usage: opraft operator <subcommand> [options]

  Provides cluster-level tools for operators, such as interacting with
  the Raft subsystem and the Autopilot configuration, the scheduler
  configuration and snapshots. NOTE: Use this command with extreme caution,
  as improper use could lead to a cluster outage and even loss of data.

  Run opraft operator <subcommand> with no arguments for help on that
  subcommand.`,
  children: { autopilot: operatorAutopilotGroup, raft: operatorRaftGroup, scheduler: operatorSchedulerGroup, snapshot: operatorSnapshotGroup },
});

/** The groups runCli dispatches (agent, cluster and version are listed in USAGE too). */
export const COMMANDS: Record<string, Command | Group> = {
  operator: operatorGroup,
  license: licenseGroup,
  server: serverGroup,
  acl: aclGroup,
  var: varGroup,
};

export const USAGE = `Usage: opraft [-version] [-help] <command> [args]

Common commands:
    agent       Runs one opraft server (Nomad's agent flags: -config, -data-dir, -node, -bootstrap-expect, -retry-join, -dev, ...)
    cluster     Runs a local cluster of servers on 127.0.0.1 (--nodes 3|5, --data-dir DIR, --base-port P)
    drill       Runs an outage-recovery drill against a local cluster ('opraft drill list')
    operator    Provides cluster-level tools for operators (raft, autopilot, scheduler, snapshot)
    server      Interact with servers (members, join, force-leave)
    version     Prints the opraft version

Other commands:
    acl         Interact with ACL policies and tokens
    license     Interact with the cluster license
    var         Interact with variables

Run 'opraft <command> -help' for a command's options.
`;

/** Runs the command line (without the program name); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'version':
    case '-v':
    case '-version':
    case '--version':
      io.stdout.write(`opraft v${VERSION}\n`);
      return 0;
    case undefined:
    case 'help':
    case '-h':
    case '-help':
    case '--help':
      io.stdout.write(USAGE);
      return cmd === undefined ? 1 : 0;
  }
  const node = COMMANDS[cmd];
  if (!node) {
    io.stderr.write(`opraft: unknown command "${cmd}"\n\n${USAGE}`);
    return 1;
  }
  try {
    return await dispatch(node, rest, io);
  } catch (e) {
    io.stderr.write(`opraft: ${errorText(e)}\n`);
    return 1;
  }
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin, isTTY: process.stdout.isTTY === true };
}
