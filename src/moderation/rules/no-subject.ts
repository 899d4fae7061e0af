import { defineRule } from '../../registry.js';
import { senders } from '../senders.js';

export default defineRule({
  name: 'no-subject',
  description: 'The message has no Subject, or a blank one.',
  record: true,
  check(ctx) {
    if ((ctx.msg.get('subject') ?? '').trim() !== '') return { hit: false };
    return { hit: true, reasons: ['Message has no subject'], msgdata: { moderation_sender: senders(ctx)[0] ?? 'N/A' } };
  },
});
