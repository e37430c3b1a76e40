// Steps the drills share: boot a cluster with the observers running, wait for membership and
// autopilot states, peers.json, and the operator CLI run in-process.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '../cli/run.ts';
import type { DrillNode, LocalCluster } from './cluster.ts';
import { autopilotHealth, raftConfig, request, sleep, until, type AutopilotHealth, type RaftServer } from './http.ts';
import type { DrillContext } from './runner.ts';

/** Starts the drill's servers, waits for a leader, starts the poller and the writer. */
export async function boot(ctx: DrillContext, n = ctx.servers): Promise<DrillNode> {
  const nodes = await ctx.cluster.create(n);
  await ctx.expect(`${n} servers start and answer HTTP`, () => ctx.cluster.startAll(nodes));
  const leader = await ctx.expect('the servers elect a leader', () => ctx.cluster.waitForLeader(nodes, 30_000), (l) => l.name);
  await ctx.expect(`${n} voters in the Raft configuration`, () => waitConfig(leader, (s) => s.filter((x) => x.Voter).length === n, 20_000), () => `${n} voters`);
  await ctx.cluster.afterBoot(leader);
  ctx.poller.start();
  ctx.writer.start();
  await waitAcks(ctx, 5);
  return leader;
}

/** Waits until the writer has had `n` more acknowledgements. */
export async function waitAcks(ctx: DrillContext, n: number, timeoutMs = 20_000): Promise<void> {
  const target = ctx.writer.acked().length + n;
  await until(`${n} acknowledged writes`, () => ctx.writer.acked().length >= target || undefined, timeoutMs, 50);
}

/** Waits until the Raft configuration (as `via` serves it, forwarded to the leader) satisfies pred. */
export async function waitConfig(via: DrillNode | (() => DrillNode), pred: (servers: RaftServer[]) => boolean, timeoutMs = 20_000, what = 'the Raft configuration'): Promise<RaftServer[]> {
  return until(what, async () => {
    const node = typeof via === 'function' ? via() : via;
    const s = await raftConfig(node);
    return pred(s) ? s : undefined;
  }, timeoutMs, 100);
}

/** Waits for the autopilot health (through any running server) to satisfy pred; returns it and its status. */
export async function waitHealth(cluster: LocalCluster, pred: (status: number, h: AutopilotHealth) => boolean, timeoutMs = 20_000): Promise<{ status: number; health: AutopilotHealth }> {
  return until('autopilot health', async () => {
    for (const n of cluster.running()) {
      const r = await autopilotHealth(n).catch(() => undefined);
      if (r?.health && pred(r.status, r.health)) return { status: r.status, health: r.health };
      if (r?.health) return undefined;
    }
    return undefined;
  }, timeoutMs, 100);
}

export function describeHealth(h: { status: number; health: AutopilotHealth }): string {
  return `${h.status}, Healthy=${h.health.Healthy}, FailureTolerance=${h.health.FailureTolerance}, ${h.health.Voters.length} voters`;
}

/** peers.json in Raft protocol 3 format (Nomad's Outage Recovery guide), written into the server's raft dir. */
export async function writePeersJson(ctx: DrillContext, node: DrillNode, entries: { id: string; address: string; non_voter?: boolean }[]): Promise<void> {
  const file = path.join(node.raftDir, 'peers.json');
  await writeFile(file, `${JSON.stringify(entries, null, 2)}\n`);
  ctx.note(`wrote ${file}: ${entries.map((e) => `${e.id}@${e.address}${e.non_voter ? ' (non-voter)' : ''}`).join(', ')}`);
}

/** Runs an `opraft` operator command in-process against a server, as an operator would type it. */
export async function cli(ctx: DrillContext, node: DrillNode, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: { NOMAD_ADDR: node.httpAddr } });
  ctx.note(`$ opraft ${args.join(' ')}  (NOMAD_ADDR=${node.httpAddr}) → exit ${code}${out.trim() ? `: ${out.trim().split('\n')[0]}` : ''}${err.trim() ? ` ${err.trim()}` : ''}`);
  return { code, out, err };
}

/** The current leader among running servers (waits for one). */
export function leaderOf(ctx: DrillContext, timeoutMs = 20_000): Promise<DrillNode> {
  return ctx.cluster.waitForLeader(ctx.cluster.running(), timeoutMs);
}

export { sleep };

/**
 * Waits until the membership (as `via` sees it) reports `node` as no longer alive. Nomad's guide:
 * remove a dead server from Raft only then; while it still looks alive the leader's reconcile adds
 * it straight back as a non-voter.
 */
export async function waitMemberDown(ctx: DrillContext, via: DrillNode, node: DrillNode): Promise<string> {
  return ctx.expect(`server members shows ${node.name} failed`, () =>
    until('the member to be failed', async () => {
      const m = await request(via, 'GET', '/v1/agent/members', undefined, 2000);
      const me = (m.body as { Members?: { Name: string; Status: string }[] })?.Members?.find((x) => x.Name.startsWith(`${node.name}.`));
      return me && me.Status !== 'alive' ? me.Status : undefined;
    }, 15_000),
  (st) => st);
}
