// Hands a copy of the post to the archive queue, where each enabled site archiver
// ([archiver.NAME] enable: yes) that the list has not switched off will take it. Nothing is
// queued when no archiver is left, the list never archives, or the poster asked for no archiving.
import { defineHandler } from '../../registry.js';

export default defineHandler({
  name: 'to-archive',
  description: 'Queue a copy for the archivers, unless archive_policy is never or the post says X-No-Archive.',
  async process({ mlist, msg, msgdata, services, dryRun }) {
    if (msgdata.isdigest || mlist.archive_policy === 'never') return;
    if (msg.has('x-no-archive') || (msg.get('x-archive') ?? '').trim().toLowerCase() === 'no') return;
    const archivers = await services.listArchivers.archiving(mlist);
    if (archivers.length === 0 || dryRun) return;
    await services.queues.get('archive').enqueue(msg.toBuffer(), { ...msgdata, listid: mlist.list_id, archivers });
  },
});
