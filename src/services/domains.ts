import type { DataSource, Repository } from 'typeorm';
import { Domain, DomainEntity, MailingListEntity, MemberEntity, MailingList } from '../model/entities.js';
import { BadRequestError, NotFoundError } from './errors.js';

export class DomainManager {
  private readonly repo: Repository<Domain>;
  constructor(private readonly ds: DataSource) {
    this.repo = ds.getRepository(DomainEntity);
  }

  async create(mailHost: string, description = '', aliasDomain: string | null = null): Promise<Domain> {
    const host = mailHost.trim().toLowerCase();
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host)) throw new BadRequestError(`Invalid domain name: ${mailHost}`);
    if (await this.repo.findOneBy({ mail_host: host })) throw new BadRequestError(`Duplicate email host: ${host}`);
    return this.repo.save(this.repo.create({ mail_host: host, description, alias_domain: aliasDomain }));
  }

  get(mailHost: string): Promise<Domain | null> {
    return this.repo.findOneBy({ mail_host: mailHost.toLowerCase() });
  }

  async require(mailHost: string): Promise<Domain> {
    const d = await this.get(mailHost);
    if (!d) throw new NotFoundError(`No such domain: ${mailHost}`);
    return d;
  }

  all(): Promise<Domain[]> {
    return this.repo.find({ order: { mail_host: 'ASC' } });
  }

  async byAlias(host: string): Promise<Domain | null> {
    return this.repo.findOneBy({ alias_domain: host.toLowerCase() });
  }

  async update(domain: Domain, changes: Partial<Pick<Domain, 'description' | 'alias_domain'>>): Promise<Domain> {
    Object.assign(domain, changes);
    return this.repo.save(domain);
  }

  /** Deleting a domain deletes its lists, as in Mailman. */
  async remove(mailHost: string): Promise<void> {
    const d = await this.require(mailHost);
    await this.ds.transaction(async (em) => {
      const lists: MailingList[] = await em.getRepository(MailingListEntity).findBy({ mail_host: d.mail_host });
      for (const l of lists) await em.getRepository(MemberEntity).delete({ list_id: l.list_id });
      await em.getRepository(MailingListEntity).delete({ mail_host: d.mail_host });
      await em.getRepository(DomainEntity).delete({ id: d.id });
    });
  }
}
