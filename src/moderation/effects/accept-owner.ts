// Mail to -owner is not moderated: straight to the (owner) pipeline.
import { defineEffect } from '../../registry.js';
import { vette } from '../vette.js';

export default defineEffect({
  name: 'accept-owner',
  description: "Queue mail for the list's owners for the owner pipeline, unmoderated.",
  async run(ctx) {
    await ctx.services.queues.get('pipeline').enqueue(ctx.msg.toBuffer(), ctx.msgdata);
    vette(ctx, 'OWNER');
  },
});
