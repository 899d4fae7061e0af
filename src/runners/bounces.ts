// The `bounces` runner: mail to LIST-bounces. The member a bounce is about comes from, in
// order: a probe's token (LIST-bounces+TOKEN), a VERP'd address (LIST-bounces+anne=example.org,
// counted only when the report says the failure is permanent, so an autoreply to a VERP'd
// copy scores nothing), or the report itself (DSN or a known MTA format). A report naming
// nobody goes to the list's administrators or the site owner (forward_unrecognized_bounces_to).
// Addresses the MTA refused for good at SMTP time come from the out runner the same way.
// Slice 0 also scores the recorded events and sends the warnings and removals that follow,
// after each bounce and every [runner.bounces] sleep_time; one scorer, so no two passes race
// over one member's score.
import { QueueRunner, type QueueItem, type RunnerEnv } from './runner.js';
import { scanBounce, verpFormats, VERP_HEADERS } from '../email/bounces/index.js';
import { listAddresses } from '../model/list-addresses.js';
import { sendToListAdmins, sendNotice } from '../services/notices.js';
import { PendingManager } from '../services/pendings.js';
import type { MailingList } from '../model/entities.js';
import type { Message } from '../email/message.js';

export class BounceRunner extends QueueRunner {
  private timer: NodeJS.Timeout | undefined;
  private scoring: Promise<void> | undefined;
  private rescore = false;

  constructor(
    env: RunnerEnv,
    private readonly slice: number,
    count: number,
  ) {
    super(env, 'bounces', slice, count);
  }

  override async start(opts: { blame?: boolean } = {}): Promise<void> {
    await super.start(opts);
    if (this.slice !== 0) return;
    this.timer = setInterval(() => void this.score(), Math.max(1000, this.sleepMs));
    this.timer.unref();
    void this.score();
  }

  override async stop(): Promise<void> {
    clearInterval(this.timer);
    await super.stop();
    await this.scoring;
  }

  protected async dispose({ msg, msgdata, mlist }: QueueItem): Promise<void> {
    if (!mlist.process_bounces) return;
    const { bounces } = this.env.services;
    const messageId = msg.messageId ?? '';
    if (Array.isArray(msgdata.smtp_refused)) {
      // From the out runner: the MTA refused these for good when the post was handed over.
      for (const email of msgdata.smtp_refused)
        if (typeof email === 'string') await bounces.register(mlist, email, messageId);
      return this.afterRegister();
    }
    const detail = typeof msgdata.bounce_detail === 'string' ? msgdata.bounce_detail : '';
    const bouncesLocal = listAddresses(mlist).bounces.split('@')[0]!;
    const delimiter = this.env.config.get('mta', 'verp_delimiter') || '+';
    const formats = verpFormats(this.env.config);
    // The LMTP server kept what followed the delimiter; the formats read the whole address.
    const envelope = detail ? `${bouncesLocal}${delimiter}${detail}@${mlist.mail_host}` : '';
    const token = envelope ? formats.probeToken(envelope, bouncesLocal) : undefined;
    if (token && PendingManager.isToken(token)) {
      const probed = await bounces.probedAddress(token);
      if (probed) {
        await bounces.register(mlist, probed, messageId, 'probe');
        return this.afterRegister();
      }
    }
    const candidates = [
      ...(envelope ? [envelope] : []),
      ...VERP_HEADERS.flatMap((h) => msg.addresses(h).map((a) => a.email)),
    ];
    const verped = formats.memberOf(candidates, bouncesLocal);
    const report = scanBounce(msg);
    if (verped) {
      if (report && report.temporary.length) return this.log.info({ messageId }, 'VERP bounce, temporary failure');
      if (!report?.permanent.length) return this.forward(mlist, msg, 'VERP bounce that is no failure report');
      await bounces.register(mlist, verped, messageId);
      return this.afterRegister();
    }
    if (report?.permanent.length) {
      for (const email of report.permanent) await bounces.register(mlist, email, messageId);
      return this.afterRegister();
    }
    if (report?.temporary.length) return this.log.info({ messageId, detector: report.detector }, 'temporary failure');
    if (report) return this.log.info({ messageId }, 'a delivery report that names no failure');
    return this.forward(mlist, msg, 'unrecognized bounce');
  }

  private async forward(mlist: MailingList, msg: Message, why: string): Promise<void> {
    const to = String(mlist.forward_unrecognized_bounces_to ?? 'administrators');
    this.log.info({ list: mlist.list_id, messageId: msg.messageId, to }, why);
    if (to === 'discard') return;
    const subject = 'Uncaught bounce notification';
    if (to === 'site_owner') {
      const text = await this.env.services.templates.render('list:admin:notice:unrecognized', { mlist }, {});
      const siteOwner = this.env.config.get('mailman', 'site_owner');
      await sendNotice(this.env.services, mlist, {
        from: listAddresses(mlist).owner,
        to: siteOwner,
        subject,
        text,
        attach: [msg.toBuffer()],
      });
      return;
    }
    await sendToListAdmins(this.env.services, mlist, 'list:admin:notice:unrecognized', {
      subject,
      attach: [msg.toBuffer()],
    });
  }

  private async afterRegister(): Promise<void> {
    if (this.slice === 0) await this.score();
  }

  /** One scoring pass at a time; a call while one runs makes it go round once more. */
  private score(): Promise<void> {
    if (this.scoring) {
      this.rescore = true;
      return this.scoring;
    }
    this.scoring = (async () => {
      const { bounces } = this.env.services;
      do {
        this.rescore = false;
        try {
          while ((await bounces.processEvents()) > 0);
          await bounces.sendWarningsAndRemove();
        } catch (err) {
          this.log.error({ err }, 'bounce scoring failed; the next pass tries again');
        }
      } while (this.rescore);
    })().finally(() => (this.scoring = undefined));
    return this.scoring;
  }
}
