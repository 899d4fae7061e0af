// Bounce processing as Mailman scores it. Each bounce is first recorded as an event; events
// are then scored in order, one per member per day: the score grows while bounces keep coming
// within bounce_info_stale_after of each other and starts again at 1 after a quiet spell. At
// bounce_score_threshold delivery is disabled (by_bounces) or, with [mta] verp_probes, a probe
// is sent first and only its bounce disables. A disabled member is warned
// bounce_you_are_disabled_warnings times, bounce_you_are_disabled_warnings_interval apart,
// then unsubscribed. Nothing happens on a list with process_bounces off.
import type { Repository } from 'typeorm';
import type { Services } from './services.js';
import type { MailingList, Member } from '../model/entities.js';
import { BounceEventEntity, type BounceContext, type BounceEvent } from '../model/bounce.js';
import { listAddresses } from '../model/list-addresses.js';
import { sendTemplateNotice, sendToListAdmins } from './notices.js';
import { logger } from '../logging.js';
import { verpFormats } from '../email/bounces/verp-formats.js';

const DAY_MS = 86_400_000;
/** How long a probe's token waits for the probe to bounce (Mailman's ten days). */
export const PROBE_LIFE_MS = 10 * DAY_MS;
/** Events scored per pass, so one pass over a flood of bounces stays short. */
const EVENTS_PER_PASS = 1000;

const sameUtcDay = (a: Date, b: Date) => a.toISOString().slice(0, 10) === b.toISOString().slice(0, 10);

export class BounceProcessor {
  readonly events: Repository<BounceEvent>;
  private readonly log = logger('bounce');

  constructor(private readonly s: Services) {
    this.events = s.db.getRepository(BounceEventEntity);
  }

  /** Records that `email` bounced mail of `mlist`; scored by the next processEvents(). */
  async register(
    mlist: MailingList,
    email: string,
    messageId: string,
    context: BounceContext = 'normal',
    now = new Date(),
  ): Promise<void> {
    await this.events.insert({
      list_id: mlist.list_id,
      email: email.toLowerCase(),
      timestamp: now,
      message_id: messageId.slice(0, 998),
      context,
      processed: false,
    });
    this.log.info({ list: mlist.list_id, email, context }, 'bounce recorded');
  }

  /** Scores the unprocessed events, oldest first; how many were processed. */
  async processEvents(): Promise<number> {
    const batch = await this.events.find({ where: { processed: false }, order: { id: 'ASC' }, take: EVENTS_PER_PASS });
    for (const event of batch) {
      try {
        await this.processEvent(event);
      } finally {
        await this.events.update({ id: event.id }, { processed: true });
      }
    }
    return batch.length;
  }

  private async processEvent(event: BounceEvent): Promise<void> {
    const mlist = await this.s.lists.get(event.list_id);
    if (!mlist || !mlist.process_bounces) return;
    const member = await this.s.members.findMember(mlist.list_id, event.email, 'member');
    if (!member) {
      this.log.info({ list: mlist.list_id, email: event.email }, 'bounce from an address that is not a member');
      return;
    }
    if (event.context === 'probe') return this.disable(mlist, member, event.email);
    if (member.delivery_status === 'by_bounces') return; // already off: a bounce still on its way
    const at = new Date(event.timestamp);
    const last = member.last_bounce_received ? new Date(member.last_bounce_received) : null;
    if (last && sameUtcDay(last, at)) {
      await this.s.members.update(member, { last_bounce_received: at });
      return;
    }
    const stale = !last || last.getTime() < at.getTime() - Number(mlist.bounce_info_stale_after) * DAY_MS;
    const score = stale ? 1 : Number(member.bounce_score) + 1;
    await this.s.members.update(member, { bounce_score: score, last_bounce_received: at });
    const threshold = Number(mlist.bounce_score_threshold);
    const probes = this.s.config.bool('mta', 'verp_probes');
    this.log.info({ list: mlist.list_id, email: event.email, score, threshold }, 'bounce scored');
    if (mlist.bounce_notify_owner_on_bounce_increment && (score < threshold || !probes))
      await sendToListAdmins(this.s, mlist, 'list:admin:notice:increment', {
        subject: `${event.email}'s bounce score incremented`,
        subs: { member: event.email },
      });
    if (score < threshold) return;
    if (probes) await this.sendProbe(mlist, member, event.email, event.message_id);
    else await this.disable(mlist, member, event.email);
  }

  private async disable(mlist: MailingList, member: Member, email: string): Promise<void> {
    if (member.delivery_status === 'by_bounces') return;
    await this.s.members.update(member, {
      delivery_status: 'by_bounces',
      total_warnings_sent: 0,
      last_warning_sent: null,
    });
    this.log.info({ list: mlist.list_id, email }, 'delivery disabled by bounces');
    if (mlist.bounce_notify_owner_on_disable)
      await sendToListAdmins(this.s, mlist, 'list:admin:notice:disable', {
        subject: `${email}'s subscription disabled on ${mlist.display_name}`,
        subs: { member: email },
      });
  }

  /**
   * A message from `LIST-bounces+TOKEN@…`: if it bounces, the token names the member, however
   * the remote MTA words its report. The score starts again, so the probe decides alone.
   */
  async sendProbe(mlist: MailingList, member: Member, email: string, messageId: string): Promise<string> {
    const pended = await this.s.pendings.add(
      'probe',
      { member_id: member.member_id, message_id: messageId },
      { listId: mlist.list_id, email, lifeMs: PROBE_LIFE_MS },
    );
    const sender = verpFormats(this.s.config).probeSender(listAddresses(mlist).bounces, pended.token);
    await sendTemplateNotice(this.s, mlist, 'list:user:notice:probe', {
      to: email,
      from: sender,
      subject: `${mlist.display_name} mailing list probe message`,
      subs: { sender_email: email, address: email, email, owneraddr: listAddresses(mlist).owner },
      precedence: null,
      msgdata: { sender },
    });
    await this.s.members.update(member, { bounce_score: 0 });
    this.log.info({ list: mlist.list_id, email }, 'probe sent');
    return pended.token;
  }

  /** The member a probe's token was sent to, taking the token out; undefined when it is not one. */
  async probedAddress(token: string): Promise<string | undefined> {
    const found = await this.s.pendings.get<{ member_id?: string }>(token);
    if (!found || found.row.type !== 'probe') return undefined;
    await this.s.pendings.remove(token);
    return found.row.email ?? undefined;
  }

  /** Warns the disabled members whose interval has passed, and removes those warned enough. */
  async sendWarningsAndRemove(now = new Date()): Promise<{ warned: number; removed: number }> {
    const rows = await this.s.sql.all<{ id: number }>(
      'SELECT m.id FROM member m JOIN mailinglist l ON l.list_id = m.list_id ' +
        "WHERE m.role = 'member' AND m.delivery_status = 'by_bounces' AND l.process_bounces = ?",
      [true],
    );
    let warned = 0;
    let removed = 0;
    const members = rows.length ? await this.s.members.byIds(rows.map((r) => r.id)) : [];
    for (const { member, address } of members) {
      const mlist = await this.s.lists.get(member.list_id);
      if (!mlist) continue;
      const warnings = Number(mlist.bounce_you_are_disabled_warnings);
      const interval = Number(mlist.bounce_you_are_disabled_warnings_interval) * DAY_MS;
      const last = member.last_warning_sent ? new Date(member.last_warning_sent).getTime() : 0;
      const due = last + interval <= now.getTime();
      const sent = Number(member.total_warnings_sent);
      if (sent < warnings && due) {
        const { preferred_language: language } = await this.s.preferences.effective(member);
        await sendTemplateNotice(this.s, mlist, 'list:user:notice:warning', {
          to: address.email,
          from: listAddresses(mlist).bounces,
          subject: `Your membership in the ${mlist.display_name} mailing list has been disabled`,
          subs: { sender_email: address.email, owner_email: listAddresses(mlist).owner },
          language,
        });
        await this.s.members.update(member, { total_warnings_sent: sent + 1, last_warning_sent: now });
        warned++;
      } else if (sent >= warnings && (due || warnings === 0)) {
        const notify = !!mlist.bounce_notify_owner_on_removal;
        await this.s.workflows.deleteMember(mlist, member, address.email, null, notify ? false : null);
        if (notify)
          await sendToListAdmins(this.s, mlist, 'list:admin:notice:removal', {
            subject: `${address.email} unsubscribed from ${mlist.display_name} mailing list due to bounces`,
            subs: { member: address.email },
          });
        this.log.info({ list: mlist.list_id, email: address.email }, 'removed after excessive bounces');
        removed++;
      }
    }
    return { warned, removed };
  }
}
