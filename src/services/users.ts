// Users and addresses (Mailman's user manager).
import type { DataSource, Repository } from 'typeorm';
import { In } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { Address, AddressEntity, MemberEntity, User, UserEntity, type Member } from '../model/entities.js';
import { isValidEmail } from '../email/addresses.js';
import { BadRequestError } from './errors.js';
import { hashPassword } from './passwords.js';
import type { Sql, SqlValue } from '../model/sql.js';
import { RowReader } from './rows.js';
import { PREFERENCE_NAMES } from '../model/preferences.js';
import { findPaged, type Page, type Paged } from './paging.js';

export const newUuid = (): string => randomUUID().replace(/-/g, '');

export class UserManager {
  readonly addresses: Repository<Address>;
  readonly users: Repository<User>;
  private readonly members: Repository<Member>;
  /** Address rows read by raw SQL (a lookup per sender per post, per subscribe). */
  readonly addressRows: RowReader<Address>;
  private readonly byEmailSql: string;
  constructor(
    ds: DataSource,
    private readonly sql: Sql,
  ) {
    this.addresses = ds.getRepository(AddressEntity);
    this.users = ds.getRepository(UserEntity);
    this.members = ds.getRepository(MemberEntity);
    this.addressRows = new RowReader(ds, AddressEntity);
    this.byEmailSql = `SELECT ${this.addressRows.columns} FROM address WHERE email = ?`;
  }

  async getAddress(email: string): Promise<Address | null> {
    return this.addressRows.readOne(await this.sql.get(this.byEmailSql, [email.trim().toLowerCase()]));
  }

  async createAddress(email: string, displayName = '', verified = false): Promise<Address> {
    const original = email.trim();
    if (!isValidEmail(original)) throw new BadRequestError(`Invalid email address: ${email}`);
    const existing = await this.getAddress(original);
    if (existing) throw new BadRequestError(`Address already exists: ${original}`);
    return this.addresses.save(
      this.addresses.create({
        email: original.toLowerCase(),
        original_email: original,
        display_name: displayName,
        registered_on: new Date(),
        verified_on: verified ? new Date() : null,
        user_id: null,
      }),
    );
  }

  /** The address row, created when missing (senders become addresses, as in Mailman). */
  async ensureAddress(email: string, displayName = ''): Promise<Address> {
    return (await this.getAddress(email)) ?? this.createAddress(email, displayName);
  }

  async createUser(email?: string, displayName = ''): Promise<User> {
    const user = await this.users.save(
      this.users.create({
        user_id: newUuid(),
        display_name: displayName,
        password: null,
        created_on: new Date(),
        is_server_owner: false,
        preferred_address_id: null,
      }),
    );
    if (email) {
      const addr = (await this.getAddress(email)) ?? (await this.createAddress(email, displayName));
      if (addr.user_id && addr.user_id !== user.id)
        throw new BadRequestError(`Address belongs to another user: ${email}`);
      addr.user_id = user.id;
      await this.addresses.save(addr);
    }
    return user;
  }

  /** Creates a user owning `addr`, preferred when verified; returns the updated address. */
  async linkNewUser(addr: Address): Promise<Address> {
    const user = await this.users.save(
      this.users.create({
        user_id: newUuid(),
        display_name: addr.display_name,
        password: null,
        created_on: new Date(),
        is_server_owner: false,
        preferred_address_id: addr.verified_on ? addr.id : null,
      }),
    );
    addr.user_id = user.id;
    return this.addresses.save(addr);
  }

  /**
   * Gives an address a new email everywhere it is used (memberships, its user): the rows keep
   * their ids, so nothing that points at the address changes. Refused when the new email is
   * taken, not an address, or the old one is unknown.
   */
  async changeAddress(oldEmail: string, newEmail: string): Promise<Address> {
    const address = await this.getAddress(oldEmail);
    if (!address) throw new BadRequestError(`Address not found: ${oldEmail}`);
    const original = newEmail.trim();
    if (!isValidEmail(original)) throw new BadRequestError(`Invalid email address: ${newEmail}`);
    const lower = original.toLowerCase();
    if (lower === address.email) throw new BadRequestError(`The address is already ${lower}`);
    if (await this.getAddress(lower)) throw new BadRequestError(`Address ${lower} already exists`);
    address.email = lower;
    address.original_email = original;
    return this.addresses.save(address);
  }

  /** The users with these row ids, in one query. */
  async usersById(ids: (number | null)[]): Promise<Map<number, User>> {
    const wanted = [...new Set(ids.filter((x): x is number => x != null))];
    const users = wanted.length ? await this.users.findBy({ id: In(wanted) }) : [];
    return new Map(users.map((u) => [u.id, u]));
  }

  preferredAddress(user: User): Promise<Address | null> {
    return user.preferred_address_id
      ? this.addresses.findOneBy({ id: user.preferred_address_id })
      : Promise.resolve(null);
  }

  getUserById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  getUserByUid(uid: string): Promise<User | null> {
    return this.users.findOneBy({ user_id: uid.replace(/-/g, '').toLowerCase() });
  }

  async userOfAddress(email: string): Promise<User | null> {
    const a = await this.getAddress(email);
    return a?.user_id ? this.getUserById(a.user_id) : null;
  }

  addressesOfUser(userId: number): Promise<Address[]> {
    return this.addresses.find({ where: { user_id: userId }, order: { id: 'ASC' } });
  }

  async verify(addr: Address): Promise<void> {
    if (!addr.verified_on) {
      addr.verified_on = new Date();
      await this.addresses.save(addr);
    }
  }

  async unverify(addr: Address): Promise<void> {
    addr.verified_on = null;
    await this.addresses.save(addr);
    // A preferred address must stay verified, so an unverified one stops being preferred.
    await this.users.update({ preferred_address_id: addr.id }, { preferred_address_id: null });
  }

  /** Changes what is given; a password arrives as cleartext and is stored only hashed. */
  async updateUser(user: User, changes: UserChanges): Promise<User> {
    if (changes.display_name !== undefined) user.display_name = changes.display_name;
    if (changes.password !== undefined) user.password = hashPassword(changes.password);
    if (changes.is_server_owner !== undefined) user.is_server_owner = changes.is_server_owner;
    return this.users.save(user);
  }

  /** The user goes with their user-level memberships; their addresses stay, unlinked. */
  /**
   * As Mailman deletes a user: with their addresses, every membership of the user or of
   * those addresses, and their domain ownerships, in one transaction.
   */
  async deleteUser(user: User): Promise<void> {
    await this.sql.batch([
      {
        text: 'DELETE FROM member WHERE user_id = ? OR address_id IN (SELECT id FROM address WHERE user_id = ?)',
        params: [user.id, user.id],
      },
      { text: 'DELETE FROM domainowner WHERE user_id = ?', params: [user.id] },
      { text: 'DELETE FROM address WHERE user_id = ?', params: [user.id] },
      { text: 'DELETE FROM "user" WHERE id = ?', params: [user.id] },
    ]);
  }

  /** The address goes with its memberships, and stops being anyone's preferred address. */
  async deleteAddress(addr: Address): Promise<void> {
    await this.members.delete({ address_id: addr.id });
    await this.users.update({ preferred_address_id: addr.id }, { preferred_address_id: null });
    await this.addresses.delete({ id: addr.id });
  }

  /** Users whose display name or one of whose addresses holds `q` (any case). */
  async findUsers(q: string): Promise<User[]> {
    const pattern = `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const byName = await this.users
      .createQueryBuilder('u')
      .where("LOWER(u.display_name) LIKE :p ESCAPE '\\'", { p: pattern })
      .getMany();
    const owners = await this.addresses
      .createQueryBuilder('a')
      .where("a.email LIKE :p ESCAPE '\\'", { p: pattern })
      .andWhere('a.user_id IS NOT NULL')
      .getMany();
    const byAddress = await this.usersById(owners.map((a) => a.user_id));
    const all = new Map(byName.map((u) => [u.id, u]));
    for (const u of byAddress.values()) all.set(u.id, u);
    return [...all.values()].sort((a, b) => a.id - b.id);
  }

  /**
   * Gives the user an address, created when new. One linked already (to anyone, as Mailman
   * words it) is refused unless `absorbExisting`: then it moves to this user.
   */
  async addAddressToUser(user: User, email: string, displayName = '', absorbExisting = false): Promise<Address> {
    const addr = (await this.getAddress(email)) ?? (await this.createAddress(email, displayName));
    if (addr.user_id === user.id) return addr;
    if (addr.user_id != null) {
      if (!absorbExisting) throw new BadRequestError('Address belongs to other user');
      const other = await this.users.findOneBy({ id: addr.user_id });
      if (other) await this.absorbUser(user, other);
      return (await this.getAddress(email)) ?? addr;
    }
    addr.user_id = user.id;
    return this.addresses.save(addr);
  }

  /**
   * Merges `other` into `user` and deletes it, as Mailman's absorb does: its addresses and
   * domain ownerships move over, its memberships too except where `user` already holds that
   * role on that list, and each preference, the display name, the password and the server
   * owner flag fill in only what `user` has not set.
   */
  async absorbUser(user: User, other: User): Promise<void> {
    if (user.id === other.id) return;
    const keep: Partial<User> = {};
    for (const name of PREFERENCE_NAMES)
      if (user[name] == null && other[name] != null) Object.assign(keep, { [name]: other[name] });
    if (!user.display_name && other.display_name) keep.display_name = other.display_name;
    if (!user.password && other.password) keep.password = other.password;
    if (!user.is_server_owner && other.is_server_owner) keep.is_server_owner = true;
    const sets = Object.keys(keep);
    const [me, them] = [user.id, other.id];
    await this.sql.batch([
      { text: 'UPDATE address SET user_id = ? WHERE user_id = ?', params: [me, them] },
      {
        text:
          'DELETE FROM member WHERE user_id = ? AND EXISTS (SELECT 1 FROM member mine WHERE mine.user_id = ? ' +
          'AND mine.list_id = member.list_id AND mine.role = member.role)',
        params: [them, me],
      },
      { text: 'UPDATE member SET user_id = ? WHERE user_id = ?', params: [me, them] },
      {
        text:
          'DELETE FROM domainowner WHERE user_id = ? AND domain_id IN ' +
          '(SELECT domain_id FROM domainowner WHERE user_id = ?)',
        params: [them, me],
      },
      { text: 'UPDATE domainowner SET user_id = ? WHERE user_id = ?', params: [me, them] },
      { text: 'DELETE FROM "user" WHERE id = ?', params: [them] },
      ...(sets.length
        ? [
            {
              text: `UPDATE "user" SET ${sets.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`,
              params: [...sets.map((k) => keep[k as keyof User] as SqlValue), me],
            },
          ]
        : []),
    ]);
    Object.assign(user, keep);
  }

  /** Links an unlinked address to a user; `linkAddress` of a linked one is refused. */
  async linkAddress(addr: Address, user: User): Promise<Address> {
    if (addr.user_id != null && addr.user_id !== user.id)
      throw new BadRequestError(`Address is already linked to a user: ${addr.email}`);
    addr.user_id = user.id;
    return this.addresses.save(addr);
  }

  /** The address stops being the user's, and their preferred one if it was. */
  async unlinkAddress(addr: Address): Promise<Address> {
    if (addr.user_id != null)
      await this.users.update({ id: addr.user_id, preferred_address_id: addr.id }, { preferred_address_id: null });
    addr.user_id = null;
    return this.addresses.save(addr);
  }

  /** Only a verified address of the user's own can be preferred. */
  async setPreferredAddress(user: User, email: string): Promise<Address> {
    const addr = await this.getAddress(email);
    if (!addr || addr.user_id !== user.id) throw new BadRequestError(`Address not linked to user: ${email}`);
    if (!addr.verified_on) throw new BadRequestError(`Unverified address: ${email}`);
    user.preferred_address_id = addr.id;
    await this.users.save(user);
    return addr;
  }

  async clearPreferredAddress(user: User): Promise<void> {
    user.preferred_address_id = null;
    await this.users.save(user);
  }

  /** Every user in the order they were made; one page of them. */
  usersPage(page?: Page): Promise<Paged<User>> {
    return findPaged(this.users, { order: { id: 'ASC' } }, page);
  }

  /** Every address in the order they were registered; one page of them. */
  addressesPage(page?: Page): Promise<Paged<Address>> {
    return findPaged(this.addresses, { order: { original_email: 'ASC', id: 'ASC' } }, page);
  }

  serverOwners(): Promise<User[]> {
    return this.users.find({ where: { is_server_owner: true }, order: { id: 'ASC' } });
  }
}

export interface UserChanges {
  display_name?: string;
  password?: string;
  is_server_owner?: boolean;
}
