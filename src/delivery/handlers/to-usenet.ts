// The mail-to-news gateway. Off on every list by default; the nntp runner does not exist
// yet, so a list that turns gateway_to_news on fails its posts clearly rather than
// dropping the news copy without a word.
import { defineHandler } from '../../registry.js';

export default defineHandler({
  name: 'to-usenet',
  description: "Queue a copy for the list's linked newsgroup when gateway_to_news is on.",
  process({ mlist, msgdata }) {
    if (!mlist.gateway_to_news || msgdata.isdigest || msgdata.fromusenet) return;
    throw new Error(
      `to-usenet: the Usenet gateway is not implemented yet; turn gateway_to_news off for ${mlist.list_id}`,
    );
  },
});
