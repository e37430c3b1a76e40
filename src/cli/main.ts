// The opraft command line: `opraft agent`, `opraft cluster`, `opraft version`.
import { VERSION } from '../version.ts';

const USAGE = `Usage: opraft <command> [args]

Commands:
  agent      Runs one opraft server (Nomad's agent flags: -config, -data-dir, -node, -bootstrap-expect, -retry-join, -dev, ...)
  cluster    Runs a local cluster of servers on 127.0.0.1 (--nodes 3|5, --data-dir DIR, --base-port P)
  version    Prints the opraft version
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'agent': {
      const { runAgent } = await import('./agent-command.ts');
      return runAgent(rest);
    }
    case 'cluster': {
      const { runCluster } = await import('./cluster.ts');
      return runCluster(rest);
    }
    case 'version':
    case '-version':
    case '--version':
      process.stdout.write(`opraft v${VERSION}\n`);
      return 0;
    case undefined:
    case 'help':
    case '-h':
    case '-help':
    case '--help':
      process.stdout.write(USAGE);
      return cmd === undefined ? 1 : 0;
    default:
      process.stderr.write(`opraft: unknown command "${cmd}"\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`opraft: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
