// pino, with the node name on every line: JSON by default, pretty on a terminal unless log_json.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(opts: { node: string; level: string; json: boolean; destination?: number }): Logger {
  const pretty = !opts.json && process.stdout.isTTY === true;
  const base = { node: opts.node };
  if (pretty) {
    return pino({
      level: opts.level,
      base,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level: opts.level, base, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: opts.destination ?? 1, sync: false }));
}
