// What the archive runner and the rfc-2369 handler share about a site archiver: the context its
// methods are called with, and the URLs it gives a list and a post.
import type { Archiver, ArchiverContext, ComponentRegistry } from '../registry.js';
import type { Config } from '../config/config.js';
import type { Services } from '../services/services.js';
import type { MailingList } from '../model/entities.js';
import type { Message } from '../email/message.js';
import { archiverComponentName, archiverFileSettings, archiverSetting } from '../config/archiver-settings.js';
import { logger } from '../logging.js';

/** The component `[archiver.NAME]` runs and what it is called with; throws when it names none. */
export function siteArchiver(
  archivers: Pick<ComponentRegistry<Archiver>, 'get'>,
  config: Config,
  services: Services,
  name: string,
): { archiver: Archiver; ctx: ArchiverContext } {
  const component = archiverComponentName(config, name);
  const archiver = archivers.get(component);
  if (!archiver) throw new Error(`[archiver.${name}] names no known archiver "${component}"`);
  const file = archiverFileSettings(config, name);
  const ctx: ArchiverContext = {
    config,
    services,
    setting: (key) => archiverSetting(config, name, file, key),
    timeoutMs: config.durationMs(`archiver.${name}`, 'timeout'),
  };
  return { archiver, ctx };
}

/**
 * List-Archive and Archived-At values of each archiver the list has on, in that order. An
 * archiver that cannot say (a broken configuration) is logged and left out, as Mailman does:
 * the post still goes out.
 */
export async function archiveHeaders(
  archivers: Pick<ComponentRegistry<Archiver>, 'get'>,
  services: Services,
  mlist: MailingList,
  msg: Message,
): Promise<{ listArchive: string[]; archivedAt: string[] }> {
  const out = { listArchive: [] as string[], archivedAt: [] as string[] };
  for (const name of await services.listArchivers.archiving(mlist)) {
    try {
      const { archiver, ctx } = siteArchiver(archivers, services.config, services, name);
      const top = await archiver.listUrl(ctx, mlist);
      if (top) out.listArchive.push(`<${top}>`);
      const permalink = await archiver.permalink(ctx, mlist, msg);
      if (permalink) out.archivedAt.push(`<${permalink}>`);
    } catch (err) {
      logger('archiver').error({ archiver: name, list: mlist.list_id, err: (err as Error).message }, 'no archive URLs');
    }
  }
  return out;
}
