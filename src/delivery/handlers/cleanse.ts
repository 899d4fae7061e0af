// Headers that must not reach the members: moderator passwords, requests for receipts that
// would send every member's read-receipt to the poster, a stale Archived-At. On an anonymous
// list, also everything that names the poster, and From/Reply-To become the list.
import { defineHandler } from '../../registry.js';
import { formatAddress } from '../../email/addresses.js';
import { makeMessageId } from '../../email/message.js';
import { listAddresses } from '../../model/list-addresses.js';
import { logger } from '../../logging.js';

const ALWAYS = [
  'Approved',
  'Approve',
  'X-Approved',
  'X-Approve',
  'Urgent',
  'Return-Receipt-To',
  'Disposition-Notification-To',
  'X-Confirm-Reading-To',
  'X-PMRQC',
  'Archived-At',
];
const IDENTIFYING = [
  'From',
  'Reply-To',
  'Sender',
  'Organization',
  'Return-Path',
  'X-Originating-Email',
  'Received',
  'X-MailFrom',
  'X-Envelope-From',
];
/** Mailman's [mailman] anonymous_list_keep_headers default: X- headers that say nothing of the poster. */
export const ANONYMOUS_KEEP = [
  /^x-mailman-/i,
  /^x-content-filtered-by:/i,
  /^x-topics:/i,
  /^x-ack:/i,
  /^x-beenthere:/i,
  /^x-list-administrivia:/i,
  /^x-spam-/i,
];

export default defineHandler({
  name: 'cleanse',
  description: 'Remove Approved and receipt-request headers; anonymise the post on an anonymous list.',
  process({ mlist, msg }) {
    for (const h of ALWAYS) msg.remove(h);
    if (!mlist.anonymous_list) return;
    logger('vette').info({ list: mlist.list_id, from: msg.get('from') }, 'post anonymized');
    for (const h of IDENTIFYING) msg.remove(h);
    const names = [...new Set(msg.names())];
    for (const key of names) {
      if (key.startsWith('x-') && !ANONYMOUS_KEEP.some((re) => re.test(`${key}:`))) msg.remove(key);
    }
    // The Message-ID names the poster's host too.
    msg.set('Message-ID', makeMessageId(mlist.mail_host));
    const posting = listAddresses(mlist).posting;
    msg.add('From', formatAddress(posting, mlist.description));
    msg.add('Reply-To', posting);
  },
});
