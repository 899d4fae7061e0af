// Users and addresses (Mailman's user manager).
import type { DataSource, Repository } from 'typeorm';
import { In } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { Address, AddressEntity, User, UserEntity } from '../model/entities.js';
import { isValidEmail } from '../email/addresses.js';
import { BadRequestError } from './errors.js';
import type { Sql } from '../model/sql.js';
import { RowReader } from './rows.js';

export const newUuid = (): string => randomUUID().replace(/-/g, '');

export class UserManager {
  readonly addresses: Repository<Address>;
  readonly users: Repository<User>;
  /** Address rows read by raw SQL (a lookup per sender per post, per subscribe). */
  readonly addressRows: RowReader<Address>;
  private readonly byEmailSql: string;
  constructor(
    ds: DataSource,
    private readonly sql: Sql,
  ) {
    this.addresses = ds.getRepository(AddressEntity);
    this.users = ds.getRepository(UserEntity);
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
}
