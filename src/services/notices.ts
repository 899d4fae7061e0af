// Sending the server's own messages (hold notices, rejections, acknowledgements): through the
// list's virgin queue, so they get the list headers too.
import type { Services } from './services.js';
import type { MailingList } from '../model/entities.js';
import type { MsgData } from '../queue/qfile.js';
import type { Message } from '../email/message.js';
import { buildNotice, type Notice } from '../email/notice.js';
import { listAddresses } from '../model/list-addresses.js';
import type { TemplateLoader, TemplateName } from './templates.js';
import type { Switchboards } from '../queue/switchboard.js';
import type { MemberManager } from './members.js';
import type { Config } from '../config/config.js';
import { verpFormats } from '../email/bounces/verp-formats.js';

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
 * Bounces a post to its sender with the reasons (list:user:notice:rejected) and the original
 * attached, from the list's -owner address so a reply reaches a person. Nothing is sent for a
 * post without a sender.
 */
export async function sendRejection(
  services: Services,
  mlist: MailingList,
  msg: Message,
  reasons: string[],
): Promise<void> {
  const sender = msg.senders(services.senderHeaders)[0];
  if (!sender) return;
  await sendTemplateNotice(services, mlist, 'list:user:notice:rejected', {
    from: listAddresses(mlist).owner,
    to: sender,
    subject: msg.get('subject') ?? '(no subject)',
    // Mailman names the list by its display name in this one template.
    subs: { reasons: reasonLines(reasons), listname: mlist.display_name },
    attach: [msg.toBuffer()],
  });
}

/** Reasons as the notices quote them: one to a line, indented. */
export function reasonLines(reasons: readonly string[]): string {
  return (reasons.length ? reasons : ['No reason given']).map((r) => `    ${r}`).join('\n');
}

/**
 * The addresses of a confirmation about `token`: `confirmEmail` (LIST-confirm+TOKEN, which
 * confirms by a plain reply and is always accepted) and `from`, what the request is sent from:
 * the same with [mta] verp_confirmations, else -request (the token then rides in the subject).
 */
export function confirmationAddresses(
  config: Config,
  mlist: MailingList,
  token: string,
): { confirmEmail: string; from: string } {
  const confirmEmail = verpFormats(config).confirmAddress(`${mlist.list_name}-confirm@${mlist.mail_host}`, token);
  return { confirmEmail, from: config.bool('mta', 'verp_confirmations') ? confirmEmail : listAddresses(mlist).request };
}

/** What sending a templated notice needs of the services. */
export interface TemplateNoticeDeps {
  templates: TemplateLoader;
  queues: Switchboards;
  members: MemberManager;
  config: Config;
}

export interface TemplateNotice {
  to: string;
  from: string;
  subject: string;
  subs?: Record<string, string>;
  headers?: Record<string, string>;
  precedence?: string | null;
  language?: string;
  /** Attached whole as message/rfc822 (the post a hold or a rejection is about). */
  attach?: Buffer[];
  /** More metadata for the queue file (e.g. `sender`, the envelope sender of a probe). */
  msgdata?: MsgData;
}

/** Renders a named template for the list and queues it to one recipient. */
export async function sendTemplateNotice(
  d: TemplateNoticeDeps,
  mlist: MailingList,
  name: TemplateName,
  n: TemplateNotice,
): Promise<void> {
  const text = await d.templates.render(name, { mlist, language: n.language }, n.subs ?? {});
  const raw = await buildNotice(
    {
      from: n.from,
      to: n.to,
      subject: n.subject,
      text,
      headers: n.headers,
      precedence: n.precedence,
      attach: n.attach,
    },
    mlist.mail_host,
  );
  await d.queues.get('virgin').enqueue(raw, {
    listid: mlist.list_id,
    recipients: [n.to],
    reduced_list_headers: true,
    nodecorate: true,
    ...n.msgdata,
  });
}

/**
 * The people a list's notices to its administrators go to: its owners and moderators with
 * delivery on, or the site owner when the list has none.
 */
export async function listAdmins(d: Pick<TemplateNoticeDeps, 'members' | 'config'>, mlist: MailingList) {
  const admins = [
    ...(await d.members.enabledInRole(mlist.list_id, 'owner')),
    ...(await d.members.enabledInRole(mlist.list_id, 'moderator')),
  ];
  return admins.length ? [...new Set(admins)] : [d.config.get('mailman', 'site_owner')];
}

/** A templated notice to the list's administrators, from its -owner address. */
export async function sendToListAdmins(
  d: TemplateNoticeDeps,
  mlist: MailingList,
  name: TemplateName,
  n: { subject: string; subs?: Record<string, string>; attach?: Buffer[] },
): Promise<void> {
  const owner = listAddresses(mlist).owner;
  const text = await d.templates.render(name, { mlist }, n.subs ?? {});
  const recipients = await listAdmins(d, mlist);
  const raw = await buildNotice(
    { from: owner, to: owner, subject: n.subject, text, attach: n.attach },
    mlist.mail_host,
  );
  await d.queues.get('virgin').enqueue(raw, {
    listid: mlist.list_id,
    recipients,
    reduced_list_headers: true,
    nodecorate: true,
  });
}
