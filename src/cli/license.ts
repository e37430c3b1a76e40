// opraft license get | put (Part A §14, contract §7.13): Nomad Enterprise's license commands.
import { readFile } from 'node:fs/promises';
import { errorText } from './api-client.ts';
import { formatKV } from './columnize.ts';
import { goTimeString } from './format.ts';
import { readAll } from './io.ts';
import { command, flagBool, generalOptionsUsage, goFsError, group, type RunContext } from './meta.ts';

interface License {
  LicenseID: string;
  CustomerID: string;
  InstallationID: string;
  IssueTime: string;
  StartTime: string;
  ExpirationTime: string;
  TerminationTime: string;
  NonProduction: boolean;
  Product: string;
  Modules: string[] | null;
  Features: string[] | null;
}

interface LicenseReply {
  License: License;
  ConfigOutdated: boolean;
}

/** Nomad's OutputLicenseReply: the formatKV block, the module and feature lists; 1 when expired. */
export function outputLicenseReply(ctx: RunContext, reply: LicenseReply, now = Date.now()): number {
  const lic = reply.License;
  const expired = Date.parse(lic.ExpirationTime) < now;
  const terminated = Date.parse(lic.TerminationTime) < now;
  ctx.ui.output(
    formatKV([
      `Product|${lic.Product}`,
      `NonProduction|${lic.NonProduction}`,
      `License Status|${expired ? 'expired!' : 'valid'}`,
      `License ID|${lic.LicenseID}`,
      `Customer ID|${lic.CustomerID}`,
      `Issued At|${goTimeString(lic.IssueTime)}`,
      `${expired ? 'Expired At' : 'Expires At'}|${goTimeString(lic.ExpirationTime)}`,
      `${terminated ? 'Terminated At' : 'Terminates At'}|${goTimeString(lic.TerminationTime)}`,
      `Datacenter|${lic.InstallationID}`,
    ]),
  );
  if (lic.Modules && lic.Modules.length > 0) {
    ctx.ui.output('Modules:');
    for (const m of lic.Modules) ctx.ui.output(`\t${m}`);
  }
  if (lic.Features && lic.Features.length > 0) {
    ctx.ui.output('Licensed Features:');
    for (const f of lic.Features) ctx.ui.output(`\t${f}`);
  }
  return expired ? 1 : 0;
}

const get = command({
  name: 'license get',
  synopsis: 'Retrieve the current license',
  flags: {},
  help: `Usage: opraft license get [options]

  Gets the license the contacted server holds (the request is not forwarded
  to the leader). Exits 1 when the license has expired.

  If ACLs are enabled, this command requires a token with the 'operator:read'
  capability (or the 'license-read' operator capability).

General Options:

${generalOptionsUsage()}`,
  async run(ctx) {
    let reply: LicenseReply;
    try {
      reply = (await ctx.client().get<LicenseReply>('/v1/operator/license')).body;
    } catch (e) {
      ctx.ui.error(`Error getting license: ${errorText(e)}`);
      return 1;
    }
    return outputLicenseReply(ctx, reply);
  },
});

const put = command({
  name: 'license put',
  synopsis: 'Install a new license',
  flags: { force: 'bool' },
  help: `Usage: opraft license put [options] <path>

  Puts a new license in the cluster: the signed license blob is read from
  <path>, or from stdin when <path> is "-". The servers verify it against
  server { license_public_keys } before storing it through Raft.

  Install a new license from a file:

      $ opraft license put <path>

  Install a new license from stdin:

      $ opraft license put -

  If ACLs are enabled, this command requires a token with the 'operator:write'
  capability.

General Options:

${generalOptionsUsage()}

License Options:

  -force
    Force is used to override the issue date check: a license issued before
    the current one is refused unless -force is given.`,
  async run(ctx) {
    if (ctx.args.length !== 1) {
      ctx.ui.error('This command takes one argument: <path>');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const file = ctx.args[0]!;
    let blob: string;
    try {
      blob = file === '-' ? (await readAll(ctx.io.stdin)).toString('utf8') : await readFile(ctx.path(file), 'utf8');
    } catch (e) {
      ctx.ui.error(file === '-' ? `Error reading license from stdin: ${errorText(e)}` : `Error reading license file: ${goFsError(e, file)}`);
      return 1;
    }
    try {
      await ctx.client().text('PUT', '/v1/operator/license', { body: blob, query: flagBool(ctx, 'force') === true ? [['force', 'true']] : [] });
    } catch (e) {
      ctx.ui.error(`Error putting license: ${errorText(e)}`);
      return 1;
    }
    ctx.ui.output('Successfully applied license');
    return 0;
  },
});

export const licenseGroup = group({
  name: 'license',
  synopsis: 'Interact with the cluster license',
  help: `Usage: opraft license <subcommand> [options] [args]

  This command has subcommands for managing the cluster's license (Nomad
  Enterprise's license API, signed with the keys in server
  { license_public_keys }; scripts/license-dev.ts makes development licenses).

  Retrieve the server's license:

      $ opraft license get

  Install a new license:

      $ opraft license put <path>

  Please see the individual subcommand help for detailed usage information.`,
  children: { get, put },
});
