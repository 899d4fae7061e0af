// Reject the post: the sender gets the reasons and the original back.
import { defineEffect } from '../../registry.js';
import { addRuleHeaders, reasonsOf, vette } from '../vette.js';
import { sendRejection } from '../../services/notices.js';

export default defineEffect({
  name: 'reject-message',
  description: 'Reject the post: the sender gets the reasons and the original message back.',
  async run(ctx) {
    addRuleHeaders(ctx);
    vette(ctx, 'REJECT');
    await sendRejection(ctx.services, ctx.mlist, ctx.msg, reasonsOf(ctx));
  },
});
