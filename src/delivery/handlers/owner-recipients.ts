// Mail to -owner goes to the owners and moderators; a list without any falls back to the
// site owner so the mail still reaches a person.
import { defineHandler } from '../../registry.js';

export default defineHandler({
  name: 'owner-recipients',
  description: 'Set the recipients to the list owners and moderators (else the site owner).',
  async process({ mlist, msgdata, services }) {
    const recipients = new Set<string>();
    for (const role of ['owner', 'moderator'] as const) {
      for (const email of await services.members.enabledInRole(mlist.list_id, role)) recipients.add(email);
    }
    msgdata.recipients = recipients.size ? [...recipients] : [services.siteOwner];
    msgdata.nodecorate = true;
    msgdata.verp = true;
  },
});
