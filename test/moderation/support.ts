// Shared by the moderation tests: real Services on a temporary var dir (SQLite, migrations
// run), a list, and contexts for real messages. Not a test file itself.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../../src/config/config.js';
import { Services } from '../../src/services/services.js';
import { freshDatabase, type TestDatabase } from '../helpers/database.js';
import { Message } from '../../src/email/message.js';
import { type MessageContext, type RuleResult, type Args } from '../../src/registry.js';
import { registry } from '../helpers/registry.js';
import type { MailingList } from '../../src/model/entities.js';
import type { MsgData } from '../../src/queue/qfile.js';

export class RulesHarness {
  private constructor(
    readonly dir: string,
    readonly services: Services,
    readonly mlist: MailingList,
    readonly database: TestDatabase,
  ) {}

  static async start(conf = ''): Promise<RulesHarness> {
    const dir = mkdtempSync(join(tmpdir(), 'mailman-rules-'));
    const file = join(dir, 'mailman.conf');
    const database = freshDatabase();
    writeFileSync(file, ['[paths]', `var_dir: ${join(dir, 'var')}`, database.conf, conf].join('\n'));
    const services = await Services.open(Config.load({ file }));
    await services.domains.create('example.com');
    const mlist = await services.lists.create('ant@example.com');
    return new RulesHarness(dir, services, mlist, database);
  }

  /** Changes list settings for the rest of a test (saved, so reloaded lists see them too). */
  async set(changes: Record<string, unknown>): Promise<void> {
    await this.services.lists.update(this.mlist, changes);
  }

  ctx(raw: string, opts: { msgdata?: MsgData; dryRun?: boolean } = {}): MessageContext {
    const msg = new Message(Buffer.from(raw.replace(/\r?\n/g, '\r\n')));
    return { mlist: this.mlist, msg, msgdata: { ...opts.msgdata }, services: this.services, dryRun: opts.dryRun };
  }

  /** Runs a registered rule on a message; returns its result and the context. */
  async check(
    name: string,
    raw: string,
    opts: { args?: Args; msgdata?: MsgData; dryRun?: boolean } = {},
  ): Promise<RuleResult & { ctx: MessageContext }> {
    const rule = registry.rules.get(name);
    if (!rule) throw new Error(`rule ${name} is not registered`);
    const ctx = this.ctx(raw, opts);
    const res = await rule.check(ctx, opts.args ?? {});
    return { ...res, ctx };
  }

  async close(): Promise<void> {
    await this.services.close();
    this.database.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A plain post; `extra` header lines go before the blank line. */
export function post(
  o: { from?: string; to?: string; subject?: string | null; body?: string; extra?: string[] } = {},
): string {
  return [
    `From: ${o.from ?? 'Anne <anne@example.org>'}`,
    `To: ${o.to ?? 'ant@example.com'}`,
    ...(o.subject === null ? [] : [`Subject: ${o.subject ?? 'Hello'}`]),
    'Message-ID: <m1@example.org>',
    ...(o.extra ?? []),
    '',
    o.body ?? 'Hello, list.',
    '',
  ].join('\n');
}
