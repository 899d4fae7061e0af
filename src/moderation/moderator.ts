// What a moderator does with a held message: accept it (it resumes at the pipeline, the
// chains are not run again), reject it (the poster is told why), discard it, or defer the
// decision; any of them may also forward a copy. Shared by the REST API and the CLI.
import { logger } from '../logging.js';
import { Message } from '../email/message.js';
import { sendNotice, sendTemplateNotice } from '../services/notices.js';
import { listAddresses } from '../model/list-addresses.js';
import type { MailingList } from '../model/entities.js';
import type { Services } from '../services/services.js';
import type { HeldMessage } from '../services/requests.js';

export const HELD_ACTIONS = ['accept', 'reject', 'discard', 'defer', 'hold'] as const;
export type HeldAction = (typeof HELD_ACTIONS)[number];

export interface ModerationOptions {
  /** The moderator's words, quoted to the poster on reject. */
  comment?: string;
  /** Addresses that get a copy of the held message, whatever the action. */
  forward?: string[];
}

export class UnknownHeldMessage extends Error {}

/** RFC 5322 date, as the X-Mailman-Approved-At header carries it. */
function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * Disposes of held message `requestId` on `mlist`. Defer (and its alias hold) keeps the
 * request; every other action removes the request and the stored copy, but only after the
 * message's next home (the pipeline queue, or a notice) is on disk, so a crash in between
 * repeats the action rather than losing the post.
 */
export async function moderateHeldMessage(
  services: Services,
  mlist: MailingList,
  requestId: number,
  action: HeldAction,
  opts: ModerationOptions = {},
): Promise<void> {
  const held = await services.requests.heldMessage(mlist.list_id, requestId);
  if (!held) throw new UnknownHeldMessage(`No held message ${requestId} on ${mlist.list_id}`);
  const raw = await services.messages.get(held.data._mod_message_id);
  for (const to of opts.forward ?? []) await forward(services, mlist, held, raw, to);
  if (action === 'defer' || action === 'hold') {
    log(mlist, held, 'DEFER', opts);
    return;
  }
  if (action === 'accept') await accept(services, mlist, held, raw);
  else if (action === 'reject') await refuse(services, mlist, held, opts.comment);
  await services.requests.delete(held.request.id);
  // A moderator's answer by mail to the notice finds nothing to decide any more.
  await services.pendings.removeHeldMessage(mlist.list_id, held.request.id);
  await services.messages.delete(held.data._mod_message_id);
  log(mlist, held, action.toUpperCase(), opts);
}

async function accept(
  services: Services,
  mlist: MailingList,
  held: HeldMessage,
  raw: Buffer | undefined,
): Promise<void> {
  // A stored copy that has vanished still lets the moderator's decision through, visibly.
  const msg = new Message(raw ?? placeholder(held));
  msg.set('X-Mailman-Approved-At', rfc5322Date(new Date()));
  const msgdata: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(held.data)) if (!k.startsWith('_mod_')) msgdata[k] = v;
  msgdata.listid = mlist.list_id;
  msgdata.approved = true;
  msgdata.moderator_approved = true;
  await services.queues.get('pipeline').enqueue(msg.toBuffer(), msgdata);
}

function placeholder(held: HeldMessage): Buffer {
  return Buffer.from(
    [
      `From: ${held.data._mod_sender}`,
      `Subject: ${held.data._mod_subject}`,
      `Message-ID: ${held.data._mod_message_id}`,
      '',
      '[The content of this held message was lost from the message store.]',
      '',
    ].join('\r\n'),
  );
}

async function refuse(
  services: Services,
  mlist: MailingList,
  held: HeldMessage,
  comment: string | undefined,
): Promise<void> {
  const sender = held.data._mod_sender;
  if (!sender) return;
  const member = await services.members.findMember(mlist.list_id, sender, 'member');
  await sendTemplateNotice(services, mlist, 'list:user:notice:refuse', {
    from: listAddresses(mlist).bounces,
    to: sender,
    subject: `Request to mailing list ${mlist.display_name} rejected`,
    language: member?.preferred_language ?? undefined,
    subs: {
      request: `Posting of your message titled "${held.data._mod_subject}"`,
      reason: comment?.trim() || 'No reason given',
    },
  });
}

async function forward(
  services: Services,
  mlist: MailingList,
  held: HeldMessage,
  raw: Buffer | undefined,
  to: string,
): Promise<void> {
  const addrs = listAddresses(mlist);
  await sendNotice(services, mlist, {
    from: addrs.owner,
    to,
    subject: `Forward of moderated message`,
    text:
      `A moderator of ${addrs.posting} forwarded you this held message (from ` +
      `${held.data._mod_sender || 'an unknown sender'}).\n`,
    attach: [raw ?? placeholder(held)],
  });
}

function log(mlist: MailingList, held: HeldMessage, disposition: string, opts: ModerationOptions): void {
  logger('vette').info(
    {
      disposition,
      list: mlist.list_id,
      message_id: held.data._mod_message_id,
      sender: held.data._mod_sender,
      request_id: held.request.id,
      comment: opts.comment ?? null,
      forward: opts.forward ?? [],
    },
    `held message ${held.request.id} ${disposition.toLowerCase()}: ${held.data._mod_message_id}`,
  );
}
