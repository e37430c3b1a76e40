/**
 * The one error the config loader throws. It names where the bad input came
 * from (a file, or the command line), the key or flag, and what is wrong, so
 * an operator can fix a config without reading opraft's source.
 */
export class ConfigError extends Error {
  /** The config file the bad input came from; undefined for the command line or the merged result. */
  readonly file: string | undefined;
  /** The key path (`server.bootstrap_expect`) or the flag (`-bootstrap-expect`); undefined for a whole-file problem. */
  readonly key: string | undefined;
  /** What is wrong, without the file and key (`expected a non-negative integer, got "three"`). */
  readonly problem: string;

  constructor(problem: string, where: { file?: string | undefined; key?: string | undefined } = {}) {
    super(describe(problem, where.file, where.key));
    this.name = 'ConfigError';
    this.file = where.file;
    this.key = where.key;
    this.problem = problem;
  }
}

function describe(problem: string, file: string | undefined, key: string | undefined): string {
  const parts: string[] = [];
  if (file !== undefined) parts.push(file);
  if (key !== undefined) parts.push(key.startsWith('-') ? `flag ${key}` : key);
  return parts.length ? `${parts.join(': ')}: ${problem}` : problem;
}
