// Mail to -owner is not moderated: straight to the (owner) pipeline.
import { registry } from '../../registry.js';
import { vette } from '../vette.js';

registry.effects.register({
  name: 'accept-owner',
  description: "Queue mail for the list's owners for the owner pipeline, unmoderated.",
  async run(ctx) {
    await ctx.services.queues.get('pipeline').enqueue(ctx.msg.toBuffer(), ctx.msgdata);
    vette(ctx, 'OWNER');
  },
});
