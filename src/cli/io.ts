// Where a command writes: stdout / stderr as plain string sinks, so the CLI runs in-process in
// tests exactly as it runs in a terminal.
import type { Readable } from 'node:stream';

export interface Sink {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: Sink;
  stderr: Sink;
  /** The environment (NOMAD_ADDR, NOMAD_TOKEN, NOMAD_REGION, NOMAD_NAMESPACE). */
  env: Record<string, string | undefined>;
  /** Read by `-` arguments (license put -, acl policy apply name -, var put path -). */
  stdin?: Readable;
  /** Whether stdout is a terminal: `var get` / `var put` pick their default -out as Nomad does. */
  isTTY?: boolean;
  /** Relative file names resolve against this (default: process.cwd()). */
  cwd?: string;
}

/** mitchellh/cli's BasicUi: Output → stdout, Error/Warn → stderr, each with a newline. */
export class Ui {
  constructor(private readonly io: CliIo) {}
  output(text: string): void {
    this.io.stdout.write(text + '\n');
  }
  info(text: string): void {
    this.io.stdout.write(text + '\n');
  }
  error(text: string): void {
    this.io.stderr.write(text + '\n');
  }
  warn(text: string): void {
    this.io.stderr.write(text + '\n');
  }
  /** Raw bytes to stdout, no newline (`var get -item`). */
  raw(text: string): void {
    this.io.stdout.write(text);
  }
}

export async function readAll(stream: Readable | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(parts);
}
