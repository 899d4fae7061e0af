// Posts bigger than the list allows. The list's max_message_size is in KB (1 KB = 1024
// bytes, 0: no limit); the language hands the rule its `limit` in bytes. The size is the
// message as received (msgdata.original_size), as Mailman measures it.
import { defineRule } from '../../registry.js';
import { senders } from '../senders.js';

export default defineRule({
  name: 'max-size',
  description: "The message is bigger than `limit` (default: the list's max_message_size in KB; 0: off).",
  record: true,
  params: [
    {
      name: 'limit',
      type: 'size',
      default: 'list.max_message_size',
      description: 'the largest message accepted, in bytes',
    },
  ],
  check(ctx, args) {
    const limit = Number(args.limit ?? Number(ctx.mlist.max_message_size) * 1024);
    if (!Number.isFinite(limit) || limit <= 0) return { hit: false };
    const size = typeof ctx.msgdata.original_size === 'number' ? ctx.msgdata.original_size : ctx.msg.toBuffer().length;
    if (size <= limit) return { hit: false };
    // Mailman's words, with the limit in KB as its setting holds it.
    const kb = (n: number) => (n / 1024).toFixed(1).replace(/\.0$/, '');
    return {
      hit: true,
      reasons: [`The message is larger than the ${kb(limit)} KB maximum size`],
      msgdata: { moderation_sender: senders(ctx)[0] ?? 'N/A' },
    };
  },
});
