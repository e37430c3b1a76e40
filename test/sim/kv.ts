// The replicated key/value state machine of the simulator and its command codec.
// Commands travel as JSON in entry data; snapshots are the sorted key/value pairs.

export type Command =
  | { id: string; op: 'put'; key: string; value: string }
  | { id: string; op: 'cas'; key: string; expected: string | null; value: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(cmd: Command): Uint8Array {
  return encoder.encode(JSON.stringify(cmd));
}

/** The command in an entry's data, or undefined when it is not one (e.g. empty data). */
export function decodeCommand(data: Uint8Array): Command | undefined {
  if (data.length === 0) return undefined;
  const v = JSON.parse(decoder.decode(data)) as Command;
  return typeof v === 'object' && v !== null && typeof v.id === 'string' ? v : undefined;
}

export class KvStore {
  private readonly map = new Map<string, string>();

  get(key: string): string | null {
    return this.map.get(key) ?? null;
  }

  /** Applies a command; returns true for a put, whether the swap happened for a cas. */
  apply(cmd: Command): boolean {
    if (cmd.op === 'put') {
      this.map.set(cmd.key, cmd.value);
      return true;
    }
    if (this.get(cmd.key) === cmd.expected) {
      this.map.set(cmd.key, cmd.value);
      return true;
    }
    return false;
  }

  /** Deterministic encoding (sorted by key). */
  serialize(): Uint8Array {
    const pairs = [...this.map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return encoder.encode(JSON.stringify(pairs));
  }

  static deserialize(data: Uint8Array): KvStore {
    const kv = new KvStore();
    if (data.length === 0) return kv;
    const pairs = JSON.parse(decoder.decode(data)) as [string, string][];
    for (const [k, v] of pairs) kv.map.set(k, v);
    return kv;
  }
}
