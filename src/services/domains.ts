import type { DataSource, Repository } from 'typeorm';
import {
  Domain,
  DomainEntity,
  DomainOwnerEntity,
  ListArchiverEntity,
  MailingListEntity,
  MemberEntity,
  MailingList,
} from '../model/entities.js';
import { BadRequestError, NoSuchObjectError, NotFoundError } from './errors.js';
import type { Sql } from '../model/sql.js';
import { RowReader } from './rows.js';
import { findPaged, type Page, type Paged } from './paging.js';

/**
 * A mail host as DNS names one (RFC 1035 labels): letters, digits and inner hyphens, each
 * label at most 63 characters, at least two labels, 253 characters in all, and a last label
 * that is not all digits (`123` or `10.0.0.1` is not a domain mail can be addressed to).
 */
export function isValidDomainName(host: string): boolean {
  if (host.length > 253) return false;
  const labels = host.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(l))) return false;
  return !/^\d+$/.test(labels[labels.length - 1]);
}

/** A domain's description: one line, as it may be shown in headers and notices. */
function checkDescription(description: string): void {
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(description))
    throw new BadRequestError('Invalid description: line breaks and control characters are not allowed');
}

export class DomainManager {
  /** Told after a domain's alias changes or a domain (and so its lists) goes. */
  private readonly listeners: (() => Promise<void>)[] = [];
  private readonly repo: Repository<Domain>;
  private readonly rows: RowReader<Domain>;
  constructor(
    private readonly ds: DataSource,
    private readonly sql: Sql,
  ) {
    this.repo = ds.getRepository(DomainEntity);
    this.rows = new RowReader(ds, DomainEntity);
  }

  async create(mailHost: string, description = '', aliasDomain: string | null = null): Promise<Domain> {
    const host = mailHost.trim().toLowerCase();
    if (!isValidDomainName(host)) throw new BadRequestError(`Invalid domain name: ${mailHost}`);
    checkDescription(description);
    aliasDomain = aliasDomain?.trim().toLowerCase() || null;
    if (aliasDomain !== null && !isValidDomainName(aliasDomain))
      throw new BadRequestError(`Invalid alias domain: ${aliasDomain}`);
    if (await this.repo.findOneBy({ mail_host: host })) throw new BadRequestError(`Duplicate email host: ${host}`);
    return this.repo.save(this.repo.create({ mail_host: host, description, alias_domain: aliasDomain }));
  }

  get(mailHost: string): Promise<Domain | null> {
    return this.repo.findOneBy({ mail_host: mailHost.toLowerCase() });
  }

  async require(mailHost: string): Promise<Domain> {
    const d = await this.get(mailHost);
    if (!d) throw new NoSuchObjectError(`No such domain: ${mailHost}`);
    return d;
  }

  all(): Promise<Domain[]> {
    return this.repo.find({ order: { mail_host: 'ASC' } });
  }

  /** The domains by mail host, one page of them (all without a page). */
  page(page?: Page): Promise<Paged<Domain>> {
    return findPaged(this.repo, { order: { mail_host: 'ASC' } }, page);
  }

  /** Asked for every LMTP recipient: one prepared query. */
  async byAlias(host: string): Promise<Domain | null> {
    return this.rows.readOne(
      await this.sql.get(`SELECT ${this.rows.columns} FROM ${this.rows.table} WHERE alias_domain = ?`, [
        host.toLowerCase(),
      ]),
    );
  }

  async update(domain: Domain, changes: Partial<Pick<Domain, 'description' | 'alias_domain'>>): Promise<Domain> {
    if (changes.description != null) checkDescription(changes.description);
    if (changes.alias_domain) {
      changes = { ...changes, alias_domain: changes.alias_domain.trim().toLowerCase() };
      if (!isValidDomainName(changes.alias_domain!))
        throw new BadRequestError(`Invalid alias domain: ${changes.alias_domain}`);
    }
    const aliasChanged = 'alias_domain' in changes && (changes.alias_domain || null) !== (domain.alias_domain || null);
    Object.assign(domain, changes);
    const saved = await this.repo.save(domain);
    if (aliasChanged) await this.changed();
    return saved;
  }

  /** `fn` runs after a change that moves list addresses, once it is committed. */
  onChange(fn: () => Promise<void>): void {
    this.listeners.push(fn);
  }

  private async changed(): Promise<void> {
    for (const fn of this.listeners) await fn();
  }

  /** Deleting a domain deletes its lists and its owner links, as in Mailman. */
  async remove(mailHost: string): Promise<void> {
    const d = await this.require(mailHost);
    await this.ds.transaction(async (em) => {
      const lists: MailingList[] = await em.getRepository(MailingListEntity).findBy({ mail_host: d.mail_host });
      for (const l of lists) {
        await em.getRepository(MemberEntity).delete({ list_id: l.list_id });
        await em.getRepository(ListArchiverEntity).delete({ mailing_list_id: l.id });
      }
      await em.getRepository(MailingListEntity).delete({ mail_host: d.mail_host });
      await em.getRepository(DomainOwnerEntity).delete({ domain_id: d.id });
      await em.getRepository(DomainEntity).delete({ id: d.id });
    });
    await this.changed();
  }
}
