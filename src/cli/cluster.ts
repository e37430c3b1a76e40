// `opraft cluster` / `npm start`: a local cluster of N servers on 127.0.0.1, one process each.
// Node N listens on HTTP base+10(N-1) and RPC base+1+10(N-1), keeps its data under
// <data-dir>/node-N (a second run resumes the same cluster), and all stop on Ctrl-C. A server that
// dies on its own is reported and the others keep running (drills kill servers on purpose).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BIN = fileURLToPath(new URL('../../bin/opraft', import.meta.url));

export interface ClusterPlan {
  nodes: number;
  dataDir: string;
  basePort: number;
}

export function parseClusterArgs(argv: string[]): ClusterPlan {
  const { values } = parseArgs({
    args: argv.map((a) => (/^-[a-z]/.test(a) ? `-${a}` : a)), // accept Nomad's single-dash style too
    options: {
      nodes: { type: 'string', default: '3' },
      'data-dir': { type: 'string', default: './data' },
      'base-port': { type: 'string', default: '4646' },
    },
    strict: true,
    allowPositionals: false,
  });
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9) throw new Error(`--nodes must be a whole number from 1 to 9, got "${values.nodes}"`);
  const basePort = Number(values['base-port']);
  if (!Number.isInteger(basePort) || basePort < 1 || basePort + 10 * (nodes - 1) + 1 > 65535) {
    throw new Error(`--base-port must be a port number leaving room for ${nodes} nodes, got "${values['base-port']}"`);
  }
  return { nodes, dataDir: path.resolve(values['data-dir']!), basePort };
}

export function nodePorts(plan: ClusterPlan, n: number): { http: number; rpc: number } {
  return { http: plan.basePort + 10 * (n - 1), rpc: plan.basePort + 1 + 10 * (n - 1) };
}

/** The agent configuration of node n, in Nomad's HCL (with opraft's local timing). */
export function nodeConfigHcl(plan: ClusterPlan, n: number): string {
  const { http, rpc } = nodePorts(plan, n);
  const others: string[] = [];
  for (let i = 1; i <= plan.nodes; i++) if (i !== n) others.push(`"127.0.0.1:${nodePorts(plan, i).rpc}"`);
  return `# Written by 'opraft cluster' at each start; edit the cluster flags rather than this file.
name      = "node-${n}"
data_dir  = "${path.join(plan.dataDir, `node-${n}`)}"
bind_addr = "127.0.0.1"
ports {
  http = ${http}
  rpc  = ${rpc}
}
raft_tick = "50ms"
server {
  enabled          = true
  bootstrap_expect = ${plan.nodes}
  failure_timeout  = "2s"
  server_join {
    retry_join     = [${others.join(', ')}]
    retry_interval = "1s"
  }
}
autopilot {
  update_interval    = "500ms"
  reconcile_interval = "1s"
}
`;
}

export async function runCluster(argv: string[]): Promise<number> {
  const plan = parseClusterArgs(argv);
  const children: ChildProcess[] = [];
  for (let n = 1; n <= plan.nodes; n++) {
    const dir = path.join(plan.dataDir, `node-${n}`);
    await mkdir(dir, { recursive: true });
    const cfg = path.join(dir, 'agent.hcl');
    const before = await readFile(cfg, 'utf8').catch(() => '');
    const oldRpc = /rpc\s*=\s*(\d+)/.exec(before)?.[1];
    if (oldRpc !== undefined && Number(oldRpc) !== nodePorts(plan, n).rpc) {
      process.stderr.write(
        `opraft: warning: node-${n} ran with RPC port ${oldRpc} before and now gets ${nodePorts(plan, n).rpc}. Raft remembers servers by address,\n` +
          `  so this cluster will not elect a leader until its configuration is recovered with peers.json (see 'opraft drill ip-change'\n` +
          `  and docs/drills.md), or use the old --base-port, or a fresh --data-dir.\n`,
      );
    }
    await writeFile(cfg, nodeConfigHcl(plan, n));
    // Own process group: a terminal's Ctrl-C reaches only us, and we stop each server once.
    const child = spawn(BIN, ['agent', '-config', cfg], { stdio: 'inherit', detached: true });
    children.push(child);
  }
  process.stdout.write(`opraft: ${plan.nodes} servers, data under ${plan.dataDir}\n`);
  for (let n = 1; n <= plan.nodes; n++) {
    const { http, rpc } = nodePorts(plan, n);
    process.stdout.write(`  node-${n}: http://127.0.0.1:${http}  rpc 127.0.0.1:${rpc}  (pid ${children[n - 1]!.pid})\n`);
  }
  process.stdout.write(`Try: curl -s localhost:${plan.basePort}/v1/operator/raft/configuration   (Ctrl-C stops all)\n`);

  let stopping = false;
  const stopAll = (signal: NodeJS.Signals) => {
    if (stopping) {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      return;
    }
    stopping = true;
    for (const c of children) if (c.exitCode === null) c.kill(signal);
  };
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));
  process.on('SIGHUP', () => stopAll('SIGTERM')); // a closed terminal: never leave servers behind
  // A server that dies on its own (a kill -9 in a drill) is reported; the others keep serving and
  // it can be started again by hand with its command below. The cluster ends when all have ended.
  const codes = await Promise.all(
    children.map(
      (c, i) =>
        new Promise<number>((resolve) =>
          c.on('exit', (code, signal) => {
            if (!stopping) {
              const cfg = path.join(plan.dataDir, `node-${i + 1}`, 'agent.hcl');
              process.stderr.write(`opraft: node-${i + 1} exited (${signal ?? `code ${code}`}); the others keep running. Start it again with: bin/opraft agent -config ${cfg}\n`);
            }
            resolve(code ?? 0);
          }),
        ),
    ),
  );
  return stopping ? 0 : codes.some((c) => c !== 0) ? 1 : 0;
}
