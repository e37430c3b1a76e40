// The drill report as text (what an operator reads) and as JSON (--json, for machines).
import type { DrillReport } from './runner.ts';

const ms = (v: number | undefined) => (v === undefined ? '-' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

export function formatReport(r: DrillReport, opts: { steps?: boolean } = {}): string {
  const a = r.autopilot;
  const w = r.writes;
  const out: string[] = [];
  out.push(`drill ${r.drill}: ${r.ok ? 'PASS' : 'FAIL'}${r.sabotage ? ` (sabotage: ${r.sabotage})` : ''}`);
  out.push(`  servers           ${r.servers}, raft_tick ${r.raftTick}`);
  out.push(
    `  autopilot         CleanupDeadServers=${a.cleanupDeadServers} LastContactThreshold=${a.lastContactThreshold} ServerStabilizationTime=${a.serverStabilizationTime} MinQuorum=${a.minQuorum} MaxTrailingLogs=${a.maxTrailingLogs} (update ${a.updateInterval}, reconcile ${a.reconcileInterval})`,
  );
  out.push(`  what failed       ${r.failure.length ? r.failure.join('; ') : '-'}`);
  out.push(`  leaderless        ${ms(r.leaderless.totalMs)} in ${r.leaderless.count} gap(s), longest ${ms(r.leaderless.longestMs)}`);
  out.push(`  time to leader    ${ms(r.timeToLeaderMs)}`);
  out.push(`  time to recovery  ${ms(r.timeToRecoveryMs)}`);
  out.push(`  writes            ${w.attempted} attempted: ${w.acknowledged} acknowledged, ${w.refused} refused (No cluster leader), ${w.unreachable} unreachable, ${w.indeterminate} indeterminate; longest without an ack ${ms(w.longestOutageMs)}`);
  out.push(`  survived          ${w.survived}/${w.acknowledged} acknowledged writes on every node (${w.verifiedOn.join(', ') || 'none'})`);
  for (const m of w.missing) out.push(`    missing ${m.path} on ${m.node}: ${m.got}`);
  const figs = Object.entries(r.figures);
  if (figs.length) {
    out.push('  figures');
    for (const [k, v] of figs) out.push(`    ${k} = ${typeof v === 'number' && /Ms$/.test(k) ? ms(v) : String(v)}`);
  }
  out.push('  checks');
  for (const c of r.checks) out.push(`    ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
  if (opts.steps) {
    out.push('  steps');
    for (const s of r.steps) out.push(`    +${(s.atMs / 1000).toFixed(1)}s ${s.text}`);
  }
  if (r.error) out.push(`  error: ${r.error.split('\n').slice(0, 4).join('\n    ')}`);
  out.push(`  took ${ms(r.durationMs)}; ${r.compose ? `compose cluster (${r.compose}) left running` : `data ${r.kept ? `kept in ${r.dataDir}` : 'removed'}`}`);
  if (r.keptServers) out.push(keptText(r));
  return `${out.join('\n')}\n`;
}

/** --keep: where the servers left running listen, their PIDs, and how to stop them. */
export function keptText(r: DrillReport): string {
  const k = r.keptServers ?? [];
  if (k.length === 0) return '  --keep: no server was left running';
  const lines = [`  --keep: ${k.length} server(s) left running (data in ${r.dataDir}):`];
  for (const s of k) lines.push(`    ${s.name.padEnd(8)} pid ${String(s.pid).padEnd(7)} http ${s.http}  rpc ${s.rpc}  log ${s.log}`);
  lines.push(`  try:  NOMAD_ADDR=${k[0]!.http} bin/opraft operator raft list-peers`);
  lines.push(`  stop: kill ${k.map((s) => s.pid).join(' ')}   (then rm -rf ${r.dataDir})`);
  return lines.join('\n');
}
