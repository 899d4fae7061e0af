import type { DataSource, FindOptionsWhere, Repository } from 'typeorm';
import { PendedEntity, TemplateEntity } from '../model/pending.js';
import { DEFAULT_STYLE, findStyle } from '../model/list-styles.js';
import {
  MailingList,
  MailingListEntity,
  MemberEntity,
  ListRequestEntity,
  BanEntity,
  HeaderMatchEntity,
  ListArchiverEntity,
} from '../model/entities.js';
import { defaultSettings } from '../model/list-settings.js';
import type { DomainManager } from './domains.js';
import { BadRequestError, NoSuchObjectError, NotFoundError } from './errors.js';
import { compilePattern } from '../patterns/patterns.js';
import type { Sql } from '../model/sql.js';
import { RowReader } from './rows.js';
import { findPaged, type Page, type Paged } from './paging.js';

// Kept apart so that rules and handlers can use it without loading the database layer.
export { listAddresses } from '../model/list-addresses.js';

/** 64 (RFC 5321's local part) less `-unsubscribe`, the longest address suffix. */
const MAX_LIST_NAME = 64 - '-unsubscribe'.length;

export class ListManager {
  /** Told after a list is created or removed (the MTA's maps follow the lists). */
  private readonly listeners: (() => Promise<void>)[] = [];
  private readonly repo: Repository<MailingList>;
  private readonly rows: RowReader<MailingList>;
  private readonly byIdSql: string;
  private readonly byAddressSql: string;
  constructor(
    private readonly ds: DataSource,
    private readonly sql: Sql,
    private readonly domains: DomainManager,
    private readonly listnameChars: string,
    private readonly defaultStyle = DEFAULT_STYLE,
  ) {
    this.repo = ds.getRepository(MailingListEntity);
    this.rows = new RowReader(ds, MailingListEntity);
    this.byIdSql = `SELECT ${this.rows.columns} FROM ${this.rows.table} WHERE list_id = ?`;
    this.byAddressSql = `SELECT ${this.rows.columns} FROM ${this.rows.table} WHERE list_name = ? AND mail_host = ?`;
  }

  /** A new list, with the settings of `style` (or [styles] default) in the row from the start. */
  async create(fqdnListname: string, opts: { style?: string } = {}): Promise<MailingList> {
    const style = findStyle(opts.style ?? this.defaultStyle);
    if (!style) throw new BadRequestError(`Unknown list style: ${opts.style ?? this.defaultStyle}`);
    const fqdn = fqdnListname.trim().toLowerCase();
    const at = fqdn.lastIndexOf('@');
    if (at <= 0 || at === fqdn.length - 1) throw new BadRequestError(`Invalid list posting address: ${fqdnListname}`);
    const listName = fqdn.slice(0, at);
    const mailHost = fqdn.slice(at + 1);
    if (!compilePattern(`^${this.listnameChars}+$`).test(listName)) {
      throw new BadRequestError(`Invalid list name: ${listName} (allowed characters: ${this.listnameChars})`);
    }
    // The name is the local part of the list's addresses (and of -bounces, -request ...):
    // a dot may not lead, end or double it (RFC 5322's dot-atom), and 64 is SMTP's limit
    // less room for the longest suffix.
    if (/^\.|\.$|\.\./.test(listName))
      throw new BadRequestError(`Invalid list name: ${listName} (a dot may not start or end it, nor follow another)`);
    if (listName.length > MAX_LIST_NAME)
      throw new BadRequestError(`Invalid list name: ${listName} (at most ${MAX_LIST_NAME} characters)`);
    if (!(await this.domains.get(mailHost))) throw new BadRequestError(`Domain does not exist: ${mailHost}`);
    const listId = `${listName}.${mailHost}`;
    if (await this.repo.findOneBy({ list_id: listId })) throw new BadRequestError('Mailing list exists');
    const row = {
      ...defaultSettings(listName, mailHost),
      list_name: listName,
      mail_host: mailHost,
      list_id: listId,
      created_at: new Date(),
      ...style.settings,
    };
    const created = await this.repo.save(this.repo.create(row as MailingList));
    await this.changed();
    return created;
  }

  /** `fn` runs after every creation and removal, once the change is committed. */
  onChange(fn: () => Promise<void>): void {
    this.listeners.push(fn);
  }

  private async changed(): Promise<void> {
    for (const fn of this.listeners) await fn();
  }

  /**
   * By list id (`ant.example.com`) or posting address (`ant@example.com`). Read afresh each
   * time (one prepared query, every setting as findOneBy gives it): a change another
   * process made is in force for the next message.
   */
  async get(spec: string): Promise<MailingList | null> {
    const s = spec.trim().toLowerCase();
    if (s.includes('@')) {
      const at = s.lastIndexOf('@');
      return this.rows.readOne(await this.sql.get(this.byAddressSql, [s.slice(0, at), s.slice(at + 1)]));
    }
    return this.rows.readOne(await this.sql.get(this.byIdSql, [s]));
  }

  async require(spec: string): Promise<MailingList> {
    const l = await this.get(spec);
    if (!l) throw new NoSuchObjectError(`No such list: ${spec}`);
    return l;
  }

  all(): Promise<MailingList[]> {
    return this.repo.find({ order: { list_id: 'ASC' } });
  }

  /** The lists by list id, of one domain or only the advertised ones when asked; one page of them. */
  page(filter: { mailHost?: string; advertised?: boolean }, page?: Page): Promise<Paged<MailingList>> {
    const where: FindOptionsWhere<MailingList> = {};
    if (filter.mailHost !== undefined) where.mail_host = filter.mailHost;
    if (filter.advertised) where.advertised = true;
    return findPaged(this.repo, { where, order: { list_id: 'ASC' } }, page);
  }

  byDomain(mailHost: string): Promise<MailingList[]> {
    return this.repo.find({ where: { mail_host: mailHost }, order: { list_id: 'ASC' } });
  }

  save(mlist: MailingList): Promise<MailingList> {
    return this.repo.save(mlist);
  }

  /** Updates chosen columns only, so concurrent writers of other settings are not undone. */
  async update(mlist: MailingList, changes: Record<string, unknown>): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await this.repo.update({ id: mlist.id }, changes as never);
    Object.assign(mlist, changes);
  }

  async remove(spec: string): Promise<void> {
    const l = await this.require(spec);
    await this.ds.transaction(async (em) => {
      await em.getRepository(MemberEntity).delete({ list_id: l.list_id });
      await em.getRepository(ListRequestEntity).delete({ list_id: l.list_id });
      await em.getRepository(BanEntity).delete({ list_id: l.list_id });
      await em.getRepository(HeaderMatchEntity).delete({ mailing_list_id: l.id });
      await em.getRepository(ListArchiverEntity).delete({ mailing_list_id: l.id });
      // A waiting confirmation or approval for a list that is gone must not come back with a
      // new list of the same name; nor may the old list's template overrides.
      await em.getRepository(PendedEntity).delete({ list_id: l.list_id });
      await em.getRepository(TemplateEntity).delete({ context: l.list_id });
      await em.getRepository(MailingListEntity).delete({ id: l.id });
    });
    await this.changed();
  }

  /** Counts a post delivered: Mailman's after-delivery bookkeeping. */
  async recordPost(mlist: MailingList): Promise<void> {
    // One statement, so the count and the time change together; done once per post.
    await this.sql.run('UPDATE mailinglist SET post_id = post_id + 1, last_post_at = ? WHERE id = ?', [
      new Date(),
      mlist.id,
    ]);
  }
}
