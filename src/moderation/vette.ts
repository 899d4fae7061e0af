// The vette log: one line per moderation disposition, with the list, Message-ID, sender and
// reasons, as list admins grep it.
import { logger } from '../logging.js';
import type { MessageContext } from '../registry.js';

export function reasonsOf(ctx: MessageContext): string[] {
  const r = ctx.msgdata.moderation_reasons;
  return Array.isArray(r) ? r.map(String) : [];
}

export function vette(ctx: MessageContext, disposition: string, extra: Record<string, unknown> = {}): void {
  logger('vette').info(
    {
      disposition,
      list: ctx.mlist.list_id,
      message_id: ctx.msg.messageId ?? null,
      sender: ctx.msg.senders(ctx.services.senderHeaders)[0] ?? null,
      reasons: reasonsOf(ctx),
      ...extra,
    },
    `${disposition}: ${ctx.msg.messageId ?? '(no Message-ID)'}`,
  );
}

/** Accept, hold and reject leave the rule outcomes in the message for the recipient to see. */
export function addRuleHeaders(ctx: MessageContext): void {
  for (const [key, header] of [
    ['rule_hits', 'X-Mailman-Rule-Hits'],
    ['rule_misses', 'X-Mailman-Rule-Misses'],
  ] as const) {
    const list = ctx.msgdata[key];
    ctx.msg.remove(header);
    if (Array.isArray(list) && list.length > 0) ctx.msg.add(header, list.join('; '));
  }
}
