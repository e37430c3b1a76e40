// The opraft command line: `opraft agent`, `opraft cluster`, `opraft drill`, and the operator commands
// (`operator`, `license`, `server`, `acl`, `var`, `version`) that run through runCli.
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
    case 'drill': {
      const { runDrillCommand } = await import('../drills/index.ts');
      return runDrillCommand(rest);
    }
    default: {
      const { runCli, processIo } = await import('./run.ts');
      return runCli(argv, processIo());
    }
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
