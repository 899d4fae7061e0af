// A list in emergency moderation holds every post a moderator has not already approved.
import { defineRule } from '../../registry.js';
import { senders } from '../senders.js';

export default defineRule({
  name: 'emergency',
  description: 'The list is in emergency moderation and the post was not approved by a moderator.',
  record: true,
  check(ctx) {
    if (!ctx.mlist.emergency || ctx.msgdata.moderator_approved) return { hit: false };
    return {
      hit: true,
      reasons: ['Emergency moderation is in effect for this list'],
      msgdata: { moderation_sender: senders(ctx)[0] ?? 'N/A' },
    };
  },
});
