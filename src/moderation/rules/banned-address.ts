// A banned sender's post is dropped (the default chain discards it): bans for this list and
// global ones, exact addresses and `^regex` patterns.
import { defineRule } from '../../registry.js';
import { senders } from '../senders.js';
import { isBanned } from '../../dsl/index.js';

export default defineRule({
  name: 'banned-address',
  description: 'A sender of the message is banned from this list or from every list.',
  record: true,
  async check(ctx) {
    for (const email of senders(ctx)) {
      if (await isBanned(ctx, email)) {
        return {
          hit: true,
          reasons: [`Message sender ${email} is banned from this list`],
          msgdata: { moderation_sender: email },
        };
      }
    }
    return { hit: false };
  },
});
