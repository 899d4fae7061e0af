// Too many explicit recipients (To and Cc) looks like spam. Mailman's test is "at least the
// limit", not "more than"; a limit of 0 turns the rule off.
import { defineRule } from '../../registry.js';
import { senders } from '../senders.js';

export default defineRule({
  name: 'max-recipients',
  description: "The message has at least `limit` To and Cc addresses (default: the list's max_num_recipients; 0: off).",
  record: true,
  params: [
    {
      name: 'limit',
      type: 'number',
      default: 'list.max_num_recipients',
      description: 'the number of To and Cc addresses that is too many',
    },
  ],
  check(ctx, args) {
    const limit = Number(args.limit ?? ctx.mlist.max_num_recipients);
    if (!Number.isFinite(limit) || limit <= 0) return { hit: false };
    let count = 0;
    for (const h of ['to', 'cc']) count += ctx.msg.addresses(h).length;
    if (count < limit) return { hit: false };
    return {
      hit: true,
      // Mailman's words, though the test is "at least": a held post reads as it would there.
      reasons: [`Message has more than ${limit} recipients`],
      msgdata: { moderation_sender: senders(ctx)[0] ?? 'N/A' },
    };
  },
});
