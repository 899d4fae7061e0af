// Who gets a copy of a post: the regular (non-digest) members with delivery enabled, minus
// the poster when they chose not to receive their own postings.
import { defineHandler } from '../../registry.js';

export default defineHandler({
  name: 'member-recipients',
  description: 'Set the recipients to the regular members whose delivery is enabled.',
  async process({ mlist, msg, msgdata, services }) {
    if (Array.isArray(msgdata.recipients)) return;
    const sender = msg.senders(services.senderHeaders)[0];
    msgdata.recipients = await services.members.regularRecipients(mlist.list_id, sender);
  },
});
