// Auto-responses (Mailman's replybot): a list may answer mail to its -owner address, its
// -request address or the list itself with a fixed text, and then either let the message go
// on or drop it (a retired list's "this address is no longer read"). The -owner and posting
// cases reach this through the `replybot` handler; the command runner calls it for -request.
import type { Services } from './services.js';
import type { MailingList } from '../model/entities.js';
import type { Message } from '../email/message.js';
import { isBulkMail } from '../email/notice.js';
import type { MsgData } from '../queue/qfile.js';
import type { ResponseType } from '../model/autoresponse.js';
import { listAddresses } from '../model/list-addresses.js';
import { expandTemplate, listSubstitutions } from './templates.js';
import { sendNotice, sendTemplateNotice } from './notices.js';

/** Where the message was sent: the list's -owner, its -request, or the list itself. */
export type AutoResponseKind = 'owner' | 'request' | 'postings';

const SETTINGS: Record<AutoResponseKind, { action: string; text: string; type: ResponseType }> = {
  owner: { action: 'autorespond_owner', text: 'autoresponse_owner_text', type: 'owner' },
  request: { action: 'autorespond_requests', text: 'autoresponse_request_text', type: 'command' },
  postings: { action: 'autorespond_postings', text: 'autoresponse_postings_text', type: 'postings' },
};

const DAY_MS = 24 * 60 * 60 * 1000;
const today = (now: Date) => now.toISOString().slice(0, 10);

/**
 * Sends the auto-response `mlist` has for mail of `kind`, if any is due, and says whether the
 * message should go on: false under respond_and_discard, whether or not a response was due
 * (a second message inside the grace period is dropped as the first was).
 */
export async function autorespond(
  services: Services,
  mlist: MailingList,
  msg: Message,
  msgdata: MsgData,
  kind: AutoResponseKind,
  opts: { dryRun?: boolean; now?: Date } = {},
): Promise<boolean> {
  const setting = SETTINGS[kind];
  const action = String(mlist[setting.action] ?? 'none');
  if (action === 'none') return true;
  if (!opts.dryRun) await respond(services, mlist, msg, msgdata, kind, opts.now ?? new Date());
  return action !== 'respond_and_discard';
}

async function respond(
  services: Services,
  mlist: MailingList,
  msg: Message,
  msgdata: MsgData,
  kind: AutoResponseKind,
  now: Date,
): Promise<void> {
  const setting = SETTINGS[kind];
  // X-Ack: yes asks for a response whatever else the message says (a tester's switch);
  // X-Ack: no, and mail that is itself list or bulk mail, never gets one (mail loops).
  const ack = (msg.get('x-ack') ?? '').trim().toLowerCase();
  if (ack === 'no' || msgdata.noack === true) return;
  if (isBulkMail((n) => msg.get(n))) return;
  const sender = msg.senders(services.senderHeaders)[0];
  if (!sender) return;
  const grace = Number(mlist.autoresponse_grace_period) || 0;
  if (grace > 0 && ack !== 'yes') {
    const last = await services.autoresponses.lastSent(mlist.list_id, sender, setting.type);
    if (last && Date.parse(`${today(now)}T00:00:00Z`) - Date.parse(`${last}T00:00:00Z`) < grace * DAY_MS) return;
  }
  const decision = await services.autoresponses.claim(mlist.list_id, sender, setting.type, now);
  if (decision === 'silent') return;
  const addrs = listAddresses(mlist);
  if (decision === 'last-notice') {
    await sendTemplateNotice(services, mlist, 'list:user:notice:no-more-today', {
      to: sender,
      from: addrs.owner,
      subject: 'Last autoresponse notification for today',
      subs: {
        sender_email: sender,
        count: String(services.config.int('mta', 'max_autoresponses_per_day')),
        owneremail: addrs.owner,
      },
    });
    return;
  }
  const text = expandTemplate(String(mlist[setting.text] ?? ''), {
    ...listSubstitutions(mlist),
    listname: addrs.posting,
    requestemail: addrs.request,
    owneremail: addrs.owner,
  });
  await sendNotice(services, mlist, {
    from: addrs.bounces,
    to: sender,
    subject: `Auto-response for your message to the "${mlist.display_name}" mailing list`,
    text,
    headers: { 'X-Mailer': 'The Mailman Replybot', 'X-Ack': 'No' },
  });
}
