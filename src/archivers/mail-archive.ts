// The Mail-Archive (mail-archive.com or a service like it): the archive fetches nothing, the
// list sends it a copy of each public post at its `recipient` address, and a post's page is
// base_url plus its Message-ID-Hash. Lists whose archive is not public are not sent there.
import { defineArchiver } from '../registry.js';
import { archiveUrl, messageHashOf } from '../email/archive-urls.js';
import { listAddresses } from '../model/list-addresses.js';

/** Mailman's packaged defaults for this archiver (its mail_archive.cfg). */
const DEFAULTS = { base_url: 'https://www.mail-archive.com/', recipient: 'archive@mail-archive.com' };

export default defineArchiver({
  name: 'mail-archive',
  description: 'Sends a copy of each public post to the Mail-Archive (base_url, recipient).',
  listUrl({ setting }, mlist) {
    if (mlist.archive_policy !== 'public') return undefined;
    const base = setting('base_url') || DEFAULTS.base_url;
    return archiveUrl(base, encodeURIComponent(listAddresses(mlist).posting));
  },
  permalink({ setting }, mlist, msg) {
    if (mlist.archive_policy !== 'public') return undefined;
    const hash = messageHashOf(msg);
    return hash ? archiveUrl(setting('base_url') || DEFAULTS.base_url, hash) : undefined;
  },
  async archiveMessage({ services, setting }, mlist, msg) {
    if (mlist.archive_policy !== 'public') return;
    const recipient = setting('recipient') || DEFAULTS.recipient;
    // As the list sent it: no member's footer on the archive's copy.
    await services.queues
      .get('out')
      .enqueue(msg.toBuffer(), { listid: mlist.list_id, recipients: [recipient], nodecorate: true });
  },
});
