// opraft operator scheduler get-config | set-config (contract §7.8, §7.9).
import { errorText } from './api-client.ts';
import { formatKV } from './columnize.ts';
import { parseGoUint } from './flags.ts';
import { formatData } from './format.ts';
import { command, flagBool, flagString, generalOptionsUsage, group } from './meta.ts';

interface SchedulerConfiguration {
  SchedulerAlgorithm: string;
  PreemptionConfig: { SystemSchedulerEnabled: boolean; SysBatchSchedulerEnabled: boolean; BatchSchedulerEnabled: boolean; ServiceSchedulerEnabled: boolean };
  MemoryOversubscriptionEnabled: boolean;
  RejectJobRegistration: boolean;
  PauseEvalBroker: boolean;
  NodeLimitForFeasibilityChecks?: number;
  CreateIndex: number;
  ModifyIndex: number;
}

interface SchedulerConfigurationResponse {
  SchedulerConfig: SchedulerConfiguration;
  Index: number;
  LastContact: number;
  KnownLeader: boolean;
  NextToken: string;
}

const getConfig = command({
  name: 'operator scheduler get-config',
  synopsis: 'Display the current scheduler configuration',
  flags: { json: 'bool', t: 'string' },
  help: `Usage: opraft operator scheduler get-config [options]

  Displays the current scheduler configuration.

  If ACLs are enabled, this command requires a token with the 'operator:read'
  capability.

General Options:

${generalOptionsUsage()}

Scheduler Get Config Options:

  -json
    Output the scheduler config in its JSON format.

  -t
    Format and display the scheduler config using a Go template (field
    actions such as {{.SchedulerConfig.SchedulerAlgorithm}} only).`,
  async run(ctx) {
    let resp: SchedulerConfigurationResponse;
    try {
      resp = (await ctx.client().get<SchedulerConfigurationResponse>('/v1/operator/scheduler/configuration')).body;
    } catch (e) {
      ctx.ui.error(`Error querying scheduler configuration: ${errorText(e)}`);
      return 1;
    }
    const json = flagBool(ctx, 'json') === true;
    const tmpl = flagString(ctx, 't');
    if (json || tmpl !== '') {
      try {
        ctx.ui.output(formatData(json, tmpl, resp));
      } catch (e) {
        ctx.ui.error(errorText(e));
        return 1;
      }
      return 0;
    }
    const c = resp.SchedulerConfig;
    ctx.ui.output(
      formatKV([
        `Scheduler Algorithm|${c.SchedulerAlgorithm}`,
        `Memory Oversubscription|${c.MemoryOversubscriptionEnabled}`,
        `Reject Job Registration|${c.RejectJobRegistration}`,
        `Pause Eval Broker|${c.PauseEvalBroker}`,
        `Preemption System Scheduler|${c.PreemptionConfig.SystemSchedulerEnabled}`,
        `Preemption Service Scheduler|${c.PreemptionConfig.ServiceSchedulerEnabled}`,
        `Preemption Batch Scheduler|${c.PreemptionConfig.BatchSchedulerEnabled}`,
        `Preemption SysBatch Scheduler|${c.PreemptionConfig.SysBatchSchedulerEnabled}`,
        `Node Limit For Feasibility Checks|${c.NodeLimitForFeasibilityChecks ?? 0}`,
        `Modify Index|${c.ModifyIndex}`,
      ]),
    );
    return 0;
  },
});

const setConfig = command({
  name: 'operator scheduler set-config',
  synopsis: 'Modify the current scheduler configuration',
  flags: {
    'check-index': 'string',
    'scheduler-algorithm': 'string',
    'memory-oversubscription': 'bool',
    'reject-job-registration': 'bool',
    'pause-eval-broker': 'bool',
    'preempt-batch-scheduler': 'bool',
    'preempt-service-scheduler': 'bool',
    'preempt-sysbatch-scheduler': 'bool',
    'preempt-system-scheduler': 'bool',
    'node-limit-for-feasibility-checks': 'uint',
  },
  help: `Usage: opraft operator scheduler set-config [options]

  Modifies the current scheduler configuration. Only the flags given change;
  the rest keep the values the cluster has. The write is always a
  check-and-set against the configuration just read.

  If ACLs are enabled, this command requires a token with the 'operator:write'
  capability.

General Options:

${generalOptionsUsage()}

Scheduler Set Config Options:

  -check-index
    If set, the scheduler config is only updated if the passed modify index
    matches the current server side version. If a non-zero value is passed, it
    ensures that the scheduler config is being updated from a known state.

  -scheduler-algorithm=["binpack"|"spread"]
    Specifies whether scheduler binpacks or spreads allocations on available
    nodes.

  -memory-oversubscription=[true|false]
    When true, tasks may exceed their reserved memory limit, if the client has
    excess memory capacity. Tasks must specify memory_max to take advantage of
    memory oversubscription.

  -reject-job-registration=[true|false]
    When true, the server will return permission denied errors for job registration,
    job dispatch, and job scale APIs, unless the ACL token for the request is a
    management token. If ACLs are disabled, no user will be able to register jobs.
    This allows operators to shed load from automated processes during incident
    response.

  -pause-eval-broker=[true|false]
    When set to true, the eval broker which usually runs on the leader will be
    disabled. This will prevent the scheduler workers from receiving new work.

  -preempt-batch-scheduler=[true|false]
    Specifies whether preemption for batch jobs is enabled. Note that if this
    is set to true, then batch jobs can preempt any other jobs.

  -preempt-service-scheduler=[true|false]
    Specifies whether preemption for service jobs is enabled. Note that if this
    is set to true, then service jobs can preempt any other jobs.

  -preempt-sysbatch-scheduler=[true|false]
    Specifies whether preemption for system batch jobs is enabled. Note that if
    this is set to true, then system batch jobs can preempt any other jobs.

  -preempt-system-scheduler=[true|false]
    Specifies whether preemption for system jobs is enabled. Note that if this
    is set to true, then system jobs can preempt any other jobs.

  -node-limit-for-feasibility-checks=<n>
    The number of feasible nodes the scheduler checks; 0 means the default (100).`,
  async run(ctx) {
    if (ctx.args.length !== 0) {
      ctx.ui.error('This command takes no arguments');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const checkIndexText = flagString(ctx, 'check-index');
    let checkIndex = 0n;
    if (checkIndexText !== '') {
      if (!/^\d+$/.test(checkIndexText) || BigInt(checkIndexText) >= 1n << 64n) {
        const why = /^\d+$/.test(checkIndexText) ? 'value out of range' : 'invalid syntax';
        ctx.ui.error(`Error parsing check-index value ${JSON.stringify(checkIndexText)}: strconv.ParseUint: parsing ${JSON.stringify(checkIndexText)}: ${why}`);
        return 1;
      }
      checkIndex = BigInt(checkIndexText);
    }
    let resp: SchedulerConfigurationResponse;
    try {
      resp = (await ctx.client().get<SchedulerConfigurationResponse>('/v1/operator/scheduler/configuration')).body;
    } catch (e) {
      ctx.ui.error(`Error querying for scheduler configuration: ${errorText(e)}`);
      return 1;
    }
    const current = resp.SchedulerConfig;
    if (checkIndex > 0n && checkIndex !== BigInt(current.ModifyIndex)) {
      ctx.ui.error(`Error performing check index set: check-index ${checkIndex} does not match does not match current state value ${current.ModifyIndex}`);
      return 1;
    }
    const next: SchedulerConfiguration = { ...current, PreemptionConfig: { ...current.PreemptionConfig } };
    const algorithm = ctx.flags['scheduler-algorithm'];
    if (typeof algorithm === 'string') next.SchedulerAlgorithm = algorithm;
    const set = (flag: string, apply: (v: boolean) => void) => {
      const v = flagBool(ctx, flag);
      if (v !== undefined) apply(v);
    };
    set('memory-oversubscription', (v) => (next.MemoryOversubscriptionEnabled = v));
    set('reject-job-registration', (v) => (next.RejectJobRegistration = v));
    set('pause-eval-broker', (v) => (next.PauseEvalBroker = v));
    set('preempt-batch-scheduler', (v) => (next.PreemptionConfig.BatchSchedulerEnabled = v));
    set('preempt-service-scheduler', (v) => (next.PreemptionConfig.ServiceSchedulerEnabled = v));
    set('preempt-sysbatch-scheduler', (v) => (next.PreemptionConfig.SysBatchSchedulerEnabled = v));
    set('preempt-system-scheduler', (v) => (next.PreemptionConfig.SystemSchedulerEnabled = v));
    const limit = ctx.flags['node-limit-for-feasibility-checks'];
    if (typeof limit === 'string') next.NodeLimitForFeasibilityChecks = Number(parseGoUint(limit));
    let updated: boolean;
    try {
      const r = await ctx.client().put<{ Updated: boolean; Index: number }>('/v1/operator/scheduler/configuration', next, { query: [['cas', String(current.ModifyIndex)]] });
      updated = r.body?.Updated === true;
    } catch (e) {
      ctx.ui.error(`Error setting scheduler configuration: ${errorText(e)}`);
      return 1;
    }
    if (updated) {
      ctx.ui.output('Scheduler configuration updated!');
      return 0;
    }
    ctx.ui.output('Scheduler configuration could not be atomically updated, please try again');
    return 1;
  },
});

export const operatorSchedulerGroup = group({
  name: 'operator scheduler',
  synopsis: 'Provides access to the scheduler configuration',
  help: `Usage: opraft operator scheduler <subcommand> [options]

  This command groups subcommands for interacting with the scheduler
  configuration.

  Get the scheduler configuration:

      $ opraft operator scheduler get-config

  Set the scheduler to spread allocations:

      $ opraft operator scheduler set-config -scheduler-algorithm=spread

  Please see the individual subcommand help for detailed usage information.`,
  children: { 'get-config': getConfig, 'set-config': setConfig },
});
