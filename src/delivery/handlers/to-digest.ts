// Collects posts for the list's digest: each one is appended to the list's MMDF mailbox,
// var/lists/LISTID/digest.mmdf, and once the mailbox passes digest_size_threshold KB the
// issue is sent (services/digests.ts; the digest runner builds and sends it).
import { defineHandler } from '../../registry.js';
import { mmdfEntry } from '../../email/mmdf.js';
import { appendToDigest, sendDigestNow } from '../../services/digests.js';

export default defineHandler({
  name: 'to-digest',
  description: "Append the post to the list's digest mailbox; send the digest when it passes its size threshold.",
  async process({ mlist, msg, msgdata, services, dryRun }) {
    if (!mlist.digests_enabled || msgdata.isdigest || dryRun) return;
    const size = await appendToDigest(services.config, mlist.list_id, mmdfEntry(msg.toBuffer()));
    const threshold = Number(mlist.digest_size_threshold ?? 0);
    // Only past the threshold is the lock taken and the size looked at again.
    if (threshold > 0 && size >= threshold * 1024) await sendDigestNow(services, mlist);
  },
});
