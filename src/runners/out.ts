// The `out` runner: SMTP delivery of prepared messages. Temporary refusals go to the retry
// queue with only the recipients still to do; an unreachable MTA leaves the message queued
// and pauses the runner with growing back-off instead of spinning.
import { QueueRunner, QueueItem, RunnerEnv, Disposition } from './runner.js';
import { SmtpDelivery, ConnectionFailure } from '../mta/smtp-delivery.js';
import { listAddresses } from '../model/list-addresses.js';
import { logger } from '../logging.js';
import {
  decorate,
  decorationTexts,
  shouldDecorate,
  type DecorationTexts,
  type MemberData,
} from '../delivery/decorate.js';
import { PersonalCopies } from '../delivery/personal-copies.js';
import { formatAddress } from '../email/addresses.js';
import { verpFormats } from '../email/bounces/index.js';
import { sealCopy } from '../delivery/handlers/arc-sign.js';
import { arcSettings } from '../delivery/authenticity.js';
import { Message } from '../email/message.js';
import type { MailingList } from '../model/entities.js';
import type { MsgData } from '../queue/qfile.js';

const MAX_PAUSE_MS = 5 * 60_000;

export class OutgoingRunner extends QueueRunner {
  private readonly smtp: SmtpDelivery;
  private failures = 0;

  constructor(env: RunnerEnv, slice: number, count: number) {
    super(env, 'out', slice, count);
    this.smtp = new SmtpDelivery(env.config);
  }

  protected async dispose({ base, msg, msgdata, mlist }: QueueItem): Promise<Disposition> {
    const recipients = Array.isArray(msgdata.recipients) ? (msgdata.recipients as string[]) : [];
    if (recipients.length === 0) return;
    const deliverAfter = typeof msgdata.deliver_after === 'number' ? msgdata.deliver_after : 0;
    if (deliverAfter > Date.now())
      return { requeue: msgdata, pauseMs: Math.min(deliverAfter - Date.now(), this.sleepMs) };
    const from = typeof msgdata.sender === 'string' && msgdata.sender ? msgdata.sender : listAddresses(mlist).bounces;
    const smtpLog = logger('smtp');
    // After each transaction, before that connection's next one: a crash from here on re-sends
    // only what no transaction has settled yet (Switchboard.recover reads this back).
    const onDecided = (done: string[]) => this.switchboard.recordDone(base, done);
    // The header and footer are read once here, not per copy: a roster of thousands must not
    // mean thousands of template lookups.
    const texts = shouldDecorate(msgdata, recipients)
      ? await decorationTexts(this.env.services.templates, mlist)
      : undefined;
    const formats = verpFormats(this.env.config);
    const verp = this.verps(mlist, msgdata) ? formats.envelopes(listAddresses(mlist).bounces) : undefined;
    let result;
    try {
      if (mlist.personalize !== 'none') {
        const copyOf = await this.personalCopies(msg, mlist, msgdata, texts);
        result = await this.smtp.deliverEach(
          recipients.map((recipient) => ({ recipient, raw: () => copyOf(recipient), from: verp?.(recipient) })),
          from,
          onDecided,
        );
      } else {
        const copy = await sealCopy(this.env.config, msgdata, this.bulkCopy(msg, mlist, msgdata, texts));
        // VERP without personalisation: one copy, one envelope per recipient.
        result = verp
          ? await this.smtp.deliverEach(
              recipients.map((recipient) => ({ recipient, raw: copy, from: verp(recipient) })),
              from,
              onDecided,
            )
          : await this.smtp.deliver(copy, from, recipients, onDecided);
      }
    } catch (err) {
      if (!(err instanceof ConnectionFailure)) throw err;
      this.failures++;
      const pauseMs = Math.min(MAX_PAUSE_MS, 1000 * 2 ** Math.min(this.failures - 1, 9));
      smtpLog.error({ err: err.message, pauseMs, message_id: msg.messageId }, 'SMTP unreachable; message stays queued');
      return { requeue: msgdata, pauseMs };
    }
    this.failures = 0;
    smtpLog.info(
      {
        list: mlist.list_id,
        message_id: msg.messageId,
        delivered: result.delivered.length,
        permanent: result.permanent.length,
        temporary: result.temporary.length,
      },
      'delivered',
    );
    for (const p of result.permanent)
      smtpLog.warn({ list: mlist.list_id, message_id: msg.messageId, ...p }, 'permanent delivery failure');
    // Refused for good at RCPT or DATA: as much a bounce as a DSN that came back later. The
    // bounces runner records and scores it, as it does every bounce.
    if (mlist.process_bounces && result.permanent.length)
      await this.env.services.queues.get('bounces').enqueue(msg.toBuffer(), {
        listid: mlist.list_id,
        smtp_refused: result.permanent.map((p) => p.recipient),
      });
    if (result.temporary.length) {
      const now = Date.now();
      const until =
        typeof msgdata.deliver_until === 'number'
          ? msgdata.deliver_until
          : now + this.env.config.durationMs('mta', 'delivery_retry_period');
      if (now > until) {
        smtpLog.error(
          { list: mlist.list_id, message_id: msg.messageId, recipients: result.temporary.map((t) => t.recipient) },
          'retry period over; giving up',
        );
        return;
      }
      await this.env.services.queues.get('retry').enqueue(msg.toBuffer(), {
        ...msgdata,
        recipients: result.temporary.map((t) => t.recipient),
        deliver_until: until,
      });
    }
  }

  /**
   * Whether each recipient gets its own envelope sender, LIST-bounces+user=domain, so a bounce
   * names its member whatever the remote MTA writes: as asked by the message (mail to -owner),
   * else as Mailman decides it: personalised lists with [mta] verp_personalized_deliveries,
   * or every verp_delivery_interval-th post.
   */
  private verps(mlist: MailingList, msgdata: MsgData): boolean {
    if (typeof msgdata.verp === 'boolean') return msgdata.verp;
    if (msgdata.sender) return false; // an envelope of its own already (a probe, a notice's)
    const { config } = this.env;
    if (mlist.personalize !== 'none' && config.bool('mta', 'verp_personalized_deliveries')) return true;
    const interval = config.int('mta', 'verp_delivery_interval');
    return interval === 1 || (interval > 1 && Number(mlist.post_id) % interval === 0);
  }

  /** Bulk delivery: one copy, decorated once without member data, for every recipient. */
  private bulkCopy(msg: Message, mlist: MailingList, msgdata: MsgData, texts?: DecorationTexts): Buffer {
    return texts ? decorate(msg, mlist, texts, msgdata).toBuffer() : msg.toBuffer();
  }

  /**
   * Personalised delivery (personalize individual or full), one copy per recipient as
   * Mailman's: X-Mailman-Copy for those also addressed directly (avoid-duplicates), the footer
   * with the member's data, and for `full` the recipient in To. The members' data is read in
   * one query for the whole roster; each copy is built (and ARC-sealed) only when its
   * transaction starts, so a large roster is never in memory as copies all at once.
   */
  private async personalCopies(
    msg: Message,
    mlist: MailingList,
    msgdata: MsgData,
    texts?: DecorationTexts,
  ): Promise<(recipient: string) => Buffer | Promise<Buffer>> {
    const members: Map<string, MemberData> = await this.env.services.members.deliveryData(mlist.list_id);
    const dup = new Set(Array.isArray(msgdata['add-dup-header']) ? (msgdata['add-dup-header'] as string[]) : []);
    const copies = new PersonalCopies(msg, mlist, msgdata, texts);
    const sealing = arcSettings(this.env.config) !== undefined;
    return (recipient) => {
      const key = recipient.toLowerCase();
      const raw = copies.copy(recipient, members.get(key) ?? { email: recipient }, dup.has(key));
      return sealing ? sealCopy(this.env.config, msgdata, raw) : raw;
    };
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
