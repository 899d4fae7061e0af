// A domain's owners: users, linked many to many. An owner named by email is that address's
// user, or a new user made for the address, as Mailman's Domain.add_owner does.
import { In, type DataSource, type Repository } from 'typeorm';
import { DomainOwnerEntity, UserEntity, type Domain, type DomainOwner, type User } from '../model/entities.js';
import type { UserManager } from './users.js';

export class DomainOwnerManager {
  private readonly repo: Repository<DomainOwner>;
  constructor(
    private readonly ds: DataSource,
    private readonly users: UserManager,
  ) {
    this.repo = ds.getRepository(DomainOwnerEntity);
  }

  /** The owners, oldest link first. */
  async of(domain: Domain): Promise<User[]> {
    const links = await this.repo.find({ where: { domain_id: domain.id }, order: { id: 'ASC' } });
    if (links.length === 0) return [];
    const users = await this.ds.getRepository(UserEntity).findBy({ id: In(links.map((l) => l.user_id)) });
    const byId = new Map(users.map((u) => [u.id, u]));
    return links.map((l) => byId.get(l.user_id)).filter((u): u is User => u !== undefined);
  }

  /** Adds each email's user (created when none); an existing owner stays as it is. */
  async add(domain: Domain, emails: readonly string[]): Promise<void> {
    for (const email of emails) {
      const user = (await this.users.userOfAddress(email)) ?? (await this.users.createUser(email));
      if (await this.repo.existsBy({ domain_id: domain.id, user_id: user.id })) continue;
      await this.repo.save(this.repo.create({ domain_id: domain.id, user_id: user.id }));
    }
  }

  /** Removes one owner by email; false when that address's user does not own the domain. */
  async remove(domain: Domain, email: string): Promise<boolean> {
    const user = await this.users.userOfAddress(email);
    if (!user) return false;
    const result = await this.repo.delete({ domain_id: domain.id, user_id: user.id });
    return (result.affected ?? 0) > 0;
  }

  async removeAll(domain: Domain): Promise<void> {
    await this.repo.delete({ domain_id: domain.id });
  }
}
