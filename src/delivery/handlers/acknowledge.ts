// A member who asked for it (acknowledge_posts, through the preference cascade: set on the
// membership, the address or the user) is told their post reached the list, in the
// list:user:notice:post template. The notice goes through the virgin queue like every
// message the list writes.
import { defineHandler } from '../../registry.js';
import { sendTemplateNotice } from '../../services/notices.js';
import { listAddresses } from '../../model/list-addresses.js';

export default defineHandler({
  name: 'acknowledge',
  description: 'Send a post acknowledgement to a poster whose acknowledge_posts preference is on.',
  async process({ mlist, msg, msgdata, services, dryRun }) {
    const sender =
      typeof msgdata.original_sender === 'string' && msgdata.original_sender
        ? msgdata.original_sender
        : msg.senders(services.senderHeaders)[0];
    if (!sender) return;
    const member = await services.members.findMember(mlist.list_id, sender, 'member');
    if (!member) return;
    const prefs = await services.preferences.effective(member);
    if (!prefs.acknowledge_posts) return;
    if (dryRun) return;
    // The subject as the poster wrote it, before the list prefixed it.
    const original = [msgdata.origsubj, msgdata.original_subject].find((s) => typeof s === 'string' && s) as
      string | undefined;
    const subject = original ?? msg.get('subject') ?? '(no subject)';
    const language = typeof msgdata.lang === 'string' ? msgdata.lang : prefs.preferred_language;
    await sendTemplateNotice(services, mlist, 'list:user:notice:post', {
      from: listAddresses(mlist).bounces,
      to: sender,
      subject: `${mlist.display_name} post acknowledgment`,
      language,
      subs: { subject: subject.replace(/\s+/g, ' ').trim() || '(no subject)' },
    });
  },
});
