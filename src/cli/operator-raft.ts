// opraft operator raft list-peers | remove-peer | transfer-leadership (contract §7.2–§7.4, Part A §15).
import { errorText } from './api-client.ts';
import { simpleFormat } from './columnize.ts';
import { command, flagBool, flagString, generalOptionsUsage, group } from './meta.ts';

interface RaftServer {
  ID: string;
  Node: string;
  Address: string;
  Leader: boolean;
  Voter: boolean;
  RaftProtocol: string;
}

const listPeers = command({
  name: 'operator raft list-peers',
  synopsis: 'Display the current Raft peer configuration',
  flags: { stale: 'bool' },
  parseErrorPrefix: 'Failed to parse args: ',
  help: `Usage: opraft operator raft list-peers [options]

  Displays the current Raft peer configuration.

  If ACLs are enabled, this command requires a management token.

General Options:

${generalOptionsUsage()}

List Peers Options:

  -stale=[true|false]
    The -stale argument defaults to "false" which means the leader provides
    the result. If the cluster is in an outage state without a leader, you may
    need to set -stale to "true" to get the configuration from a non-leader
    server.`,
  async run(ctx) {
    let reply: { Servers: RaftServer[] | null; Index: number };
    try {
      reply = (await ctx.client().get<{ Servers: RaftServer[] | null; Index: number }>('/v1/operator/raft/configuration', { stale: flagBool(ctx, 'stale') === true })).body;
    } catch (e) {
      ctx.ui.error(`Failed to retrieve raft configuration: ${errorText(e)}`);
      return 1;
    }
    const servers = [...(reply?.Servers ?? [])].sort((a, b) => (a.Node < b.Node ? -1 : a.Node > b.Node ? 1 : 0));
    const rows = ['Node|ID|Address|State|Voter|RaftProtocol'];
    for (const s of servers) rows.push(`${s.Node}|${s.ID}|${s.Address}|${s.Leader ? 'leader' : 'follower'}|${s.Voter}|${s.RaftProtocol}`);
    ctx.ui.output(simpleFormat(rows));
    return 0;
  },
});

const removePeer = command({
  name: 'operator raft remove-peer',
  synopsis: 'Remove a server from the Raft configuration',
  flags: { 'peer-id': 'string', 'peer-address': 'string' },
  parseErrorPrefix: 'Failed to parse args: ',
  help: `Usage: opraft operator raft remove-peer [options]

  Remove the server with given -peer-id or -peer-address from the Raft
  configuration.

  There are rare cases where a peer may be left behind in the Raft quorum even
  though the server is no longer present and known to the cluster. This command
  can be used to remove the failed server so that it is no longer affects the
  Raft quorum. If the server still shows in the output of the "opraft server
  members" command, it is preferable to clean up by simply running "opraft
  server force-leave" instead of this command.

  If ACLs are enabled, this command requires a management token.

General Options:

${generalOptionsUsage()}

Remove Peer Options:

  -peer-id="id"
    Remove a server with the given ID from the Raft configuration.

  -peer-address="IP:port"
    Remove a server with the given address from the Raft configuration.`,
  async run(ctx) {
    const id = flagString(ctx, 'peer-id');
    const address = flagString(ctx, 'peer-address');
    if (id === '' && address === '') {
      ctx.ui.error('Missing peer id required');
      return 1;
    }
    if (id !== '' && address !== '') {
      ctx.ui.error('Error removing peer: cannot give both an address and id');
      return 1;
    }
    try {
      await ctx.client().text('DELETE', '/v1/operator/raft/peer', { query: id !== '' ? [['id', id]] : [['address', address]] });
    } catch (e) {
      ctx.ui.error(`Error removing peer: ${errorText(e)}`);
      return 1;
    }
    ctx.ui.output(id !== '' ? `Removed peer with id ${JSON.stringify(id)}` : `Removed peer with address ${JSON.stringify(address)}`);
    return 0;
  },
});

const transferLeadership = command({
  name: 'operator raft transfer-leadership',
  synopsis: 'Transfer leadership to a specified Raft peer',
  flags: { 'peer-id': 'string', 'peer-address': 'string' },
  parseErrorPrefix: 'Failed to parse args: ',
  help: `Usage: opraft operator raft transfer-leadership [options]

  Transfer leadership to the server with the given -peer-address or -peer-id
  in the Raft configuration. All server nodes in the cluster must be running
  at least Raft protocol v3 in order to use this command.

  There are cases where you might desire transferring leadership from one
  cluster member to another, for example, during a rolling upgrade. This
  command allows you to designate a new server to be cluster leader.

  Note: This command requires a currently established leader to function.

  If ACLs are enabled, this command requires a management token.

General Options:

${generalOptionsUsage()}

Transfer Leadership Options:

  -peer-address="IP:port"
    Transfer leadership to the server with the given Raft address.

  -peer-id="id"
    Transfer leadership to the server with the given Raft ID.`,
  async run(ctx) {
    const id = flagString(ctx, 'peer-id');
    const address = flagString(ctx, 'peer-address');
    if (id === '' && address === '') {
      ctx.ui.error('Error transferring leadership to peer: an address or id is required for the destination peer');
      return 1;
    }
    if (id !== '' && address !== '') {
      ctx.ui.error('Error transferring leadership to peer: cannot give both an address and id');
      return 1;
    }
    try {
      await ctx.client().text('PUT', '/v1/operator/raft/transfer-leadership', { query: id !== '' ? [['id', id]] : [['address', address]] });
    } catch (e) {
      ctx.ui.error(`Error transferring leadership to peer: ${errorText(e)}`);
      return 1;
    }
    ctx.ui.output(address !== '' ? `Transferred leadership to peer with address ${JSON.stringify(address)}` : `Transferred leadership to peer with id ${JSON.stringify(id)}`);
    return 0;
  },
});

export const operatorRaftGroup = group({
  name: 'operator raft',
  synopsis: 'Provides access to the Raft subsystem',
  help: `Usage: opraft operator raft <subcommand> [options]

  This command groups subcommands for interacting with the cluster's Raft
  subsystem. The command can be used to verify Raft peers or in rare cases to
  recover quorum by removing invalid peers.

  List Raft peers:

      $ opraft operator raft list-peers

  Remove a Raft peer:

      $ opraft operator raft remove-peer -peer-id=<id>

  Transfer leadership to a peer:

      $ opraft operator raft transfer-leadership -peer-id=<id>

  Please see the individual subcommand help for detailed usage information.`,
  children: { 'list-peers': listPeers, 'remove-peer': removePeer, 'transfer-leadership': transferLeadership },
});
