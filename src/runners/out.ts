// The `out` runner: SMTP delivery of prepared messages. Temporary refusals go to the retry
// queue with only the recipients still to do; an unreachable MTA leaves the message queued
// and pauses the runner with growing back-off instead of spinning.
import { QueueRunner, QueueItem, RunnerEnv, Disposition } from './runner.js';
import { SmtpDelivery, ConnectionFailure } from '../mta/smtp-delivery.js';
import { listAddresses } from '../services/lists.js';
import { logger } from '../logging.js';

const MAX_PAUSE_MS = 5 * 60_000;

export class OutgoingRunner extends QueueRunner {
  private readonly smtp: SmtpDelivery;
  private failures = 0;

  constructor(env: RunnerEnv, slice: number, count: number) {
    super(env, 'out', slice, count);
    this.smtp = new SmtpDelivery(env.config);
  }

  protected async dispose({ msg, msgdata, mlist }: QueueItem): Promise<Disposition> {
    const recipients = Array.isArray(msgdata.recipients) ? (msgdata.recipients as string[]) : [];
    if (recipients.length === 0) return;
    const deliverAfter = typeof msgdata.deliver_after === 'number' ? msgdata.deliver_after : 0;
    if (deliverAfter > Date.now()) return { requeue: msgdata, pauseMs: Math.min(deliverAfter - Date.now(), this.sleepMs) };
    const from = typeof msgdata.sender === 'string' && msgdata.sender ? msgdata.sender : listAddresses(mlist).bounces;
    const smtpLog = logger('smtp');
    let result;
    try {
      result = await this.smtp.deliver(msg.toBuffer(), from, recipients);
    } catch (err) {
      if (!(err instanceof ConnectionFailure)) throw err;
      this.failures++;
      const pauseMs = Math.min(MAX_PAUSE_MS, 1000 * 2 ** Math.min(this.failures - 1, 9));
      smtpLog.error({ err: err.message, pauseMs, message_id: msg.messageId }, 'SMTP unreachable; message stays queued');
      return { requeue: msgdata, pauseMs };
    }
    this.failures = 0;
    smtpLog.info({ list: mlist.list_id, message_id: msg.messageId, delivered: result.delivered.length, permanent: result.permanent.length, temporary: result.temporary.length }, 'delivered');
    for (const p of result.permanent) smtpLog.warn({ list: mlist.list_id, message_id: msg.messageId, ...p }, 'permanent delivery failure');
    if (result.temporary.length) {
      const now = Date.now();
      const until = typeof msgdata.deliver_until === 'number' ? msgdata.deliver_until : now + this.env.config.durationMs('mta', 'delivery_retry_period');
      if (now > until) {
        smtpLog.error({ list: mlist.list_id, message_id: msg.messageId, recipients: result.temporary.map((t) => t.recipient) }, 'retry period over; giving up');
        return;
      }
      await this.env.services.queues.get('retry').enqueue(msg.toBuffer(), { ...msgdata, recipients: result.temporary.map((t) => t.recipient), deliver_until: until });
    }
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.smtp.close();
  }
}

/** The `retry` runner: every sleep_time, gives deferred deliveries back to `out`. */
export class RetryRunner extends QueueRunner {
  constructor(env: RunnerEnv, slice: number, count: number) {
    super(env, 'retry', slice, count);
    this.wakeOnArrival = false;
  }

  protected async dispose({ msg, msgdata }: QueueItem): Promise<void> {
    await this.env.services.queues.get('out').enqueue(msg.toBuffer(), msgdata);
  }
}
