import { defineHandler } from '../../registry.js';

export default defineHandler({
  name: 'to-outgoing',
  description: 'Queue the message for SMTP delivery by the out runner.',
  async process({ mlist, msg, msgdata, services }) {
    await services.queues.get('out').enqueue(msg.toBuffer(), { ...msgdata, listid: mlist.list_id });
  },
});
