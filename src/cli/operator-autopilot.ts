// opraft operator autopilot get-config | set-config | health (contract §7.5–§7.7, Part A §21).
import { formatDurationNs, parseDurationNs } from '../config/duration.ts';
import { ApiError, errorText } from './api-client.ts';
import { formatList } from './columnize.ts';
import { parseGoUint } from './flags.ts';
import { formatData, goDuration, goTimeString } from './format.ts';
import { command, flagBool, flagString, generalOptionsUsage, group, type RunContext } from './meta.ts';

export interface AutopilotConfiguration {
  LastContactThreshold: string;
  ServerStabilizationTime: string;
  CleanupDeadServers: boolean;
  MaxTrailingLogs: number;
  MinQuorum: number;
  EnableRedundancyZones: boolean;
  DisableUpgradeMigration: boolean;
  EnableCustomUpgrades: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

interface ServerHealth {
  LastContact: string;
  ID: string;
  Name: string;
  Address: string;
  SerfStatus: string;
  Version: string;
  Leader: boolean;
  LastTerm: number;
  LastIndex: number;
  Healthy: boolean;
  Voter: boolean;
  StableSince: string;
}

interface OperatorHealthReply {
  Healthy: boolean;
  FailureTolerance: number;
  Servers: ServerHealth[] | null;
  Leader: string;
  Voters: string[] | null;
  ReadReplicas?: string[] | null;
}

const getConfig = command({
  name: 'operator autopilot get-config',
  synopsis: 'Display the current Autopilot configuration',
  flags: { json: 'bool', t: 'string' },
  parseErrorPrefix: 'Failed to parse args: ',
  help: `Usage: opraft operator autopilot get-config [options]

  Displays the current Autopilot configuration.

  If ACLs are enabled, this command requires a token with the 'operator:read'
  capability.

General Options:

${generalOptionsUsage()}

Get Config Options:

  -json
    Output the autopilot config in JSON format.

  -t
    Format and display the autopilot config using a Go template (field
    actions such as {{.MinQuorum}} only).`,
  async run(ctx) {
    let c: AutopilotConfiguration;
    try {
      c = (await ctx.client().get<AutopilotConfiguration>('/v1/operator/autopilot/configuration')).body;
    } catch (e) {
      ctx.ui.error(`Error querying Autopilot configuration: ${errorText(e)}`);
      return 1;
    }
    const json = flagBool(ctx, 'json') === true;
    const tmpl = flagString(ctx, 't');
    if (json || tmpl !== '') {
      try {
        ctx.ui.output(formatData(json, tmpl, c));
      } catch (e) {
        ctx.ui.error(errorText(e));
        return 1;
      }
      return 0;
    }
    ctx.ui.output(
      [
        `CleanupDeadServers = ${c.CleanupDeadServers}`,
        `LastContactThreshold = ${goDuration(c.LastContactThreshold)}`,
        `MaxTrailingLogs = ${c.MaxTrailingLogs}`,
        `MinQuorum = ${c.MinQuorum}`,
        `ServerStabilizationTime = ${goDuration(c.ServerStabilizationTime)}`,
        `EnableRedundancyZones = ${c.EnableRedundancyZones}`,
        `DisableUpgradeMigration = ${c.DisableUpgradeMigration}`,
        `EnableCustomUpgrades = ${c.EnableCustomUpgrades}`,
      ].join('\n'),
    );
    return 0;
  },
});

/** A duration flag (helper/flags DurationValue): Go's time.ParseDuration, canonical string out. */
function durationFlag(ctx: RunContext, name: string): { value?: string; error?: string } {
  const v = ctx.flags[name];
  if (typeof v !== 'string') return {};
  try {
    return { value: formatDurationNs(parseDurationNs(v)) };
  } catch (e) {
    return { error: `invalid value ${JSON.stringify(v)} for flag -${name}: time: ${errorText(e)}` };
  }
}

const setConfig = command({
  name: 'operator autopilot set-config',
  synopsis: 'Modify the current Autopilot configuration',
  flags: {
    'cleanup-dead-servers': 'bool',
    'max-trailing-logs': 'uint',
    'min-quorum': 'uint',
    'last-contact-threshold': 'string',
    'server-stabilization-time': 'string',
    'enable-redundancy-zones': 'bool',
    'disable-upgrade-migration': 'bool',
    'enable-custom-upgrades': 'bool',
  },
  parseErrorPrefix: 'Failed to parse args: ',
  help: `Usage: opraft operator autopilot set-config [options]

  Modifies the current Autopilot configuration. Only the flags given change;
  the rest keep the values the cluster has.

  If ACLs are enabled, this command requires a token with the 'operator:write'
  capability.

General Options:

${generalOptionsUsage()}

Set Config Options:

  -cleanup-dead-servers=[true|false]
    Controls whether Nomad will automatically remove dead servers when
    new ones are successfully added. Must be one of [true|false].

  -last-contact-threshold=200ms
    Controls the maximum amount of time a server can go without contact
    from the leader before being considered unhealthy. Must be a
    duration value such as "200ms".

  -max-trailing-logs=<value>
    Controls the maximum number of log entries that a server can trail
    the leader by before being considered unhealthy.

  -min-quorum=<value>
    Controls the minimum number of servers required in a cluster
    before autopilot can prune dead servers.

  -server-stabilization-time=<10s>
    Controls the minimum amount of time a server must be stable in
    the 'healthy' state before being added to the cluster. Only takes
    effect if all servers are running Raft protocol version 3 or
    higher. Must be a duration value such as "10s".

  -enable-redundancy-zones=[true|false]
  -disable-upgrade-migration=[true|false]
  -enable-custom-upgrades=[true|false]
    Nomad Enterprise settings; opraft stores them and acts on none.`,
  async run(ctx) {
    const lct = durationFlag(ctx, 'last-contact-threshold');
    const sst = durationFlag(ctx, 'server-stabilization-time');
    for (const d of [lct, sst]) {
      if (d.error) {
        ctx.ui.error(d.error);
        ctx.ui.output(ctx.help);
        ctx.ui.error(`Failed to parse args: ${d.error}`);
        return 1;
      }
    }
    let c: AutopilotConfiguration;
    try {
      c = (await ctx.client().get<AutopilotConfiguration>('/v1/operator/autopilot/configuration')).body;
    } catch (e) {
      ctx.ui.error(`Error querying for Autopilot configuration: ${errorText(e)}`);
      return 1;
    }
    const next: AutopilotConfiguration = { ...c };
    const b = (k: 'CleanupDeadServers' | 'EnableRedundancyZones' | 'DisableUpgradeMigration' | 'EnableCustomUpgrades', flag: string) => {
      const v = flagBool(ctx, flag);
      if (v !== undefined) next[k] = v;
    };
    b('CleanupDeadServers', 'cleanup-dead-servers');
    b('EnableRedundancyZones', 'enable-redundancy-zones');
    b('DisableUpgradeMigration', 'disable-upgrade-migration');
    b('EnableCustomUpgrades', 'enable-custom-upgrades');
    const u = (k: 'MaxTrailingLogs' | 'MinQuorum', flag: string) => {
      const v = ctx.flags[flag];
      if (typeof v === 'string') next[k] = Number(parseGoUint(v));
    };
    u('MaxTrailingLogs', 'max-trailing-logs');
    u('MinQuorum', 'min-quorum');
    if (lct.value !== undefined) next.LastContactThreshold = lct.value;
    if (sst.value !== undefined) next.ServerStabilizationTime = sst.value;
    let updated: boolean;
    try {
      updated = (await ctx.client().put<boolean>('/v1/operator/autopilot/configuration', next, { query: [['cas', String(c.ModifyIndex)]] })).body === true;
    } catch (e) {
      ctx.ui.error(`Error setting Autopilot configuration: ${errorText(e)}`);
      return 1;
    }
    if (updated) {
      ctx.ui.output('Configuration updated!');
      return 0;
    }
    ctx.ui.output('Configuration could not be atomically updated, please try again');
    return 1;
  },
});

function renderServerIdList(ids: readonly string[]): string {
  return formatList(ids.map((id) => `\t${id}`));
}

function formatServerHealth(servers: readonly ServerHealth[]): string {
  const rows = ['ID|Name|Address|SerfStatus|Version|Leader|Voter|Healthy|LastContact|LastTerm|LastIndex|StableSince'];
  for (const p of servers) {
    rows.push(
      [p.ID, p.Name, p.Address, p.SerfStatus, p.Version, p.Leader, p.Voter, p.Healthy, goDuration(p.LastContact), p.LastTerm, p.LastIndex, goTimeString(p.StableSince)].join('|'),
    );
  }
  return formatList(rows);
}

/** Nomad's formatAutopilotState (contract §7.7), byte for byte. */
export function formatAutopilotState(s: OperatorHealthReply): string {
  let out = `Healthy: ${s.Healthy}\n`;
  out += `FailureTolerance: ${s.FailureTolerance}\n`;
  out += `Leader: ${s.Leader}\n`;
  out += `Voters:  \n\t${renderServerIdList(s.Voters ?? [])}\n`;
  out += `Servers: \n${formatServerHealth(s.Servers ?? [])}\n`;
  if (s.ReadReplicas && s.ReadReplicas.length > 0) out += `\nReadReplicas:${formatList(s.ReadReplicas)}`;
  return out;
}

const health = command({
  name: 'operator autopilot health',
  synopsis: 'Display the current Autopilot health',
  flags: { json: 'bool' },
  parseErrorPrefix: 'Failed to parse args: ',
  help: `Usage: opraft operator autopilot health [options]

  Displays the current Autopilot state. When the cluster is unhealthy (the API
  answers 429) the state is printed all the same and the command exits 1.

  If ACLs are enabled, this command requires a token with the 'operator:read'
  capability.

General Options:

${generalOptionsUsage()}

Output Options:

  -json
    Output the autopilot health in JSON format.`,
  async run(ctx) {
    let reply: OperatorHealthReply;
    let code = 0;
    try {
      reply = (await ctx.client().get<OperatorHealthReply>('/v1/operator/autopilot/health')).body;
    } catch (e) {
      // Part A §21: an unhealthy cluster (429) still shows its state, then exits 1.
      let decoded: OperatorHealthReply | undefined;
      if (e instanceof ApiError && e.status === 429) {
        try {
          decoded = JSON.parse(e.body) as OperatorHealthReply;
        } catch {
          decoded = undefined;
        }
      }
      if (!decoded) {
        ctx.ui.error(`Error querying Autopilot configuration: ${errorText(e)}`);
        return 1;
      }
      reply = decoded;
      code = 1;
    }
    if (flagBool(ctx, 'json') === true) ctx.ui.output(JSON.stringify(reply));
    else ctx.ui.output(formatAutopilotState(reply));
    return code;
  },
});

export const operatorAutopilotGroup = group({
  name: 'operator autopilot',
  synopsis: 'Provides tools for modifying Autopilot configuration',
  help: `Usage: opraft operator autopilot <subcommand> [options]

  This command groups subcommands for interacting with the Autopilot
  subsystem. Autopilot provides automatic, operator-friendly management of
  servers. The command can be used to view or modify the current Autopilot
  configuration.

  Get the current Autopilot configuration:

      $ opraft operator autopilot get-config

  Set a new Autopilot configuration, enabling automatic dead server cleanup:

      $ opraft operator autopilot set-config -cleanup-dead-servers=true

  Display the current Autopilot health:

      $ opraft operator autopilot health

  Please see the individual subcommand help for detailed usage information.`,
  children: { 'get-config': getConfig, 'set-config': setConfig, health },
});
