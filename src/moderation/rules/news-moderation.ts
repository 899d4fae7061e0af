// A list gatewayed to a moderated newsgroup holds every post: the group's moderator is the
// list's moderator.
import { defineRule } from '../../registry.js';
import { senders } from '../senders.js';

export default defineRule({
  name: 'news-moderation',
  description: "The list's newsgroup_moderation is 'moderated'.",
  record: true,
  check(ctx) {
    if (ctx.mlist.newsgroup_moderation !== 'moderated') return { hit: false };
    return {
      hit: true,
      reasons: ['Post to a moderated newsgroup gateway'],
      msgdata: { moderation_sender: senders(ctx)[0] ?? 'N/A' },
    };
  },
});
