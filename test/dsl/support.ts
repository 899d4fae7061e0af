// Shared by the DSL tests: a message context without a database, and paths to the built-in
// chain and pipeline files. Not a test file itself.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Message } from '../../src/email/message.js';
import { Config } from '../../src/config/config.js';
import { defaultSettings } from '../../src/model/list-settings.js';
import type { MailingList } from '../../src/model/entities.js';
import type { MsgData } from '../../src/queue/qfile.js';
import type { MessageContext } from '../../src/registry.js';
import type { Services } from '../../src/services/services.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root, from dist/test/dsl or test/dsl. */
export const ROOT = HERE.includes(join('dist', 'test')) ? join(HERE, '..', '..', '..') : join(HERE, '..', '..');
export const CHAINS_DIR = join(ROOT, 'chains');
export const PIPELINES_DIR = join(ROOT, 'pipelines');

export interface CtxOptions {
  headers?: string;
  list?: Record<string, unknown>;
  msgdata?: MsgData;
  dryRun?: boolean;
}

/**
 * A context for executor tests. The rules, effects and handlers under test only read the
 * message, the list's settings and msgdata; `services` carries just the sender headers.
 */
export function makeCtx(opts: CtxOptions = {}): MessageContext {
  const headers = opts.headers ?? 'From: Anne <anne@example.org>\nTo: ant@example.com\nSubject: Hello\n';
  const msg = new Message(Buffer.from(`${headers}\nHello, list.\n`));
  const mlist = {
    id: 1,
    ...defaultSettings('ant', 'example.com'),
    list_id: 'ant.example.com',
    ...opts.list,
  } as unknown as MailingList;
  // The embedded defaults: link sources such as site.antispam.header_checks read the config.
  const services = { senderHeaders: ['from'], config: Config.load() } as unknown as Services;
  return { mlist, msg, msgdata: { ...opts.msgdata }, services, dryRun: opts.dryRun };
}
