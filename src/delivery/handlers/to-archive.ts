// Hands a copy of the post to the archive queue, where each enabled site archiver
// ([archiver.NAME] enable: yes) will take it. Nothing is queued when no archiver is enabled,
// the list never archives, or the poster asked for no archiving.
import { defineHandler } from '../../registry.js';
import type { Config } from '../../config/config.js';

/** The names of the site's enabled archivers. */
export function enabledArchivers(config: Config): string[] {
  return config
    .sectionsUnder('archiver')
    .filter((s) => config.bool(s, 'enable'))
    .map((s) => s.slice('archiver.'.length));
}

export default defineHandler({
  name: 'to-archive',
  description: 'Queue a copy for the archivers, unless archive_policy is never or the post says X-No-Archive.',
  async process({ mlist, msg, msgdata, services, dryRun }) {
    if (msgdata.isdigest || mlist.archive_policy === 'never') return;
    if (msg.has('x-no-archive') || (msg.get('x-archive') ?? '').trim().toLowerCase() === 'no') return;
    const archivers = enabledArchivers(services.config);
    if (archivers.length === 0 || dryRun) return;
    await services.queues.get('archive').enqueue(msg.toBuffer(), { ...msgdata, listid: mlist.list_id, archivers });
  },
});
