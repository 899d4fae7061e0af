// Hold the post for a moderator: the bytes go to the message store, a held-message request
// records why, and (per the list's settings) the moderators and the poster are told. The
// request gets a moderator's token, so the moderators' notice can be answered by mail
// (src/commands/confirm.ts).
import { defineEffect, MessageContext } from '../../registry.js';
import { addRuleHeaders, reasonsOf, vette } from '../vette.js';
import { makeMessageId } from '../../email/message.js';
import { buildNotice, canAcknowledge } from '../../email/notice.js';
import { confirmationAddresses, reasonLines, sendTemplateNotice } from '../../services/notices.js';
import { listAddresses } from '../../model/list-addresses.js';
import type { HeldMessageData } from '../../services/requests.js';

export default defineEffect({
  name: 'hold-message',
  description: 'Hold the post for moderator approval and notify as the list is configured.',
  async run(ctx) {
    const { msg, mlist, services, msgdata } = ctx;
    addRuleHeaders(ctx);
    if (!msg.messageId) msg.set('Message-ID', makeMessageId(mlist.mail_host));
    const messageId = msg.messageId!;
    await services.messages.add(messageId, msg.toBuffer());
    const sender = msg.senders(services.senderHeaders)[0] ?? '';
    const reasons = reasonsOf(ctx);
    const subject = msg.get('subject') || '(no subject)';
    const data: HeldMessageData = {
      ...Object.fromEntries(Object.entries(msgdata).filter(([k]) => !k.startsWith('_'))),
      _mod_message_id: messageId,
      _mod_listid: mlist.list_id,
      _mod_sender: sender,
      _mod_subject: subject,
      _mod_reason: reasons.length ? reasons.join('; ') : 'N/A',
      _mod_hold_date: new Date().toISOString().replace(/Z$/, ''),
    };
    const request = await services.requests.holdMessage(mlist.list_id, data);
    const pended = await services.pendings.add(
      'held message',
      { id: request.id },
      {
        listId: mlist.list_id,
        tokenOwner: 'moderator',
        lifeMs: services.config.durationMs('mailman', 'moderator_request_life'),
      },
    );
    vette(ctx, 'HOLD', { request_id: request.id });
    await notifyPoster(ctx, sender, subject, reasons);
    if (mlist.admin_immed_notify) await notifyModerators(ctx, sender, subject, reasons, request.id, pended.token);
  },
});

async function notifyPoster(ctx: MessageContext, sender: string, subject: string, reasons: string[]): Promise<void> {
  const { msg, mlist, services } = ctx;
  if (!sender || ctx.msgdata.fromusenet === true || !mlist.respond_to_post_requests) return;
  const names = msg.names();
  if (
    !canAcknowledge(
      (n) => msg.get(n),
      (n) => msg.has(n),
      names,
    )
  )
    return;
  const addrs = listAddresses(mlist);
  const decision = await services.autoresponses.claim(mlist.list_id, sender, 'hold');
  if (decision === 'silent') return;
  // In the poster's language when they are a member, else the list's.
  const language = (await services.members.findMember(mlist.list_id, sender, 'member'))?.preferred_language;
  if (decision === 'last-notice') {
    await sendTemplateNotice(services, mlist, 'list:user:notice:no-more-today', {
      from: addrs.owner,
      to: sender,
      subject: 'Last autoresponse notification for today',
      language: language ?? undefined,
      subs: { sender_email: sender, count: String(services.config.int('mta', 'max_autoresponses_per_day')) },
    });
    return;
  }
  await sendTemplateNotice(services, mlist, 'list:user:notice:hold', {
    from: addrs.bounces,
    to: sender,
    subject: `Your message to ${addrs.posting} awaits moderator approval`,
    language: language ?? undefined,
    subs: { subject, sender_email: sender, reasons: reasonLines(reasons) },
  });
}

/**
 * The substitutions of list:admin:action:post. `$confirm_email` and `$token` are for deciding
 * by mail: the address a moderator's reply goes to and the token it confirms.
 */
function moderatorNoticeSubs(
  sender: string,
  subject: string,
  reasons: string[],
  confirm?: { token: string; email: string },
): Record<string, string> {
  return {
    subject,
    sender_email: sender || 'an unknown sender',
    reasons: reasonLines(reasons),
    ...(confirm ? { token: confirm.token, confirm_email: confirm.email } : {}),
  };
}

async function notifyModerators(
  ctx: MessageContext,
  sender: string,
  subject: string,
  reasons: string[],
  requestId: number,
  token: string,
): Promise<void> {
  const { msg, mlist, services } = ctx;
  const addrs = listAddresses(mlist);
  await sendTemplateNotice(services, mlist, 'list:admin:action:post', {
    from: addrs.owner,
    to: addrs.owner,
    subject: `${addrs.posting} post from ${sender || 'an unknown sender'} requires approval`,
    subs: {
      ...moderatorNoticeSubs(sender, subject, reasons, { token, email: confirmAddress(ctx, token) }),
      request_id: String(requestId),
    },
    attach: [msg.toBuffer(), await confirmation(ctx, token)],
  });
}

/**
 * The part of the moderators' notice a moderator answers by mail: from the list's
 * -confirm+TOKEN address (or -request, with the token in the subject, when confirmations are
 * not VERPed), so a plain reply reaches the command runner with the token.
 */
async function confirmation(ctx: MessageContext, token: string): Promise<Buffer> {
  const { mlist } = ctx;
  return buildNotice(
    {
      from: confirmAddress(ctx, token),
      to: listAddresses(mlist).owner,
      subject: `confirm ${token}`,
      precedence: null,
      text: [
        'Reply to this message, keeping its Subject, to decide on the held post by mail:',
        '',
        "    with the list's moderator password in an Approved: header, or as the first line",
        '    of your reply ("Approved: PASSWORD"), the post is accepted;',
        '',
        '    without a password, the post is discarded (do this for spam).',
        '',
      ].join('\n'),
    },
    mlist.mail_host,
  );
}

/** Where a moderator's reply about a held post goes: -confirm+TOKEN, or -request unVERPed. */
function confirmAddress(ctx: MessageContext, token: string): string {
  return confirmationAddresses(ctx.services.config, ctx.mlist, token).from;
}
