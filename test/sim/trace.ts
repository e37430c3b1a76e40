// Accumulates a sha256 over the simulation's event sequence. Lines are buffered
// and fed to the hash in chunks so recording an event stays cheap.
import { createHash, type Hash } from 'node:crypto';

export class Trace {
  private readonly hash: Hash = createHash('sha256');
  private buf: string[] = [];
  private size = 0;
  events = 0;

  add(line: string): void {
    this.buf.push(line);
    this.size += line.length + 1;
    this.events++;
    if (this.size > 1 << 16) this.flush();
  }

  private flush(): void {
    if (this.buf.length === 0) return;
    this.hash.update(this.buf.join('\n'));
    this.hash.update('\n');
    this.buf = [];
    this.size = 0;
  }

  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }
}
