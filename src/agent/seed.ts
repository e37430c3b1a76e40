// State the first leader writes when it finds none: the cluster ID (Part A §2) and the scheduler
// and autopilot defaults from the agent config (seeded once, §1.5/§1.8), and the temporary license.
import type { AgentConfig } from '../config/index.ts';
import { autopilotFieldsFromAgent, encodeCommand, schedulerFieldsFromAgent, type Fsm } from '../fsm/index.ts';
import { temporaryLicense } from '../license/index.ts';
import { newClusterId } from './leader-duties.ts';

export function missingClusterState(fsm: Fsm, config: AgentConfig): { what: string; data: Uint8Array }[] {
  const out: { what: string; data: Uint8Array }[] = [];
  if (!fsm.clusterMetadata()) {
    const { clusterId, createTime } = newClusterId();
    out.push({ what: 'cluster ID', data: encodeCommand({ type: 'setClusterMetadata', clusterId, createTime: BigInt(createTime) * 1_000_000n }) });
  }
  if (!fsm.schedulerConfig() || !fsm.autopilotConfig()) {
    out.push({
      what: 'scheduler and autopilot defaults',
      data: encodeCommand({
        type: 'seedDefaults',
        scheduler: schedulerFieldsFromAgent(config.server.defaultSchedulerConfig),
        autopilot: autopilotFieldsFromAgent(config.autopilot),
      }),
    });
  }
  if (!fsm.license()) {
    // A cluster that bootstraps without a license runs on a 6-hour temporary one (Part A §14).
    out.push({ what: 'temporary license', data: encodeCommand({ type: 'setLicense', blob: '', license: temporaryLicense(new Date()) }) });
  }
  return out;
}
