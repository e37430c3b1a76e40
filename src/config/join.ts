/**
 * The join settings' rules (§5.4): Nomad's pre-0.10 keys directly in
 * `server { }` may not be combined with `server_join { retry_join }`, and
 * start_join may not be combined with retry_join. Error texts are Nomad's.
 */
import { ConfigError } from './errors.ts';
import type { JoinLayer, SourcedLayer } from './layer.ts';

const PREFER = 'prefer setting the server_join block';

/** Checks the merged files' join settings and moves the deprecated spellings into server_join. */
export function foldDeprecatedJoin(merged: SourcedLayer): void {
  const server = merged.layer.server;
  const old = server?.deprecatedJoin;
  if (!server || !old) return;
  const join: JoinLayer = (server.join ??= {});
  const origin = (field: keyof JoinLayer) => merged.origins.get(`server.deprecatedJoin.${field}`);
  const fail = (field: keyof JoinLayer, problem: string): never => {
    const o = origin(field);
    throw new ConfigError(problem, { file: o?.file, key: o?.key });
  };

  if (nonEmpty(join.retryJoin)) {
    if (nonEmpty(old.retryJoin)) fail('retryJoin', `server_join and retry_join cannot both be defined; ${PREFER}`);
    if (nonEmpty(old.startJoin)) fail('startJoin', `server_join and start_join cannot both be defined; ${PREFER}`);
    if (old.retryMax) fail('retryMax', `server_join and retry_max cannot both be defined; ${PREFER}`);
    if (old.retryInterval) fail('retryInterval', `server_join and retry_interval cannot both be defined; ${PREFER}`);
  }
  if (nonEmpty(old.startJoin) && nonEmpty(join.startJoin)) fail('startJoin', `server_join and start_join cannot both be defined; ${PREFER}`);

  for (const field of ['startJoin', 'retryJoin', 'retryMax', 'retryInterval'] as const) {
    if (old[field] === undefined || join[field] !== undefined) continue;
    (join as Record<string, unknown>)[field] = old[field];
    const o = origin(field);
    if (o) merged.origins.set(`server.join.${field}`, o);
  }
  delete server.deprecatedJoin;
}

/** After the flags: a server either joins once (start_join) or keeps retrying (retry_join), not both. */
export function checkJoinCombination(merged: SourcedLayer): void {
  const join = merged.layer.server?.join;
  if (join && nonEmpty(join.retryJoin) && nonEmpty(join.startJoin)) {
    const o = merged.origins.get('server.join.startJoin');
    throw new ConfigError('retry_join and start_join cannot both be defined', { file: o?.file, key: o?.key });
  }
}

function nonEmpty(list: readonly string[] | undefined): boolean {
  return list !== undefined && list.length > 0;
}
