// Hold the post for a moderator: the bytes go to the message store, a held-message request
// records why, and (per the list's settings) the moderators and the poster are told.
import { defineEffect, MessageContext } from '../../registry.js';
import { addRuleHeaders, reasonsOf, vette } from '../vette.js';
import { makeMessageId } from '../../email/message.js';
import { canAcknowledge } from '../../email/notice.js';
import { reasonLines, sendTemplateNotice } from '../../services/notices.js';
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
    vette(ctx, 'HOLD', { request_id: request.id });
    await notifyPoster(ctx, sender, subject, reasons);
    if (mlist.admin_immed_notify) await notifyModerators(ctx, sender, subject, reasons, request.id);
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
): Promise<void> {
  const { msg, mlist, services } = ctx;
  const addrs = listAddresses(mlist);
  await sendTemplateNotice(services, mlist, 'list:admin:action:post', {
    from: addrs.owner,
    to: addrs.owner,
    subject: `${addrs.posting} post from ${sender || 'an unknown sender'} requires approval`,
    subs: { ...moderatorNoticeSubs(sender, subject, reasons), request_id: String(requestId) },
    attach: [msg.toBuffer()],
  });
}
