// A message with no sender address at all cannot be moderated, answered or attributed.
import { defineRule } from '../../registry.js';
import { senders } from '../senders.js';

export default defineRule({
  name: 'no-senders',
  description: 'The message has no valid sender address.',
  record: true,
  check(ctx) {
    if (senders(ctx).length > 0) return { hit: false };
    return { hit: true, reasons: ['The message has no valid senders'], msgdata: { moderation_sender: 'N/A' } };
  },
});
