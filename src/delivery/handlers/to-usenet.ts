// The mail-to-news gateway: a copy of the post for the list's linked newsgroup, posted by the
// nntp runner. A copy, not a move: the members still get the post. A list that turns
// gateway_to_news on without naming its group or its news server loses only the news copy,
// with an error in the log, as Mailman does: the post itself goes on.
import { defineHandler } from '../../registry.js';
import { logger } from '../../logging.js';

export default defineHandler({
  name: 'to-usenet',
  description: "Queue a copy for the list's linked newsgroup when gateway_to_news is on.",
  async process({ mlist, msg, msgdata, services, dryRun }) {
    if (!mlist.gateway_to_news || msgdata.isdigest || msgdata.fromusenet) return;
    const missing = [
      ...(mlist.linked_newsgroup ? [] : ['linked_newsgroup']),
      ...(mlist.nntp_host || services.config.get('nntp', 'host') ? [] : ['nntp_host']),
    ];
    if (missing.length) {
      logger('error').error(
        { list: mlist.list_id, message_id: msg.messageId, missing },
        'Usenet gateway not configured; no copy for news',
      );
      return;
    }
    if (dryRun) return;
    // The news copy needs no recipients: a big list's would only fatten its queue file.
    await services.queues
      .get('nntp')
      .enqueue(msg.toBuffer(), { ...msgdata, recipients: undefined, listid: mlist.list_id });
  },
});
