// The `in` runner: moderation. Runs the list's start chain (owner_chain for -owner mail,
// posting_chain otherwise); the chain's terminal effect queues, holds, bounces or drops it.
import { QueueRunner, QueueItem, RunnerEnv } from './runner.js';
import type { LiveCatalog } from '../dsl/index.js';
import { runChain } from '../moderation/chain-executor.js';
import { listAddresses } from '../model/list-addresses.js';
import { logger } from '../logging.js';
import { autorespond } from '../services/replybot.js';

export class IncomingRunner extends QueueRunner {
  constructor(
    env: RunnerEnv,
    private readonly catalog: LiveCatalog,
    slice: number,
    count: number,
  ) {
    super(env, 'in', slice, count);
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.catalog.close();
  }

  protected async dispose({ msg, msgdata, mlist }: QueueItem): Promise<void> {
    msgdata.envsender ??= `${this.env.config.get('mailman', 'noreply_address')}@${mlist.mail_host}`;
    // As Mailman: the auto-response (autorespond_owner, autorespond_postings) comes before
    // moderation, so a held or refused post is answered too; respond_and_discard ends here.
    if (!(await autorespond(this.env.services, mlist, msg, msgdata, msgdata.to_owner ? 'owner' : 'postings'))) {
      logger('vette').info({ list: mlist.list_id, message_id: msg.messageId }, 'auto-answered and discarded');
      return;
    }
    const chain = msgdata.to_owner ? mlist.owner_chain : mlist.posting_chain;
    const ctx = { mlist, msg, msgdata, services: this.env.services };
    // One snapshot for the whole run: a reload meanwhile never mixes versions in one message.
    const trace = await runChain(this.catalog.snapshot(), chain, ctx);
    if (!trace.disposition) {
      logger('vette').warn(
        { list: mlist.list_id, message_id: msg.messageId, chain, posting: listAddresses(mlist).posting },
        `chain ${chain} ended without a disposition; message dropped`,
      );
    }
  }
}
