// The senders of the message being moderated, as Mailman's msg.senders: addresses from the
// headers of [mailman] sender_headers in order, `from_` being the envelope (X-MailFrom).
import type { MessageContext } from '../registry.js';

export function senders(ctx: MessageContext): string[] {
  return ctx.msg.senders(ctx.services.senderHeaders);
}
