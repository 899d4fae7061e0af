// Named loggers as in Mailman (vette, smtp, error, ...), all pino, one file per name under
// [paths] log_dir unless [logging.NAME] path says otherwise.
import pino, { Logger } from 'pino';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Config } from './config/config.js';
import { LOG_NAMES } from './config/schema.js';

const loggers = new Map<string, Logger>();
const destinations = new Map<string, pino.DestinationStream>();
let config: Config | undefined;
let processLabel = 'mailman';

export function configureLogging(cfg: Config, label: string): void {
  config = cfg;
  processLabel = label;
  loggers.clear();
}

function destinationFor(file: string): pino.DestinationStream {
  let dest = destinations.get(file);
  if (!dest) {
    dest = pino.destination({ dest: file, mkdir: true, sync: true });
    destinations.set(file, dest);
  }
  return dest;
}

export function logger(name: string): Logger {
  let log = loggers.get(name);
  if (log) return log;
  if (!config) {
    log = pino({ name, level: process.env.MAILMAN_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  } else {
    const section = (LOG_NAMES as readonly string[]).includes(name) ? `logging.${name}` : 'logging.root';
    const level = config.get(section, 'level');
    const file = config.get(section, 'path') || `${name === 'root' ? 'mailman' : name}.log`;
    const dir = config.path('paths', 'log_dir');
    mkdirSync(dir, { recursive: true });
    log = pino({ name, level, base: { proc: processLabel, pid: process.pid } }, destinationFor(join(dir, file)));
  }
  loggers.set(name, log);
  return log;
}
