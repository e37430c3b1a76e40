// Single-server membership changes applied to a configuration.
import type { ConfChange, Configuration, NodeId } from './types.ts';
import { ProposalError } from './types.ts';

export function cloneConfig(c: Configuration): Configuration {
  const out: Configuration = { voters: c.voters.slice(), nonVoters: c.nonVoters.slice() };
  if (c.addresses) out.addresses = { ...c.addresses };
  return out;
}

export function isMember(c: Configuration, id: NodeId): boolean {
  return c.voters.includes(id) || c.nonVoters.includes(id);
}

export function members(c: Configuration): NodeId[] {
  return [...c.voters, ...c.nonVoters];
}

/** Checks a change against a configuration; throws ProposalError('invalid') when it makes no sense. */
export function validateChange(c: Configuration, cc: ConfChange): void {
  const voter = c.voters.includes(cc.id);
  const nonVoter = c.nonVoters.includes(cc.id);
  const bad = (why: string): never => {
    throw new ProposalError('invalid', `${cc.type} ${cc.id}: ${why}`);
  };
  if (!cc.id) bad('empty server id');
  switch (cc.type) {
    case 'addVoter':
      if (voter) bad('already a voter');
      break;
    case 'addNonVoter':
      if (voter) bad('is a voter (demotion is not supported)');
      if (nonVoter) bad('already a non-voter');
      break;
    case 'promote':
      if (!nonVoter) bad('not a non-voter');
      break;
    case 'remove':
      if (!voter && !nonVoter) bad('not a member');
      if (voter && c.voters.length === 1) bad('cannot remove the last voter');
      break;
    default:
      bad('unknown change type');
  }
}

/** The configuration after a change (assumed valid; invalid changes in a log are ignored). */
export function applyChange(c: Configuration, cc: ConfChange): Configuration {
  const voters = c.voters.filter((v) => v !== cc.id);
  const nonVoters = c.nonVoters.filter((v) => v !== cc.id);
  switch (cc.type) {
    case 'addVoter':
    case 'promote':
      voters.push(cc.id);
      break;
    case 'addNonVoter':
      nonVoters.push(cc.id);
      break;
    case 'remove':
      if (voters.length === 0) return cloneConfig(c); // never remove the last voter
      break;
  }
  voters.sort();
  nonVoters.sort();
  const out: Configuration = { voters, nonVoters };
  if (c.addresses || cc.address) {
    const addresses = { ...c.addresses };
    if (cc.type === 'remove') delete addresses[cc.id];
    else if (cc.address) addresses[cc.id] = cc.address;
    out.addresses = addresses;
  }
  return out;
}
