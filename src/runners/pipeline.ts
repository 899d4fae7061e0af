// The `pipeline` runner: the list's handlers prepare an accepted post and fan it out to
// the out (and later archive and digest) queues. A handler ends the run by throwing
// DiscardMessage (logged) or RejectMessage (bounced to the sender).
import { QueueRunner, QueueItem, RunnerEnv } from './runner.js';
import type { LiveCatalog } from '../dsl/index.js';
import { runPipeline } from '../delivery/pipeline-executor.js';
import { DiscardMessage, RejectMessage, MessageContext } from '../registry.js';
import { logger } from '../logging.js';
import { sendRejection } from '../services/notices.js';

export class PipelineRunner extends QueueRunner {
  constructor(
    env: RunnerEnv,
    protected readonly catalog: LiveCatalog,
    slice: number,
    count: number,
    queue = 'pipeline',
  ) {
    super(env, queue, slice, count);
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.catalog.close();
  }

  protected pipelineName({ msgdata, mlist }: QueueItem): string {
    return msgdata.to_owner ? mlist.owner_pipeline : mlist.posting_pipeline;
  }

  protected async dispose(item: QueueItem): Promise<void> {
    const ctx: MessageContext = {
      mlist: item.mlist,
      msg: item.msg,
      msgdata: item.msgdata,
      services: this.env.services,
      archivers: this.env.registry?.archivers,
    };
    try {
      await runPipeline(this.catalog.snapshot(), this.pipelineName(item), ctx);
    } catch (err) {
      if (err instanceof DiscardMessage) {
        logger('vette').info(
          { list: item.mlist.list_id, message_id: item.msg.messageId, reason: err.message },
          `DISCARD in pipeline: ${err.message}`,
        );
        return;
      }
      if (err instanceof RejectMessage) {
        logger('vette').info(
          { list: item.mlist.list_id, message_id: item.msg.messageId, reason: err.message },
          `REJECT in pipeline: ${err.message}`,
        );
        await sendRejection(this.env.services, item.mlist, item.msg, [err.message]);
        return;
      }
      throw err;
    }
  }
}

/** The `virgin` runner: mail the server itself writes, through the `virgin` pipeline. */
export class VirginRunner extends PipelineRunner {
  constructor(env: RunnerEnv, catalog: LiveCatalog, slice: number, count: number) {
    super(env, catalog, slice, count, 'virgin');
  }

  protected override pipelineName(): string {
    return 'virgin';
  }

  protected override async dispose(item: QueueItem): Promise<void> {
    // Generated mail skips the list's own rewriting (subject prefix, Reply-To munging).
    item.msgdata._fasttrack = true;
    await super.dispose(item);
  }
}
