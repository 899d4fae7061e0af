// Shared by the delivery tests: real Services on a temporary var dir (SQLite, queues), a list
// with members, and the registered handlers run on real messages. Not a test file itself.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../../src/config/config.js';
import { Services } from '../../src/services/services.js';
import { freshDatabase, type TestDatabase } from '../helpers/database.js';
import { Message } from '../../src/email/message.js';
import { type MessageContext } from '../../src/registry.js';
import { registry } from '../helpers/registry.js';
import type { MailingList, Member } from '../../src/model/entities.js';
import type { MsgData } from '../../src/queue/qfile.js';

export class DeliveryWorld {
  private constructor(
    readonly dir: string,
    readonly services: Services,
    public mlist: MailingList,
    readonly database: TestDatabase,
  ) {}

  /** A var dir with the domain example.com and the list ant@example.com; `conf` is appended to the site file. */
  static async open(conf = ''): Promise<DeliveryWorld> {
    const dir = mkdtempSync(join(tmpdir(), 'mailman-delivery-'));
    const file = join(dir, 'mailman.conf');
    const database = freshDatabase();
    writeFileSync(
      file,
      [
        '[mailman]',
        'site_owner: postmaster@example.com',
        '[paths]',
        `var_dir: ${join(dir, 'var')}`,
        database.conf,
        conf,
      ].join('\n'),
    );
    const services = await Services.open(Config.load({ file }));
    await services.domains.create('example.com');
    const mlist = await services.lists.create('ant@example.com');
    return new DeliveryWorld(dir, services, mlist, database);
  }

  async subscribe(email: string, prefs: Partial<Member> = {}, displayName?: string): Promise<Member> {
    const { member } = await this.services.members.subscribe(this.mlist, email, { displayName });
    return Object.keys(prefs).length ? this.services.members.update(member, prefs) : member;
  }

  /** Changes list settings in the database and in the copy handlers see. */
  async configure(changes: Record<string, unknown>): Promise<void> {
    await this.services.lists.update(this.mlist, changes);
    Object.assign(this.mlist, changes);
  }

  ctx(raw: string, msgdata: MsgData = {}): MessageContext {
    return {
      mlist: this.mlist,
      msg: new Message(Buffer.from(raw.replace(/\r?\n/g, '\r\n'))),
      msgdata: { ...msgdata },
      services: this.services,
    };
  }

  /** Runs one registered handler, as a pipeline step does. */
  async run(name: string, ctx: MessageContext): Promise<MessageContext> {
    const handler = registry.handlers.get(name);
    if (!handler) throw new Error(`no handler ${name}`);
    await handler.process(ctx, {});
    return ctx;
  }

  /** The messages waiting in a queue, oldest first. */
  async queued(queue: string): Promise<{ msg: Message; msgdata: MsgData }[]> {
    const sb = this.services.queues.get(queue);
    const out = [];
    for (const base of sb.files()) {
      const entry = await sb.dequeue(base);
      await sb.finish(base);
      out.push({ msg: new Message(entry.raw), msgdata: entry.msgdata });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.services.close();
    this.database.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function post(
  o: { from?: string; to?: string; cc?: string; subject?: string; extra?: string[]; body?: string } = {},
): string {
  return [
    `From: ${o.from ?? 'Anne Person <anne@example.org>'}`,
    `To: ${o.to ?? 'ant@example.com'}`,
    ...(o.cc ? [`Cc: ${o.cc}`] : []),
    `Subject: ${o.subject ?? 'Hello ants'}`,
    'Message-ID: <post-1@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="us-ascii"',
    ...(o.extra ?? []),
    '',
    o.body ?? 'Hello, list.',
    '',
  ].join('\n');
}
