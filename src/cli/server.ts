// opraft server members | join | force-leave (Nomad's `nomad server ...`).
import { errorText } from './api-client.ts';
import { simpleFormat } from './columnize.ts';
import { formatData } from './format.ts';
import { command, flagBool, flagString, generalOptionsUsage, group, type RunContext } from './meta.ts';

interface AgentMember {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  Status: string;
  ProtocolCur: number;
}

const joinHostPort = (host: string, port: string) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** The leader's Raft address per region (regions whose members all left are skipped), as Nomad's regionLeaders. */
async function regionLeaders(ctx: RunContext, members: readonly AgentMember[]): Promise<{ leaders: Map<string, string>; errors: string[] }> {
  const regions = [...new Set(members.filter((m) => m.Status !== 'left').map((m) => m.Tags['region'] ?? ''))].sort();
  const leaders = new Map<string, string>();
  const errors: string[] = [];
  for (const region of regions) {
    try {
      const { body } = await ctx.client().get<string>('/v1/status/leader', { noRegion: true, query: [['region', region]] });
      leaders.set(region, body ?? '');
    } catch (e) {
      errors.push(`Region ${JSON.stringify(region)}: ${errorText(e)}`);
    }
  }
  return { leaders, errors };
}

const isLeader = (m: AgentMember, leaders: Map<string, string>) => {
  const l = leaders.get(m.Tags['region'] ?? '');
  return l !== undefined && l === joinHostPort(m.Addr, m.Tags['port'] ?? '');
};

/** go-multierror's text. */
function multiError(errors: readonly string[]): string {
  const points = errors.map((e) => `\t* ${e}`).join('\n');
  return `${errors.length} error${errors.length === 1 ? '' : 's'} occurred:\n${points}\n\n`;
}

const members = command({
  name: 'server members',
  synopsis: 'Display a list of known servers and their status',
  flags: { detailed: 'bool', verbose: 'bool', json: 'bool', t: 'string' },
  help: `Usage: opraft server members [options]

  Display a list of the known servers and their status. Only servers are
  able to service this command.

  If ACLs are enabled, this option requires a token with the 'node:read'
  capability.

General Options:

${generalOptionsUsage()}

Server Members Options:

  -verbose
    Show detailed information about each member. This dumps a raw set of tags
    which shows more information than the default output format.

  -json
    Output the latest information about each member in a JSON format.

  -t
    Format and display latest information about each member using a Go
    template (field actions only).`,
  async run(ctx) {
    if (ctx.args.length !== 0) {
      ctx.ui.error('This command takes no arguments');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const verbose = flagBool(ctx, 'verbose') === true || flagBool(ctx, 'detailed') === true;
    let list: AgentMember[];
    try {
      const { body } = await ctx.client().get<{ Members: AgentMember[] | null } | null>('/v1/agent/members');
      if (!body) {
        ctx.ui.error("Agent doesn't know about server members");
        return 0;
      }
      list = [...(body.Members ?? [])];
    } catch (e) {
      ctx.ui.error(`Error querying servers: ${errorText(e)}`);
      return 1;
    }
    list.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    const { leaders, errors } = await regionLeaders(ctx, list);
    const json = flagBool(ctx, 'json') === true;
    const tmpl = flagString(ctx, 't');
    if (json || tmpl !== '') {
      for (const m of list) m.Tags = { ...m.Tags, Leader: String(isLeader(m, leaders)) };
      try {
        ctx.ui.output(formatData(json, tmpl, list));
      } catch (e) {
        ctx.ui.error(errorText(e));
        return 1;
      }
      return 0;
    }
    const rows: string[] = [];
    if (verbose) {
      rows.push('Name|Address|Port|Status|Leader|Protocol|Raft Version|Build|Datacenter|Region|Tags');
      for (const m of list) {
        const tags = Object.keys(m.Tags).sort().map((k) => `${k}=${m.Tags[k]}`).join(',');
        rows.push([m.Name, m.Addr, m.Port, m.Status, isLeader(m, leaders), m.ProtocolCur, m.Tags['raft_vsn'] ?? '', m.Tags['build'] ?? '', m.Tags['dc'] ?? '', m.Tags['region'] ?? '', tags].join('|'));
      }
    } else {
      rows.push('Name|Address|Port|Status|Leader|Raft Version|Build|Datacenter|Region');
      for (const m of list) {
        rows.push([m.Name, m.Addr, m.Port, m.Status, isLeader(m, leaders), m.Tags['raft_vsn'] ?? '', m.Tags['build'] ?? '', m.Tags['dc'] ?? '', m.Tags['region'] ?? ''].join('|'));
      }
    }
    ctx.ui.output(simpleFormat(rows));
    if (errors.length > 0) {
      ctx.ui.output('');
      ctx.ui.warn(`Error determining leaders: ${multiError(errors)}`);
      return 1;
    }
    return 0;
  },
});

const join = command({
  name: 'server join',
  synopsis: 'Join server nodes together',
  flags: {},
  help: `Usage: opraft server join [options] <addr> [<addr>...]

  Joins the local server to one or more servers. Joining is only required for
  server nodes, and only needs to succeed against one or more of the provided
  addresses. Once joined, the membership layer will handle discovery of the
  other server nodes in the cluster. An address without a port means 4647.

General Options:

${generalOptionsUsage()}`,
  async run(ctx) {
    if (ctx.args.length < 1) {
      ctx.ui.error('One or more node addresses must be given as arguments');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    let n: number;
    try {
      const { body } = await ctx.client().put<{ num_joined: number; error: string }>('/v1/agent/join', undefined, { query: ctx.args.map((a) => ['address', a] as [string, string]) });
      if (body?.error) throw new Error(body.error);
      n = body?.num_joined ?? 0;
    } catch (e) {
      ctx.ui.error(`Error joining: ${errorText(e)}`);
      return 1;
    }
    ctx.ui.output(`Joined ${n} servers successfully`);
    return 0;
  },
});

const forceLeave = command({
  name: 'server force-leave',
  synopsis: "Force a server into the 'left' state",
  flags: { prune: 'bool' },
  help: `Usage: opraft server force-leave [options] <node>

  Forces an server to enter the "left" state. This can be used to
  eject nodes which have failed and will not rejoin the cluster.
  Note that if the member is actually still alive, it will
  eventually rejoin the cluster again.

  If ACLs are enabled, this option requires a token with the 'agent:write'
  capability.

General Options:

${generalOptionsUsage()}

Server Force-Leave Options:

  -prune
    Removes failed or left server from the member list immediately.
    If member is actually still alive, it will eventually rejoin the cluster again.`,
  async run(ctx) {
    if (ctx.args.length !== 1) {
      ctx.ui.error('This command takes one argument: <node>');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const node = ctx.args[0]!;
    const query: [string, string][] = [['node', node]];
    if (flagBool(ctx, 'prune') === true) query.push(['prune', 'true']);
    try {
      await ctx.client().text('PUT', '/v1/agent/force-leave', { query });
    } catch (e) {
      ctx.ui.error(`Error force-leaving server ${node}: ${errorText(e)}`);
      return 1;
    }
    return 0;
  },
});

export const serverGroup = group({
  name: 'server',
  synopsis: 'Interact with servers',
  help: `Usage: opraft server <subcommand> [options] [args]

  This command groups subcommands for interacting with servers. Users can
  list servers, join a server to the cluster, and force leave a server.

  List servers:

      $ opraft server members

  Join a new server to another:

      $ opraft server join "IP:port"

  Force a server to leave:

      $ opraft server force-leave <node>

  Please see the individual subcommand help for detailed usage information.`,
  children: { members, join, 'force-leave': forceLeave },
});
