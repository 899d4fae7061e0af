// Who gets a copy of a post: the regular (non-digest) members with delivery enabled, minus
// the poster when they chose not to receive their own postings.
import { registry } from '../../registry.js';

registry.handlers.register({
  name: 'member-recipients',
  description: 'Set the recipients to the regular members whose delivery is enabled.',
  async process({ mlist, msg, msgdata, services }) {
    if (Array.isArray(msgdata.recipients)) return;
    const sender = msg.senders(services.senderHeaders)[0];
    const roster = await services.members.roster(mlist.list_id, 'member');
    const recipients: string[] = [];
    for (const { member, address } of roster) {
      if (member.delivery_mode !== 'regular' || member.delivery_status !== 'enabled') continue;
      if (address.email === sender && member.receive_own_postings === false) continue;
      recipients.push(address.email);
    }
    msgdata.recipients = recipients;
  },
});
