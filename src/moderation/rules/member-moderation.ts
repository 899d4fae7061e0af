// A member's own moderation action, or the list's default for members, decides the post.
// `defer` means "no decision here": the rule misses and the chain goes on. A banned sender
// is left to banned-address, so the rule misses for them.
import { defineRule } from '../../registry.js';
import { senders } from '../senders.js';
import { isBanned, membership } from '../../dsl/index.js';

export default defineRule({
  name: 'member-moderation',
  description: "The sender is a member whose moderation action (or the list's default_member_action) is not defer.",
  record: true,
  async check(ctx) {
    const { mlist } = ctx;
    const all = senders(ctx);
    for (const email of all) if (await isBanned(ctx, email)) return { hit: false };
    for (const email of all) {
      const member = await membership(ctx, email, 'member');
      if (!member) continue;
      const action = member.moderation_action ?? mlist.default_member_action;
      if (action === 'defer') return { hit: false };
      return {
        hit: true,
        reasons: ['The message comes from a moderated member'],
        msgdata: { member_moderation_action: action, moderation_sender: email },
      };
    }
    return { hit: false };
  },
});
