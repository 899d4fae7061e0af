// Bounce the post to its sender with the reasons and the original attached, from the list's
// -owner address (so replies reach a person).
import { registry } from '../../registry.js';
import { addRuleHeaders, reasonsOf, vette } from '../vette.js';
import { sendNotice } from '../../email/notice.js';
import { listAddresses } from '../../services/lists.js';

registry.effects.register({
  name: 'reject-message',
  description: 'Reject the post: the sender gets the reasons and the original message back.',
  async run(ctx) {
    addRuleHeaders(ctx);
    const sender = ctx.msg.senders(ctx.services.senderHeaders)[0];
    vette(ctx, 'REJECT');
    if (!sender) return;
    const reasons = reasonsOf(ctx);
    const text = [
      `Your message to the ${ctx.mlist.display_name} mailing-list was rejected for the following reasons:`,
      '',
      ...(reasons.length ? reasons : ['No reason given']).map((r) => `    ${r}`),
      '',
      'The original message as received by the list is attached.',
      '',
    ].join('\n');
    await sendNotice(ctx.services, ctx.mlist, {
      from: listAddresses(ctx.mlist).owner,
      to: sender,
      subject: ctx.msg.get('subject') ?? '(no subject)',
      text,
      attach: [ctx.msg.toBuffer()],
    });
  },
});
