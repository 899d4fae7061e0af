// Mail that already went through this list carries its List-Post header: posting it again
// would loop. Mailman adds no X-BeenThere, so List-Post is the marker.
import { defineRule } from '../../registry.js';
import { listAddresses } from '../../model/list-addresses.js';
import { parseAddresses } from '../../email/addresses.js';
import { senders } from '../senders.js';

export default defineRule({
  name: 'loop',
  description: "The message already carries this list's List-Post header.",
  record: true,
  check(ctx) {
    const { msg, mlist } = ctx;
    const posting = listAddresses(mlist).posting;
    for (const value of msg.getAll('list-post')) {
      const mailto = /<mailto:([^>]+)>/i.exec(value)?.[1] ?? value;
      if (parseAddresses(mailto).some((a) => a.email === posting)) {
        return {
          hit: true,
          reasons: ['Message has already been posted to this list'],
          msgdata: { moderation_sender: senders(ctx)[0] ?? 'N/A' },
        };
      }
    }
    return { hit: false };
  },
});
