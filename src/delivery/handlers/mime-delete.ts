// Content filtering (filter_types, pass_types, extensions, collapse_alternatives, HTML to
// text). Off on every list by default. The MIME walker is not written yet: a list that turns
// filter_content on fails its posts clearly (they are shunted, not delivered unfiltered).
import { registry } from '../../registry.js';

registry.handlers.register({
  name: 'mime-delete',
  description: "Filter the post's MIME parts by the list's content filter, when filter_content is on.",
  process({ mlist, msgdata }) {
    if (!mlist.filter_content || msgdata.isdigest) return;
    throw new Error(`mime-delete: content filtering is not implemented yet; turn filter_content off for ${mlist.list_id}`);
  },
});
