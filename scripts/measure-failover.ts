// Failover timing of a real 3-server cluster on loopback (the integration harness's processes).
//
//   node --import tsx scripts/measure-failover.ts [--trials 10] [--timing local|default] [--cold-starts 3]
//
// --timing default: raft_tick = "100ms" (Nomad's timing: heartbeats 100 ms, elections after 1–2 s)
// --timing local:   raft_tick = "25ms" (the harness's and the local profile's faster timing)
//
// Measures, each as median and max:
//   cold start → first leader: from spawning three fresh servers until all three agree on a
//                leader (includes process start-up through tsx), and the part of it after all
//                three HTTP APIs answer (discovery, bootstrap_expect and the first election);
//   failover:    from SIGKILL of the leader until the other two agree on a new leader, polling
//                GET /v1/status/leader?stale on both every 10 ms;
//   rejoin:      from restarting the killed server until it is back: it names the same leader and
//                has applied everything the leader had committed when it came back.
import { TestCluster, type TestNode } from '../test/integration/harness.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1]!;
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}

const trials = Number(arg('trials', '10'));
const timing = arg('timing', 'local');
const coldStarts = Number(arg('cold-starts', '3'));
if (!Number.isInteger(trials) || trials < 1) throw new Error(`--trials must be a positive integer, got ${arg('trials', '')}`);
if (!Number.isInteger(coldStarts) || coldStarts < 1) throw new Error(`--cold-starts must be a positive integer`);
if (timing !== 'local' && timing !== 'default') throw new Error(`--timing must be local or default, got ${timing}`);
const raftTick = timing === 'default' ? '100ms' : '25ms';

const POLL_MS = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node's stale view of the leader ('' when none), or undefined when its HTTP API does not answer. */
async function staleLeaderView(n: TestNode): Promise<string | undefined> {
  try {
    const r = await fetch(n.url('/v1/status/leader?stale'), { signal: AbortSignal.timeout(1000) });
    if (r.status !== 200) return '';
    return (await r.json()) as string;
  } catch {
    return undefined;
  }
}

async function staleLeader(n: TestNode): Promise<string> {
  return (await staleLeaderView(n)) ?? '';
}

/**
 * Polls every POLL_MS until all of `among` name the same non-empty leader (not `not`); returns it.
 * `onAllAnswering` is called once, the first time every node's HTTP API answers.
 */
async function agreedLeader(among: TestNode[], not: string | undefined, timeoutMs: number, onAllAnswering?: () => void): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let answering = false;
  for (;;) {
    const raw = await Promise.all(among.map(staleLeaderView));
    if (!answering && raw.every((x) => x !== undefined)) {
      answering = true;
      onAllAnswering?.();
    }
    const views = raw.map((x) => x ?? '');
    const v = views[0]!;
    if (v && v !== not && views.every((x) => x === v)) return v;
    if (Date.now() > deadline) throw new Error(`no agreed leader within ${timeoutMs} ms (views: ${views.join(', ')})`);
    await sleep(POLL_MS);
  }
}

async function raftStats(n: TestNode): Promise<Record<string, string>> {
  const r = await n.get('/v1/agent/self');
  if (r.status !== 200) throw new Error(`agent/self on ${n.name}: ${r.status}`);
  return (r.body as { stats: { raft: Record<string, string> } }).stats.raft;
}

function summary(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `median ${mid.toFixed(0).padStart(5)} ms   max ${s.at(-1)!.toFixed(0).padStart(5)} ms   (n=${s.length}; all: ${s.map((x) => x.toFixed(0)).join(' ')})`;
}

const clusters: TestCluster[] = [];
process.on('SIGINT', () => {
  void Promise.all(clusters.map((c) => c.destroy())).finally(() => process.exit(130));
});

async function main(): Promise<void> {
  console.log(`measure-failover: 3 servers, raft_tick ${raftTick} (--timing ${timing}), ${trials} failover trials, ${coldStarts} cold starts`);
  const cold: number[] = [];
  const coldAfterHttp: number[] = [];
  let cluster: TestCluster | undefined;
  for (let i = 0; i < coldStarts; i++) {
    const c = await TestCluster.create(3, { raftTick });
    clusters.push(c);
    const t0 = performance.now();
    await c.startAll();
    let tHttp = t0;
    await agreedLeader(c.nodes, undefined, 60_000, () => (tHttp = performance.now()));
    const tLeader = performance.now();
    cold.push(tLeader - t0);
    coldAfterHttp.push(tLeader - tHttp);
    console.log(`  cold start ${i + 1}: ${cold.at(-1)!.toFixed(0)} ms (${(tHttp - t0).toFixed(0)} ms until all three answer HTTP, then ${coldAfterHttp.at(-1)!.toFixed(0)} ms to an agreed leader)`);
    if (i < coldStarts - 1) {
      await c.destroy();
      clusters.splice(clusters.indexOf(c), 1);
    } else {
      cluster = c;
    }
  }
  const c = cluster!;
  const failover: number[] = [];
  const rejoin: number[] = [];
  for (let t = 0; t < trials; t++) {
    const leaderAddr = await agreedLeader(c.nodes, undefined, 30_000);
    const leader = c.nodes.find((n) => n.rpcAddr === leaderAddr)!;
    const rest = c.nodes.filter((n) => n !== leader);
    const t0 = performance.now();
    await leader.kill9();
    const next = await agreedLeader(rest, leaderAddr, 60_000);
    failover.push(performance.now() - t0);
    // The new leader takes a write (not timed): the cluster really works again.
    const nl = c.nodes.find((n) => n.rpcAddr === next)!;
    for (let attempt = 0; ; attempt++) {
      const w = await nl.req('PUT', `/v1/var/failover/t${t}`, { Items: { t: String(t) } });
      if (w.status === 200) break;
      if (attempt >= 50) throw new Error(`write after failover ${t}: ${w.status} ${w.text}`);
      await sleep(100);
    }

    const r0 = performance.now();
    await leader.start();
    const commit = Number((await raftStats(nl))['commit_index']);
    for (;;) {
      const [l, s] = await Promise.all([staleLeader(leader), raftStats(leader).catch(() => undefined)]);
      if (l === next && s && Number(s['applied_index']) >= commit) break;
      if (performance.now() - r0 > 60_000) throw new Error(`${leader.name} did not rejoin within 60 s`);
      await sleep(POLL_MS);
    }
    rejoin.push(performance.now() - r0);
    console.log(`  trial ${String(t + 1).padStart(2)}: killed ${leader.name}, new leader ${nl.name} after ${failover.at(-1)!.toFixed(0)} ms; ${leader.name} rejoined after ${rejoin.at(-1)!.toFixed(0)} ms`);
  }
  console.log('');
  console.log(`cold start → leader:  ${summary(cold)}`);
  console.log(`  of which HTTP up → leader: ${summary(coldAfterHttp)}`);
  console.log(`failover (SIGKILL):   ${summary(failover)}`);
  console.log(`rejoin after restart: ${summary(rejoin)}`);
}

try {
  await main();
} finally {
  await Promise.all(clusters.map((c) => c.destroy()));
}
