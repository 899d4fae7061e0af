// Hold the post for a moderator: the bytes go to the message store, a held-message request
// records why, and (per the list's settings) the moderators and the poster are told. The
// request gets a moderator's token, so the moderators' notice can be answered by mail
// (src/commands/confirm.ts).
import { defineEffect, MessageContext } from '../../registry.js';
import { addRuleHeaders, reasonsOf, vette } from '../vette.js';
import { makeMessageId } from '../../email/message.js';
import { buildNotice, canAcknowledge } from '../../email/notice.js';
import { sendNotice } from '../../services/notices.js';
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
  if (decision === 'last-notice') {
    await sendNotice(services, mlist, {
      from: addrs.owner,
      to: sender,
      subject: 'Last autoresponse notification for today',
      text: [
        `The ${addrs.posting} mailing list has received ` +
          `${services.config.int('mta', 'max_autoresponses_per_day')} messages from your address today,`,
        'each of which got an automatic reply. To stop a possible mail loop between us, it will send you',
        'no more automatic replies today. Your messages are still received and handled as usual.',
        '',
        `If this is a mistake, write to the list owners at ${addrs.owner}.`,
        '',
      ].join('\n'),
    });
    return;
  }
  await sendNotice(services, mlist, {
    from: addrs.bounces,
    to: sender,
    subject: `Your message to ${addrs.posting} awaits moderator approval`,
    text: [
      `Your mail to '${mlist.display_name}' with the subject`,
      '',
      `    ${subject}`,
      '',
      'Is being held until the list moderator can review it for approval.',
      '',
      'The message is being held because:',
      '',
      ...reasons.map((r) => `    ${r}`),
      '',
      'Either the message will get posted to the list, or you will receive notification of',
      "the moderator's decision.",
      '',
    ].join('\n'),
  });
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
  await sendNotice(services, mlist, {
    from: addrs.owner,
    to: addrs.owner,
    subject: `${addrs.posting} post from ${sender || 'an unknown sender'} requires approval`,
    text: [
      'As list administrator, your authorization is requested for the following mailing list posting:',
      '',
      `    List:    ${addrs.posting}`,
      `    From:    ${sender || 'unknown'}`,
      `    Subject: ${subject}`,
      '',
      'The message is being held because:',
      '',
      ...reasons.map((r) => `    ${r}`),
      '',
      `Held message request #${requestId}. Approve or reject it with the web interface or the REST API.`,
      '',
    ].join('\n'),
    attach: [msg.toBuffer(), await confirmation(ctx, token)],
  });
}

/**
 * The part of the moderators' notice a moderator answers by mail: from the list's
 * -confirm+TOKEN address (or -request, with the token in the subject, when confirmations are
 * not VERPed), so a plain reply reaches the command runner with the token.
 */
async function confirmation(ctx: MessageContext, token: string): Promise<Buffer> {
  const { mlist, services } = ctx;
  const addrs = listAddresses(mlist);
  const verp = services.config.bool('mta', 'verp_confirmations');
  const delimiter = services.config.get('mta', 'verp_delimiter') || '+';
  const confirmAddress = `${mlist.list_name}-confirm${delimiter}${token}@${mlist.mail_host}`;
  return buildNotice(
    {
      from: verp ? confirmAddress : addrs.request,
      to: addrs.owner,
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
