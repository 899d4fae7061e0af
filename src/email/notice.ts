// Messages the server itself writes (hold notices, rejections): built with nodemailer's
// MailComposer and sent through the virgin queue, so they get the list headers too.
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Services } from '../services/services.js';
import type { MailingList } from '../model/entities.js';
import type { MsgData } from '../queue/qfile.js';
import { makeMessageId, type Message } from './message.js';
import { listAddresses } from '../model/list-addresses.js';

export interface Notice {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** Attached whole as message/rfc822 (the original post, for a rejection or a hold). */
  attach?: Buffer[];
  headers?: Record<string, string>;
}

export async function buildNotice(n: Notice, domain: string): Promise<Buffer> {
  const composer = new MailComposer({
    from: n.from,
    to: n.to,
    subject: n.subject,
    text: n.text,
    messageId: makeMessageId(domain),
    date: new Date(),
    headers: { Precedence: 'bulk', ...(n.headers ?? {}) },
    attachments: (n.attach ?? []).map((content) => ({ content, contentType: 'message/rfc822', contentDisposition: 'inline' as const })),
  });
  return composer.compile().build();
}

/** Queues a notice for delivery to its recipients through the list's virgin pipeline. */
export async function sendNotice(services: Services, mlist: MailingList, n: Notice, extra: MsgData = {}): Promise<void> {
  const raw = await buildNotice(n, mlist.mail_host);
  await services.queues.get('virgin').enqueue(raw, { listid: mlist.list_id, recipients: [n.to], reduced_list_headers: true, nodecorate: true, ...extra });
}

/** Mailman's can_acknowledge: never auto-answer mail that is itself automatic or list mail. */
export function canAcknowledge(get: (name: string) => string | undefined, has: (name: string) => boolean, headerNames: string[]): boolean {
  if (has('x-no-ack') || has('precedence')) return false;
  if (headerNames.some((h) => h.startsWith('list-'))) return false;
  if ((get('x-ack') ?? '').toLowerCase() === 'no') return false;
  const auto = get('auto-submitted');
  if (auto && auto.toLowerCase() !== 'no') return false;
  if ((get('return-path') ?? '').trim() === '<>') return false;
  return true;
}

/**
 * Bounces a post to its sender with the reasons and the original attached, from the list's
 * -owner address so a reply reaches a person. Nothing is sent for a post without a sender.
 */
export async function sendRejection(services: Services, mlist: MailingList, msg: Message, reasons: string[]): Promise<void> {
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
  await sendNotice(services, mlist, { from: listAddresses(mlist).owner, to: sender, subject: msg.get('subject') ?? '(no subject)', text, attach: [msg.toBuffer()] });
}
