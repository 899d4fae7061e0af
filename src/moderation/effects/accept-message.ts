// The accept chain's work: the post goes on to the pipeline queue.
import { defineEffect } from '../../registry.js';
import { addRuleHeaders, vette } from '../vette.js';

export default defineEffect({
  name: 'accept-message',
  description: 'Accept the post: record the rule outcomes and queue it for the pipeline.',
  async run(ctx) {
    addRuleHeaders(ctx);
    await ctx.services.queues.get('pipeline').enqueue(ctx.msg.toBuffer(), ctx.msgdata);
    vette(ctx, 'ACCEPT');
  },
});
