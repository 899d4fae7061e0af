// The list's auto-response to -owner mail (autorespond_owner) or to a post
// (autorespond_postings); under respond_and_discard the message goes no further.
import { defineHandler, DiscardMessage } from '../../registry.js';
import { autorespond } from '../../services/replybot.js';

export default defineHandler({
  name: 'replybot',
  description: 'Send the auto-response of autorespond_owner or autorespond_postings; respond_and_discard drops it.',
  async process({ mlist, msg, msgdata, services, dryRun }) {
    const kind = msgdata.to_owner ? 'owner' : msgdata.to_request ? 'request' : 'postings';
    if (!(await autorespond(services, mlist, msg, msgdata, kind, { dryRun })))
      throw new DiscardMessage(
        `${kind === 'owner' ? 'autorespond_owner' : 'autorespond_postings'} is respond_and_discard`,
      );
  },
});
