// Sending the server's own messages (hold notices, rejections, acknowledgements): through the
// list's virgin queue, so they get the list headers too.
import type { Services } from './services.js';
import type { MailingList } from '../model/entities.js';
import type { MsgData } from '../queue/qfile.js';
import type { Message } from '../email/message.js';
import { buildNotice, type Notice } from '../email/notice.js';
import { listAddresses } from '../model/list-addresses.js';

/** Queues a notice for delivery to its recipients through the list's virgin pipeline. */
export async function sendNotice(
  services: Services,
  mlist: MailingList,
  n: Notice,
  extra: MsgData = {},
): Promise<void> {
  const raw = await buildNotice(n, mlist.mail_host);
  await services.queues.get('virgin').enqueue(raw, {
    listid: mlist.list_id,
    recipients: [n.to],
    reduced_list_headers: true,
    nodecorate: true,
    ...extra,
  });
}

/**
 * Bounces a post to its sender with the reasons and the original attached, from the list's
 * -owner address so a reply reaches a person. Nothing is sent for a post without a sender.
 */
export async function sendRejection(
  services: Services,
  mlist: MailingList,
  msg: Message,
  reasons: string[],
): Promise<void> {
  const sender = msg.senders(services.senderHeaders)[0];
  if (!sender) return;
  const text = [
    `Your message to the ${mlist.display_name} mailing-list was rejected for the following reasons:`,
    '',
    ...(reasons.length ? reasons : ['No reason given']).map((r) => `    ${r}`),
    '',
    'The original message as received by the list is attached.',
    '',
  ].join('\n');
  await sendNotice(services, mlist, {
    from: listAddresses(mlist).owner,
    to: sender,
    subject: msg.get('subject') ?? '(no subject)',
    text,
    attach: [msg.toBuffer()],
  });
}
