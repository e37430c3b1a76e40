// A small text language for Raft interaction tests with golden transcripts, in the spirit of
// etcd's rafttest. A file is a list of blocks:
//
//   command arg key=value
//   ----
//   expected output
//
// separated by blank lines; lines starting with '#' are comments. Run with UPDATE_GOLDEN=1
// to rewrite the expected outputs from what the core does now.
import { EntryType, type Message, type ConfChangeType, type RaftConfig } from '../../src/raft/index.ts';
import { Net, enc, dec } from './harness.ts';

export interface Block {
  line: number;
  command: string;
  args: string[];
  kv: Record<string, string>;
  expected: string;
}

export function parseScript(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '' || l.startsWith('#')) {
      i++;
      continue;
    }
    const line = i + 1;
    const words = l.trim().split(/\s+/);
    const args: string[] = [];
    const kv: Record<string, string> = {};
    for (const w of words.slice(1)) {
      const eq = w.indexOf('=');
      if (eq > 0) kv[w.slice(0, eq)] = w.slice(eq + 1);
      else args.push(w);
    }
    i++;
    if (lines[i] !== '----') throw new Error(`line ${line}: expected '----' after the command`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') out.push(lines[i++]!);
    blocks.push({ line, command: words[0]!, args, kv, expected: out.join('\n') });
  }
  return blocks;
}

export function renderScript(blocks: Block[], outputs: string[]): string {
  return (
    blocks
      .map((b, k) => {
        const kv = Object.entries(b.kv).map(([key, v]) => `${key}=${v}`);
        return [[b.command, ...b.args, ...kv].join(' '), '----', outputs[k]!].join('\n');
      })
      .join('\n\n') + '\n'
  );
}

export function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} t${m.term}`;
  switch (m.type) {
    case 'app': {
      const ents = m.entries.map((e) => `${e.term}/${e.index}${e.type === EntryType.Noop ? ' noop' : e.type === EntryType.Config ? ` ${e.change!.type}:${e.change!.id}` : ` ${dec(e.data)}`}`);
      return `${head} prev=${m.prevTerm}/${m.prevIndex} commit=${m.commit}${ents.length ? ` [${ents.join(', ')}]` : ''}`;
    }
    case 'appResp':
      return `${head} index=${m.index}${m.reject ? ` reject hint=${m.hintTerm}/${m.hintIndex}` : ''}`;
    case 'heartbeat':
      return `${head} commit=${m.commit}${m.context ? ' read' : ''}`;
    case 'heartbeatResp':
      return `${head}${m.context ? ' read' : ''}`;
    case 'vote':
    case 'preVote':
      return `${head} last=${m.lastTerm}/${m.lastIndex}${m.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head}${m.reject ? ' reject' : ' grant'}`;
    case 'snap':
      return `${head} snap=${m.meta.term}/${m.meta.index} off=${m.offset} len=${m.data.length}${m.done ? ' done' : ''}`;
    case 'snapResp':
      return `${head} snap=${m.index} off=${m.offset}${m.done ? ' done' : ''}${m.reject ? ' reject' : ''}`;
    case 'timeoutNow':
      return head;
    case 'readIndex':
      return `${head} ctx=${m.context}`;
    case 'readIndexResp':
      return `${head} ctx=${m.context} index=${m.index}${m.reject ? ' reject' : ''}`;
  }
}

/** Executes a script against a fresh network; returns one output per block. */
export class Interaction {
  net: Net | undefined;

  run(blocks: Block[]): string[] {
    return blocks.map((b) => {
      try {
        return this.exec(b);
      } catch (err) {
        return `error: ${(err as Error).message}`;
      }
    });
  }

  private get n(): Net {
    if (!this.net) throw new Error('no nodes: start with add-nodes');
    return this.net;
  }

  /** Delivers until quiet, printing each delivered message (dropped ones are marked). */
  private stabilize(): string {
    const out: string[] = [];
    const net = this.n;
    for (let round = 0; round < 1000; round++) {
      const processed = net.processAll();
      if (!processed && net.queue.length === 0) break;
      const before = net.log.length;
      net.deliver();
      for (const m of net.log.slice(before)) out.push(describeMessage(m));
    }
    return out.length ? out.join('\n') : 'ok';
  }

  private exec(b: Block): string {
    const id = (k = 0) => {
      const v = b.args[k];
      if (!v) throw new Error(`${b.command}: missing node id`);
      return v;
    };
    switch (b.command) {
      case 'add-nodes': {
        const count = Number(b.args[0]);
        const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
        this.net = new Net(ids, {
          preVote: b.kv['prevote'] === 'true',
          checkQuorum: b.kv['checkquorum'] === 'true',
          seed: Number(b.kv['seed'] ?? 1),
          configure: (cfg: RaftConfig) => {
            if (b.kv['max-inflight']) cfg.maxInflightMsgs = Number(b.kv['max-inflight']);
            if (b.kv['chunk']) cfg.snapshotChunkSize = Number(b.kv['chunk']);
          },
        });
        return this.state();
      }
      case 'campaign':
        this.n.core(id()).campaign();
        return 'ok';
      case 'propose': {
        const r = this.n.core(id()).propose(enc(b.args[1] ?? ''));
        return `index=${r.index} term=${r.term}`;
      }
      case 'propose-conf-change': {
        const r = this.n.core(id()).proposeConfChange({ type: b.args[1] as ConfChangeType, id: b.args[2] ?? '' });
        return `index=${r.index} term=${r.term}`;
      }
      case 'add-node':
        this.n.addNode(id());
        return 'ok';
      case 'transfer-leadership':
        this.n.core(id()).transferLeadership(id(1));
        return 'ok';
      case 'read-index':
        this.n.core(id()).readIndex(b.args[1] ?? 'ctx');
        return 'ok';
      case 'compact': {
        const node = this.n.node(id());
        const index = Number(b.args[1]);
        node.core.compact(index, enc(`state@${index}`));
        node.storage.compact({ meta: node.core.snapshotMeta, data: enc(`state@${index}`) });
        return `first=${node.core.firstIndex}`;
      }
      case 'tick-election':
        for (let i = 0; i < 2 * (this.n.opts.electionTick ?? 10); i++) this.n.core(id()).tick();
        return 'ok';
      case 'tick-heartbeat':
        this.n.core(id()).tick();
        return 'ok';
      case 'stabilize':
        return this.stabilize();
      case 'isolate':
        this.n.isolate(id());
        return 'ok';
      case 'cut':
        this.n.cut(id(), id(1));
        return 'ok';
      case 'recover':
        this.n.recover();
        return 'ok';
      case 'restart':
        this.n.restart(id());
        return 'ok';
      case 'raft-state':
        return this.state();
      case 'raft-log': {
        const c = this.n.core(id());
        const ents = c.entries(c.firstIndex, c.lastIndex + 1);
        const head = `first=${c.firstIndex} last=${c.lastIndex} commit=${c.commitIndex} applied=${c.appliedIndex}`;
        return [head, ...ents.map((e) => `${e.term}/${e.index} ${e.type === EntryType.Noop ? 'noop' : e.type === EntryType.Config ? `${e.change!.type}:${e.change!.id}` : dec(e.data)}`)].join('\n');
      }
      case 'read-states': {
        const node = this.n.node(id());
        const lines = [
          ...node.readStates.map((r) => `read ${r.context} index=${r.index}`),
          ...node.readFailures.map((r) => `failed ${r.context}: ${r.reason}`),
        ];
        node.readStates = [];
        node.readFailures = [];
        return lines.length ? lines.join('\n') : 'none';
      }
      case 'status': {
        const c = this.n.core(id());
        const lines: string[] = [];
        for (const peer of [...c.config.voters, ...c.config.nonVoters]) {
          const p = c.progress(peer);
          if (p) lines.push(`${peer}: ${p.state} match=${p.match} next=${p.next} inflight=${p.inflight}`);
        }
        return lines.length ? lines.join('\n') : 'not leader';
      }
      default:
        throw new Error(`unknown command ${b.command}`);
    }
  }

  private state(): string {
    return [...this.n.nodes.values()]
      .map((x) => {
        const c = x.core;
        const cfg = c.config;
        return `${x.id}: ${c.role} term=${c.term} leader=${c.leader || '-'} commit=${c.commitIndex} last=${c.lastIndex} voters=${cfg.voters.join(',')}${cfg.nonVoters.length ? ` nonvoters=${cfg.nonVoters.join(',')}` : ''}`;
      })
      .join('\n');
  }
}
