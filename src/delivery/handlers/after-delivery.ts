// Bookkeeping once a post is on its way: the time of the last post and the post counter
// (which a `%d` in subject_prefix shows).
import { defineHandler } from '../../registry.js';

export default defineHandler({
  name: 'after-delivery',
  description: "Record the list's last post time and count the post (post_id).",
  async process({ mlist, services }) {
    await services.lists.recordPost(mlist);
  },
});
