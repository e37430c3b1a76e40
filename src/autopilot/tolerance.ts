// Failure tolerance (§4.3): how many healthy voters could fail with a quorum still left.
// Non-voters never count.

export function requiredQuorum(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

export function failureTolerance(voters: number, healthyVoters: number): number {
  return Math.max(0, healthyVoters - requiredQuorum(voters));
}
