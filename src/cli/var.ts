// opraft var get | put | list | purge (Part A §23; Nomad's `nomad var ...` output).
import { readFile } from 'node:fs/promises';
import { ApiError, errorText } from './api-client.ts';
import { formatKV, formatList } from './columnize.ts';
import { formatData, formatUnixNanoTime, goLocalTimeString, goTemplate } from './format.ts';
import { readAll } from './io.ts';
import { command, flagBool, flagString, generalOptionsUsage, goFsError, group, type RunContext } from './meta.ts';

export interface Variable {
  Namespace: string;
  Path: string;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: number;
  ModifyTime: number;
  Items: Record<string, string>;
}

interface VariableMetadata {
  Namespace: string;
  Path: string;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: number;
  ModifyTime: number;
}

const ERR_MISSING_TEMPLATE = `A template must be supplied using '-template' when using go-template formatting`;
const ERR_UNEXPECTED_TEMPLATE = `The '-template' flag is only valid when using 'go-template' formatting`;
const ERR_INVALID_IN_FORMAT = `Invalid value for "-in"; valid values are [hcl, json]`;
const ERR_INVALID_OUT_FORMAT = `Invalid value for "-out"; valid values are [go-template, hcl, json, none, table]`;
const ERR_WILDCARD_NAMESPACE = `The wildcard namespace ("*") is not valid for this command.`;

/** api.Variable in Go's field order (what json.MarshalIndent writes), Items keys sorted. */
export function goVariable(v: Partial<Variable>): Variable {
  const items: Record<string, string> = {};
  for (const k of Object.keys(v.Items ?? {}).sort()) items[k] = v.Items![k]!;
  return {
    Namespace: v.Namespace ?? '',
    Path: v.Path ?? '',
    CreateIndex: v.CreateIndex ?? 0,
    ModifyIndex: v.ModifyIndex ?? 0,
    CreateTime: v.CreateTime ?? 0,
    ModifyTime: v.ModifyTime ?? 0,
    Items: items,
  };
}

/** Variable.AsPrettyJSON: two-space indent. */
const asPrettyJson = (v: Variable) => JSON.stringify(goVariable(v), null, 2);

/** Nomad's renderAsHCL template, evaluated. */
export function renderAsHcl(v: Variable): string {
  const keys = Object.keys(v.Items).sort();
  const pad = Math.max(0, ...keys.map((k) => k.length));
  const items = keys.map((k) => `  ${k.padStart(pad)} = ${JSON.stringify(v.Items[k])}\n`).join('');
  return `
namespace    = ${JSON.stringify(v.Namespace)}
path         = ${JSON.stringify(v.Path)}
create_index = ${v.CreateIndex}  # Set by server
modify_index = ${v.ModifyIndex}  # Set by server; consulted for check-and-set
create_time  = ${v.CreateTime}   # Set by server
modify_time  = ${v.ModifyTime}   # Set by server

items = {
${items}}
`;
}

/** Nomad's renderSVAsUiTable (its `Create Time` row shows ModifyTime, as Nomad's does). */
export function renderVariableTable(ctx: RunContext, v: Variable): void {
  const meta = [`Namespace|${v.Namespace}`, `Path|${v.Path}`, `Create Time|${formatUnixNanoTime(v.ModifyTime)}`];
  if (v.CreateTime !== v.ModifyTime) meta.push(`Modify Time|${goLocalTimeString(v.ModifyTime)}`);
  meta.push(`Check Index|${v.ModifyIndex}`);
  ctx.ui.output(formatKV(meta));
  ctx.ui.output('\nItems');
  ctx.ui.output(formatKV(Object.keys(v.Items).sort().map((k) => `${k}|${v.Items[k]}`)));
}

function validateOutput(out: string, tmpl: string): string | undefined {
  if (out !== 'go-template' && tmpl !== '') return ERR_UNEXPECTED_TEMPLATE;
  if (['hcl', 'json', 'none', 'table'].includes(out)) return undefined;
  if (out === 'go-template') return tmpl === '' ? ERR_MISSING_TEMPLATE : undefined;
  return ERR_INVALID_OUT_FORMAT;
}

/** Nomad's parseCheckIndex: '' means no check. */
function parseCheckIndex(text: string): { index: number; enforce: boolean; error?: 'syntax' | 'range' } {
  if (text === '') return { index: 0, enforce: false };
  if (!/^\d+$/.test(text)) return { index: 0, enforce: false, error: 'syntax' };
  if (BigInt(text) >= 1n << 64n) return { index: 0, enforce: false, error: 'range' };
  return { index: Number(text), enforce: true };
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Nomad's handleCASError, colours off. */
function printCasConflict(ctx: RunContext, checkIndex: number, conflict: Partial<Variable>): void {
  const modifyIndex = conflict.ModifyIndex ?? 0;
  const lastUpdate = modifyIndex > 0 ? `The server-side item was last updated on ${formatUnixNanoTime(conflict.ModifyTime ?? 0)}.` : '';
  const msg = `Your provided check-index (${checkIndex}) does not match the server-side index (${modifyIndex}). ${lastUpdate} If you are sure you want to perform this operation, add the -force or -check-index=${modifyIndex} flag before the positional arguments.`;
  ctx.ui.error('\nCheck-and-Set conflict\n');
  ctx.ui.warn(wrap(msg, 76).map((l) => `    ${l}`).join('\n') + '\n');
}

function conflictBody(e: unknown): Partial<Variable> | undefined {
  if (!(e instanceof ApiError) || e.status !== 409) return undefined;
  try {
    return JSON.parse(e.body) as Partial<Variable>;
  } catch {
    return {};
  }
}

/** Renders a variable as -out asks; `none` prints nothing. */
function renderVariable(ctx: RunContext, v: Variable, out: string, tmpl: string): number {
  switch (out) {
    case 'json':
      ctx.ui.output(asPrettyJson(v));
      return 0;
    case 'hcl':
      ctx.ui.output(renderAsHcl(v));
      return 0;
    case 'go-template':
      try {
        ctx.ui.output(goTemplate(tmpl, goVariable(v)));
      } catch (e) {
        ctx.ui.error(errorText(e));
        return 1;
      }
      return 0;
    case 'none':
      return 0;
    default:
      renderVariableTable(ctx, v);
      return 0;
  }
}

const get = command({
  name: 'var get',
  synopsis: 'Read a variable',
  flags: { item: 'string', out: 'string', template: 'string' },
  namespace: true,
  help: `Usage: opraft var get [options] <path>

  The 'var get' command is used to get the contents of an existing variable.

  If ACLs are enabled, this command requires a token with the 'variables:read'
  capability for the target variable's namespace and path.

General Options:

${generalOptionsUsage({ namespace: true })}

Get Options:

  -item <item key>
     Print only the value of the given item. Specifying this option will
     take precedence over other formatting directives. The result will not
     have a trailing newline making it ideal for piping to other processes.

  -out ( go-template | hcl | json | none | table )
     Format to render the variable in. When using "go-template", you must
     provide the template content with the "-template" option. Defaults
     to "table" when stdout is a terminal and to "json" when stdout is
     redirected.

  -template
     Template to render output with. Required when output is "go-template"
     (field actions such as {{.Items.user}} only).`,
  async run(ctx) {
    if (ctx.args.length !== 1) {
      ctx.ui.error('This command takes one argument: <path>');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const out = flagString(ctx, 'out', ctx.io.isTTY ? 'table' : 'json');
    const tmpl = flagString(ctx, 'template');
    const bad = validateOutput(out, tmpl);
    if (bad) {
      ctx.ui.error(bad);
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    if (ctx.client().config.namespace === '*') {
      ctx.ui.error(ERR_WILDCARD_NAMESPACE);
      return 1;
    }
    const path = ctx.args[0]!;
    let v: Variable;
    try {
      v = goVariable((await ctx.client().get<Variable>(`/v1/var/${path}`, { namespace: true })).body);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        ctx.ui.warn('Variable not found');
        return 1;
      }
      ctx.ui.error(`Error retrieving variable: ${errorText(e)}`);
      return 1;
    }
    const item = flagString(ctx, 'item');
    if (item !== '') {
      if (Object.hasOwn(v.Items, item)) {
        ctx.ui.raw(v.Items[item]!);
        return 0;
      }
      ctx.ui.error(`Variable does not contain ${JSON.stringify(item)} item`);
      return 1;
    }
    return renderVariable(ctx, v, out, tmpl);
  },
});

const INVALID_IDENTIFIER = /[^_\p{N}\p{L}]/gu;

/** Reads `-` (stdin) or `@file` into text. */
async function readRef(ctx: RunContext, ref: string): Promise<string> {
  if (ref === '-') return (await readAll(ctx.io.stdin)).toString('utf8');
  return readFile(ctx.path(ref.slice(1)), 'utf8');
}

const isFileRef = (a: string) => a.startsWith('@') && !a.startsWith('\\@');

const put = command({
  name: 'var put',
  synopsis: 'Create or update a variable',
  flags: { force: 'bool', verbose: 'bool', 'check-index': 'string', in: 'string', out: 'string', template: 'string' },
  namespace: true,
  help: `Usage:
opraft var put [options] <variable spec file reference> [<key>=<value>]...
opraft var put [options] <path to store variable> [<variable spec file reference>] [<key>=<value>]...

  The 'var put' command is used to create or update an existing variable.
  Variable metadata and items can be supplied using a variable specification,
  by using command arguments, or by a combination of the two techniques.

  An entire variable specification can be provided to the command via standard
  input (stdin) by setting the first argument to "-" or from a file by using an
  @-prefixed path to a variable specification file (JSON; opraft does not read
  HCL specifications).

  Items to be stored in the variable can be supplied using the specification,
  as a series of key-value pairs, or both. The value for a key-value pair can
  be a string, an @-prefixed file reference, or a '-' to get the value from
  stdin. An empty value removes the item.

  Without -check-index or -force, the write is a check-and-set against the
  specification's modify index (0, "only if it does not exist yet", for a
  plain path), as Nomad's is.

  If ACLs are enabled, this command requires the 'variables:write' capability
  for the destination namespace and path.

General Options:

${generalOptionsUsage({ namespace: true })}

Apply Options:

  -check-index
     If set, the variable is only acted upon if the server-side version's index
     matches the provided value. When a variable specification contains
     a modify index, that modify index is used as the check-index for the
     check-and-set operation and can be overridden using this flag.

  -force
     Perform this operation regardless of the state or index of the variable
     on the server-side.

  -in (hcl | json)
     Parser to use for data supplied via standard input or when the variable
     specification's type can not be known using the file extension. Defaults
     to "json".

  -out (go-template | hcl | json | none | table)
     Format to render created or updated variable. Defaults to "none" when
     stdout is a terminal and "json" when the output is redirected.

  -template
     Template to render output with. Required when format is "go-template",
     invalid for other formats.

  -verbose
     Provides additional information via standard error to preserve standard
     output (stdout) for redirected output.`,
  async run(ctx) {
    const verbose = flagBool(ctx, 'verbose') === true ? (m: string) => ctx.ui.warn(m) : () => {};
    const checkIndexText = flagString(ctx, 'check-index');
    const check = parseCheckIndex(checkIndexText);
    if (check.error) {
      ctx.ui.error(`Error parsing check-index value ${JSON.stringify(checkIndexText)}: strconv.ParseUint: parsing ${JSON.stringify(checkIndexText)}: ${check.error === 'syntax' ? 'invalid syntax' : 'value out of range'}`);
      return 1;
    }
    if (ctx.client().config.namespace === '*') {
      ctx.ui.error(ERR_WILDCARD_NAMESPACE);
      return 1;
    }
    let args = [...ctx.args];
    if (args.length < 1) {
      ctx.ui.error(`Not enough arguments (expected >1, got ${args.length})`);
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    if (args.length === 1 && args[0] !== '-' && !isFileRef(args[0]!)) {
      ctx.ui.error('Must supply data');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    let inFmt = flagString(ctx, 'in', 'json');
    if (inFmt !== 'hcl' && inFmt !== 'json') {
      ctx.ui.error(ERR_INVALID_IN_FORMAT);
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const out = flagString(ctx, 'out', ctx.io.isTTY ? 'none' : 'json');
    const tmpl = flagString(ctx, 'template');
    const bad = validateOutput(out, tmpl);
    if (bad) {
      ctx.ui.error(bad);
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const formatFor = (file: string): string | undefined => (file.endsWith('.json') ? 'json' : file.endsWith('.hcl') ? 'hcl' : undefined);
    let contents = '';
    let path = '';
    const readSpec = async (ref: string): Promise<number> => {
      if (ref !== '-') {
        const f = formatFor(ref.slice(1));
        if (!f) {
          ctx.ui.error(`Unable to determine format of ${ref}; Use the -in flag to specify it.`);
          return 1;
        }
        inFmt = f;
      }
      try {
        contents = await readRef(ctx, ref);
      } catch (e) {
        ctx.ui.error(ref === '-' ? `Error reading from stdin: ${errorText(e)}` : `Error reading ${JSON.stringify(ref.slice(1))}: ${goFsError(e, ref.slice(1))}`);
        return 1;
      }
      verbose(ref === '-' ? `Reading whole ${inFmt.toUpperCase()} variable specification from stdin` : `Reading whole ${inFmt.toUpperCase()} variable specification from ${JSON.stringify(ref.slice(1))}`);
      return 0;
    };
    const first = args.shift()!;
    if (first === '-' || isFileRef(first)) {
      if ((await readSpec(first)) !== 0) return 1;
    } else {
      path = first.trim().replace(/^\/+|\/+$/g, '');
      verbose(`Writing to path ${JSON.stringify(path)}`);
    }
    if (args.length > 0 && (args[0] === '-' || isFileRef(args[0]!))) {
      if ((await readSpec(args.shift()!)) !== 0) return 1;
    }
    // The variable: from the specification, or empty at the path.
    let v: Variable;
    if (contents.trim() === '') {
      v = goVariable({ Path: path, Namespace: ctx.client().config.namespace ?? '', Items: {} });
    } else {
      if (inFmt === 'hcl') {
        ctx.ui.error('Failed to parse variable data: error parsing hcl: opraft reads JSON variable specifications only; use -in=json');
        return 1;
      }
      let spec: Record<string, unknown>;
      try {
        spec = JSON.parse(contents) as Record<string, unknown>;
        if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new Error('json: cannot unmarshal into Go value of type api.Variable');
      } catch (e) {
        ctx.ui.error(`Failed to parse variable data: error unmarshaling json: ${errorText(e)}`);
        return 1;
      }
      const pick = (k: string) => spec[Object.keys(spec).find((x) => x.toLowerCase() === k.toLowerCase()) ?? k];
      v = goVariable({
        Namespace: String(pick('Namespace') ?? ''),
        Path: String(pick('Path') ?? ''),
        CreateIndex: Number(pick('CreateIndex') ?? 0),
        ModifyIndex: Number(pick('ModifyIndex') ?? 0),
        CreateTime: Number(pick('CreateTime') ?? 0),
        ModifyTime: Number(pick('ModifyTime') ?? 0),
        Items: (pick('Items') as Record<string, string> | undefined) ?? {},
      });
      const ns = ctx.client().config.namespace ?? '';
      let reset = false;
      if (ns !== '' && ns !== v.Namespace) [v.Namespace, reset] = [ns, true];
      if (path !== '' && path !== v.Path) [v.Path, reset] = [path, true];
      if (reset) Object.assign(v, { CreateIndex: 0, CreateTime: 0, ModifyIndex: 0, ModifyTime: 0 });
    }
    // key=value arguments
    const warnings: string[] = [];
    let stdinUsed = contents !== '' && (first === '-' || ctx.args[1] === '-');
    for (const raw of args) {
      if (raw === '') continue;
      const eq = raw.indexOf('=');
      if (eq < 0) {
        ctx.ui.error(`Failed to parse K=V data: invalid key/value pair ${JSON.stringify(raw)}: format must be key=value`);
        return 1;
      }
      const key = raw.slice(0, eq);
      let value = raw.slice(eq + 1);
      try {
        if (value.startsWith('@')) value = await readFile(ctx.path(value.slice(1)), 'utf8');
        else if (value.startsWith('\\@')) value = value.slice(1);
        else if (value === '-') {
          if (stdinUsed) throw new Error('stdin already consumed');
          stdinUsed = true;
          value = (await readAll(ctx.io.stdin)).toString('utf8');
        }
      } catch (e) {
        const detail = (e as NodeJS.ErrnoException).code ? `error reading file: ${goFsError(e, value.slice(1))}` : errorText(e);
        ctx.ui.error(`Failed to parse K=V data: invalid key/value pair ${JSON.stringify(raw)}: ${detail}`);
        return 1;
      }
      if (value === '') {
        if (Object.hasOwn(v.Items, key)) {
          verbose(`Removed item ${JSON.stringify(key)}`);
          delete v.Items[key];
        } else verbose(`Item ${JSON.stringify(key)} does not exist, continuing...`);
        continue;
      }
      const invalid = [...new Set(key.match(INVALID_IDENTIFIER) ?? [])].map((c) => `"${c}"`).sort();
      if (invalid.length > 0) warnings.push(`"${key}" contains characters [${invalid.join(',')}] that require the 'index' function for direct access in templates`);
      v.Items[key] = value;
    }
    if (check.enforce) v.ModifyIndex = check.index;
    const force = flagBool(ctx, 'force') === true;
    let stored: Variable;
    try {
      const body = JSON.stringify(goVariable(v));
      const r = await ctx.client().json<Variable>('PUT', `/v1/var/${v.Path}`, { body, namespace: true, query: force ? [] : [['cas', String(v.ModifyIndex)]] });
      stored = goVariable(r.body);
    } catch (e) {
      const conflict = conflictBody(e);
      if (conflict) {
        printCasConflict(ctx, v.ModifyIndex, conflict);
        return 1;
      }
      ctx.ui.error(`Error creating variable: ${errorText(e)}`);
      return 1;
    }
    const success = `Created variable ${JSON.stringify(stored.Path)} with modify index ${stored.ModifyIndex}`;
    if (warnings.length > 0) ctx.ui.warn(`Variable Warnings:\n${warnings.map((w) => `* ${w}`).join('\n')}\n`);
    if (out === 'none') {
      ctx.ui.output(success);
      return 0;
    }
    verbose(success);
    return renderVariable(ctx, stored, out, tmpl);
  },
});

const list = command({
  name: 'var list',
  synopsis: 'List variable metadata',
  flags: { q: 'bool', json: 'bool', t: 'string', 'per-page': 'uint', 'page-token': 'string', filter: 'string' },
  namespace: true,
  help: `Usage: opraft var list [options] <prefix>

  List is used to list available variables. Supplying an optional prefix,
  filters the list to variables having a path starting with the prefix.

  If ACLs are enabled, this command will return only variables stored at
  namespaced paths where the token has the 'variables:list' capability.

General Options:

${generalOptionsUsage({ namespace: true })}

List Options:

  -per-page
    How many results to show per page.

  -page-token
    Where to start pagination.

  -filter
    Specifies an expression used to filter query results. Queries using this
    option are less efficient than using the prefix parameter; therefore,
    the prefix parameter should be used whenever possible.

  -json
    Output the variables in JSON format.

  -t
    Format and display the variables using a Go template.

  -q
    Output matching variable paths with no additional information.
    This option overrides the '-t' option.`,
  async run(ctx) {
    if (ctx.args.length > 1) {
      ctx.ui.error('This command takes flags and either no arguments or one: <prefix>');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const prefix = ctx.args[0] ?? '';
    const filter = flagString(ctx, 'filter');
    if (filter !== '') ctx.ui.warn('Filter queries require a full scan of the data; use prefix searching where possible');
    const query: [string, string][] = [['prefix', prefix]];
    if (filter !== '') query.push(['filter', filter]);
    const perPage = flagString(ctx, 'per-page');
    if (perPage !== '' && perPage !== '0') query.push(['per_page', perPage]);
    const pageToken = flagString(ctx, 'page-token');
    if (pageToken !== '') query.push(['next_token', pageToken]);
    let vars: VariableMetadata[];
    let headers: Headers;
    try {
      const r = await ctx.client().get<VariableMetadata[] | null>('/v1/vars', { query, namespace: true });
      vars = r.body ?? [];
      headers = r.headers;
    } catch (e) {
      ctx.ui.error(`Error retrieving vars: ${errorText(e)}`);
      return 1;
    }
    const quiet = flagBool(ctx, 'q') === true;
    const json = flagBool(ctx, 'json') === true;
    const tmpl = flagString(ctx, 't');
    if (json) {
      let data: unknown = quiet ? vars.map((v) => v.Path) : vars;
      if (perPage !== '' && perPage !== '0') {
        data = { Data: data, QueryMeta: { LastIndex: Number(headers.get('x-nomad-index') ?? 0), LastContact: Number(headers.get('x-nomad-lastcontact') ?? 0) * 1_000_000, KnownLeader: headers.get('x-nomad-knownleader') === 'true', NextToken: headers.get('x-nomad-nexttoken') ?? '' } };
      }
      ctx.ui.output(formatData(true, '', data));
      return 0;
    }
    if (quiet) ctx.ui.output(formatList(vars.map((v) => v.Path)));
    else if (tmpl !== '') {
      try {
        ctx.ui.output(formatData(false, tmpl, vars));
      } catch (e) {
        ctx.ui.error(errorText(e));
        return 1;
      }
    } else if (vars.length === 0) ctx.ui.output('No matching variables found');
    else {
      const sorted = [...vars].sort((a, b) => (a.Namespace === b.Namespace ? (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0) : a.Namespace < b.Namespace ? -1 : 1));
      ctx.ui.output(formatList(['Namespace|Path|Last Updated', ...sorted.map((v) => `${v.Namespace}|${v.Path}|${formatUnixNanoTime(v.ModifyTime)}`)]));
    }
    const next = headers.get('x-nomad-nexttoken');
    if (next) ctx.ui.warn(`Next page token: ${next}`);
    return 0;
  },
});

const purge = command({
  name: 'var purge',
  synopsis: 'Purge a variable',
  flags: { 'check-index': 'string' },
  namespace: true,
  help: `Usage: opraft var purge [options] <path>

  Purge is used to permanently delete an existing variable.

  If ACLs are enabled, this command requires a token with the 'variables:destroy'
  capability for the target variable's namespace and path.

General Options:

${generalOptionsUsage({ namespace: true })}

Purge Options:

  -check-index
    If set, the variable is only acted upon if the server side version's modify
    index matches the provided value.`,
  async run(ctx) {
    if (ctx.args.length !== 1) {
      ctx.ui.error('This command takes one argument: <path>');
      ctx.ui.error(ctx.commandErrorText());
      return 1;
    }
    const text = flagString(ctx, 'check-index');
    const check = parseCheckIndex(text);
    if (check.error === 'range') {
      ctx.ui.error(`Invalid -check-index value ${JSON.stringify(text)}: out of range for uint64`);
      return 1;
    }
    if (check.error === 'syntax') {
      ctx.ui.error(`Invalid -check-index value ${JSON.stringify(text)}: not parsable as uint64`);
      return 1;
    }
    if (ctx.client().config.namespace === '*') {
      ctx.ui.error(ERR_WILDCARD_NAMESPACE);
      return 1;
    }
    const path = ctx.args[0]!;
    try {
      await ctx.client().text('DELETE', `/v1/var/${path}`, { namespace: true, query: check.enforce ? [['cas', String(check.index)]] : [] });
    } catch (e) {
      const conflict = conflictBody(e);
      if (conflict) {
        printCasConflict(ctx, check.index, conflict);
        return 1;
      }
      ctx.ui.error(`Error purging variable: ${errorText(e)}`);
      return 1;
    }
    ctx.ui.output(`Successfully purged variable ${JSON.stringify(path)}!`);
    return 0;
  },
});

export const varGroup = group({
  name: 'var',
  synopsis: 'Interact with variables',
  help: `Usage: opraft var <subcommand> [options] [args]

  This command groups subcommands for interacting with variables (Nomad's
  /v1/var API, namespace "default").

  Upsert a variable:

      $ opraft var put <path> key=value

  Examine a variable:

      $ opraft var get <path>

  List existing variables:

      $ opraft var list <prefix>

  Purge a variable:

      $ opraft var purge <path>

  Please see the individual subcommand help for detailed usage information.`,
  children: { get, put, list, purge },
});
