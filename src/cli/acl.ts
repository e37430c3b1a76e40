// opraft acl bootstrap | policy apply | token create | token self (contract §6.3, §6.4; Nomad's
// `nomad acl ...` output).
import { readFile } from 'node:fs/promises';
import { formatDurationNs, parseDurationNs } from '../config/duration.ts';
import { errorText } from './api-client.ts';
import { formatKV, formatList } from './columnize.ts';
import { formatData, goTimeString } from './format.ts';
import { readAll } from './io.ts';
import { command, flagBool, flagList, flagString, generalOptionsUsage, goFsError, group, type RunContext } from './meta.ts';

export interface AclToken {
  ExpirationTTL?: string;
  AccessorID: string;
  SecretID: string;
  Name: string;
  Type: string;
  Policies: string[] | null;
  Roles: { ID: string; Name: string }[] | null;
  Global: boolean;
  CreateTime: string;
  ExpirationTime?: string | null;
  CreateIndex: number;
  ModifyIndex: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Nomad's outputACLToken. */
export function outputAclToken(ctx: RunContext, t: AclToken): void {
  const kv = [
    `Accessor ID|${t.AccessorID}`,
    `Secret ID|${t.SecretID}`,
    `Name|${t.Name}`,
    `Type|${t.Type}`,
    `Global|${t.Global}`,
    `Create Time|${goTimeString(t.CreateTime)}`,
    `Expiry Time |${t.ExpirationTime && !t.ExpirationTime.startsWith('0001-01-01') ? goTimeString(t.ExpirationTime) : '<none>'}`,
    `Create Index|${t.CreateIndex}`,
    `Modify Index|${t.ModifyIndex}`,
  ];
  if (t.Type === 'management') {
    kv.push('Policies|n/a', 'Roles|n/a');
    ctx.ui.output(formatKV(kv));
    return;
  }
  kv.push(`Policies|[${(t.Policies ?? []).join(' ')}]`);
  const roles = t.Roles && t.Roles.length > 0 ? ['ID|Name', ...t.Roles.map((r) => `${r.ID}|${r.Name}`)] : ['<none>'];
  ctx.ui.output(formatKV(kv));
  ctx.ui.output('');
  ctx.ui.output(`Roles\n${formatList(roles)}`);
}

function printToken(ctx: RunContext, token: AclToken): number {
  const json = flagBool(ctx, 'json') === true;
  const tmpl = flagString(ctx, 't');
  if (json || tmpl !== '') {
    try {
      ctx.ui.output(formatData(json, tmpl, token));
    } catch (e) {
      ctx.ui.error(errorText(e));
      return 1;
    }
    return 0;
  }
  outputAclToken(ctx, token);
  return 0;
}

const bootstrap = command({
  name: 'acl bootstrap',
  synopsis: 'Bootstrap the ACL system for initial token',
  flags: { json: 'bool', t: 'string' },
  help: `Usage: opraft acl bootstrap [options] [<path>]

  Bootstrap is used to bootstrap the ACL system and get an initial token.

  The acl bootstrap command can be used in two ways:

   - If you provide no arguments it will return a system generated bootstrap
     token.

   - If you would like to provide an operator generated token it is possible to
     provide the token using a file located at <path>. The Token can be read
     from stdin by setting <path> to "-". Please make sure you secure this token
     in an appropriate manner as it could be written to your terminal history.

  To bootstrap again, write the reset index from the error into
  <data_dir>/server/acl-bootstrap-reset on the leader.

General Options:

${generalOptionsUsage()}

Bootstrap Options:

  -json
    Output the bootstrap response in JSON format.

  -t
    Format and display the bootstrap response using a Go template.`,
  async run(ctx) {
    if (ctx.args.length > 1) {
      ctx.ui.error('This command takes up to one argument');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    let secret = '';
    if (ctx.args.length === 1 && ctx.args[0] !== '') {
      const file = ctx.args[0]!;
      try {
        secret = file === '-' ? (await readAll(ctx.io.stdin)).toString('utf8') : await readFile(ctx.path(file), 'utf8');
      } catch (e) {
        ctx.ui.error(`Error reading provided token: ${file === '-' ? errorText(e) : goFsError(e, file)}`);
        return 1;
      }
      secret = secret.replace(/\n$/, '');
    }
    let token: AclToken;
    try {
      token = (await ctx.client().put<AclToken>('/v1/acl/bootstrap', secret !== '' ? { BootstrapSecret: secret } : undefined)).body;
    } catch (e) {
      ctx.ui.error(`Error bootstrapping: ${errorText(e)}`);
      return 1;
    }
    return printToken(ctx, token);
  },
});

const policyApply = command({
  name: 'acl policy apply',
  synopsis: 'Create or update an ACL policy',
  flags: { description: 'string' },
  help: `Usage: opraft acl policy apply [options] <name> <path>

  Apply is used to create or update an ACL policy. The policy is
  sourced from <path> or from stdin if path is "-". Policies are HCL or JSON.

  This command requires a management ACL token.

General Options:

${generalOptionsUsage()}

Apply Options:

  -description
    Specifies a human readable description for the policy.`,
  async run(ctx) {
    if (ctx.args.length !== 2) {
      ctx.ui.error(ctx.help);
      return 1;
    }
    const [name, file] = ctx.args as [string, string];
    let rules: string;
    if (file === '-') {
      try {
        rules = (await readAll(ctx.io.stdin)).toString('utf8');
      } catch (e) {
        ctx.ui.error(`Failed to read stdin: ${errorText(e)}`);
        return 1;
      }
    } else {
      try {
        rules = await readFile(ctx.path(file), 'utf8');
      } catch (e) {
        ctx.ui.error(`Failed to read file: ${goFsError(e, file)}`);
        return 1;
      }
    }
    try {
      await ctx.client().text('PUT', `/v1/acl/policy/${encodeURIComponent(name)}`, { body: JSON.stringify({ Name: name, Description: flagString(ctx, 'description'), Rules: rules }) });
    } catch (e) {
      ctx.ui.error(`Error writing ACL policy: ${errorText(e)}`);
      return 1;
    }
    ctx.ui.output(`Successfully wrote ${JSON.stringify(name)} ACL policy!`);
    return 0;
  },
});

const tokenCreate = command({
  name: 'acl token create',
  synopsis: 'Create a new ACL token',
  flags: { name: 'string', type: 'string', global: 'bool', policy: 'multi', 'role-id': 'multi', 'role-name': 'multi', ttl: 'string', json: 'bool', t: 'string' },
  help: `Usage: opraft acl token create [options]

  Create is used to issue new ACL tokens. Requires a management token.

General Options:

${generalOptionsUsage()}

Create Options:

  -name=""
    Sets the human readable name for the ACL token.

  -type="client"
    Sets the type of token. Must be one of "client" (default), or "management".

  -global=false
    Toggles the global mode of the token. Global tokens are replicated to all regions.

  -policy=""
    Specifies a policy to associate with the token. Can be specified multiple times,
    but only with client type tokens.

  -role-id
     ID of a role to use for this token. May be specified multiple times.

  -role-name
     Name of a role to use for this token. May be specified multiple times.

  -ttl
    Specifies the time-to-live of the created ACL token. This takes the form of
    a time duration such as "5m" and "1h". By default, tokens will be created
    without a TTL and therefore never expire.

  -json
    Output the ACL token information in JSON format.

  -t
    Format and display the ACL token information using a Go template.`,
  async run(ctx) {
    if (ctx.args.length !== 0) {
      ctx.ui.error('This command takes no arguments');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const body: Record<string, unknown> = {
      Name: flagString(ctx, 'name'),
      Type: flagString(ctx, 'type', 'client'),
      Policies: flagList(ctx, 'policy'),
      Global: flagBool(ctx, 'global') === true,
    };
    const roles: Record<string, string>[] = [...[...new Set(flagList(ctx, 'role-name'))].map((n) => ({ Name: n })), ...[...new Set(flagList(ctx, 'role-id'))].map((id) => ({ ID: id }))];
    if (roles.length > 0) body['Roles'] = roles;
    const ttl = flagString(ctx, 'ttl');
    if (ttl !== '') {
      try {
        body['ExpirationTTL'] = formatDurationNs(parseDurationNs(ttl));
      } catch (e) {
        ctx.ui.error(`Failed to parse TTL as time duration: time: ${errorText(e)}`);
        return 1;
      }
    }
    let token: AclToken;
    try {
      token = (await ctx.client().put<AclToken>('/v1/acl/token', body)).body;
    } catch (e) {
      ctx.ui.error(`Error creating token: ${errorText(e)}`);
      return 1;
    }
    return printToken(ctx, token);
  },
});

const tokenSelf = command({
  name: 'acl token self',
  synopsis: 'Lookup self ACL token',
  flags: { json: 'bool', t: 'string' },
  help: `Usage: opraft acl token self

  Self is used to fetch information about the currently set ACL token.

General Options:

${generalOptionsUsage()}

Self Options:

  -json
    Output the ACL token information in JSON format.

  -t
    Format and display the ACL token information using a Go template.`,
  async run(ctx) {
    if (ctx.args.length !== 0) {
      ctx.ui.error('This command takes no arguments');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    if (ctx.token === '') {
      ctx.ui.error('No token present in the environment or set via the CLI flag');
      return 1;
    }
    if (UUID.test(ctx.token)) {
      let token: AclToken;
      try {
        token = (await ctx.client().get<AclToken>('/v1/acl/token/self')).body;
      } catch (e) {
        ctx.ui.error(`Error fetching self token: ${errorText(e)}`);
        return 1;
      }
      return printToken(ctx, token);
    }
    try {
      const { body } = await ctx.client().get<unknown[] | null>('/v1/acl/policy/self');
      if (Array.isArray(body) && body.length > 0) {
        ctx.ui.info('No ACL token found but there are ACL policies attached to this workload identity. You can query them with acl policy self command.');
        return 0;
      }
    } catch {
      // as Nomad: fall through to the error below
    }
    ctx.ui.error('No ACL tokens, nor ACL policies attached to a workload identity found.');
    return 1;
  },
});

const policyGroup = group({
  name: 'acl policy',
  synopsis: 'Interact with ACL policies',
  help: `Usage: opraft acl policy <subcommand> [options] [args]

  This command groups subcommands for interacting with ACL policies.

  Create an ACL policy:

      $ opraft acl policy apply <name> <policy-file>

  Please see the individual subcommand help for detailed usage information.`,
  children: { apply: policyApply },
});

const tokenGroup = group({
  name: 'acl token',
  synopsis: 'Interact with ACL tokens',
  help: `Usage: opraft acl token <subcommand> [options] [args]

  This command groups subcommands for interacting with ACL tokens.

  Create an ACL token:

      $ opraft acl token create -name "my-token" -policy foo -policy bar

  Lookup the token in use:

      $ opraft acl token self

  Please see the individual subcommand help for detailed usage information.`,
  children: { create: tokenCreate, self: tokenSelf },
});

export const aclGroup = group({
  name: 'acl',
  synopsis: 'Interact with ACL policies and tokens',
  help: `Usage: opraft acl <subcommand> [options] [args]

  This command groups subcommands for interacting with ACL policies and tokens.
  Users can bootstrap the ACL system, create policies that restrict access,
  and generate tokens from those policies.

  Bootstrap ACLs:

      $ opraft acl bootstrap

  Please see the individual subcommand help for detailed usage information.`,
  children: { bootstrap, policy: policyGroup, token: tokenGroup },
});
