// Each list's switch for each site archiver ([archiver.NAME] with enable: yes). A list has a
// row only for a switch it has set; without one the archiver is on, as in Mailman.
import type { DataSource, Repository } from 'typeorm';
import type { Config } from '../config/config.js';
import { ListArchiverEntity, type ListArchiver, type MailingList } from '../model/entities.js';
import type { Sql } from '../model/sql.js';

/** The names of the site's enabled archivers. */
export function enabledArchivers(config: Config): string[] {
  return config
    .sectionsUnder('archiver')
    .filter((s) => config.bool(s, 'enable'))
    .map((s) => s.slice('archiver.'.length));
}

export class ListArchiverManager {
  private readonly repo: Repository<ListArchiver>;
  constructor(
    ds: DataSource,
    private readonly sql: Sql,
    private readonly config: Config,
  ) {
    this.repo = ds.getRepository(ListArchiverEntity);
  }

  /** The site's enabled archivers, each with this list's switch; one query per call. */
  async switches(mlist: MailingList): Promise<Map<string, boolean>> {
    const off = new Set(
      (
        await this.sql.all<{ name: string }>(
          'SELECT name FROM listarchiver WHERE mailing_list_id = ? AND is_enabled = ?',
          [mlist.id, false],
        )
      ).map((r) => r.name),
    );
    return new Map(enabledArchivers(this.config).map((name) => [name, !off.has(name)]));
  }

  /** The archivers a post to this list goes to. */
  async archiving(mlist: MailingList): Promise<string[]> {
    const site = enabledArchivers(this.config);
    if (site.length === 0) return [];
    return [...(await this.switches(mlist))].filter(([, on]) => on).map(([name]) => name);
  }

  /** Sets some switches; the caller has checked each name is a site archiver. */
  async set(mlist: MailingList, changes: ReadonlyMap<string, boolean>): Promise<void> {
    for (const [name, isEnabled] of changes) {
      const row = await this.repo.findOneBy({ mailing_list_id: mlist.id, name });
      await this.repo.save(
        row ? { ...row, is_enabled: isEnabled } : { mailing_list_id: mlist.id, name, is_enabled: isEnabled },
      );
    }
  }
}
