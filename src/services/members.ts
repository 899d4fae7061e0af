// Memberships: who is on a list in which role, and the rosters derived from them.
import type { DataSource, Repository } from 'typeorm';
import { In } from 'typeorm';
import {
  Address,
  Member,
  MemberEntity,
  MemberRole,
  MailingList,
  User,
  ROLES,
  DELIVERY_MODES,
  DELIVERY_STATUSES,
} from '../model/entities.js';
import { ACTIONS } from '../model/list-settings.js';
import { UserManager, newUuid } from './users.js';
import { BadRequestError, ConflictError } from './errors.js';
import { listAddresses } from './lists.js';
import type { BanManager } from './bans.js';
import type { Sql, SqlStatement, SqlValue } from '../model/sql.js';
import { limitSql, type Page, type Paged } from './paging.js';
import { RowReader } from './rows.js';
import { isValidEmail } from '../email/addresses.js';
import { cascadeSql, MEMBER_ADDRESS, USER_LAYER } from './preferences.js';
import {
  DELIVERY_DATA,
  DIGEST_RECIPIENTS,
  ENABLED_IN_ROLE,
  REGULAR_RECIPIENTS,
  ROLE_ORDER_SQL,
  type DeliveryMember,
} from './member-queries.js';

export type { DeliveryMember } from './member-queries.js';
import type { LastDigestManager } from './last-digests.js';

export interface MemberView {
  member: Member;
  address: Address;
}

/** What a membership search may name; every given criterion must hold. */
export interface MemberQuery {
  /** An email or (unless exact) part of one. */
  subscriber?: string;
  /** The user (hex uuid) whose addresses or user-level memberships match. */
  subscriberUid?: string;
  listId?: string;
  role?: MemberRole;
  moderation_action?: string;
  delivery_mode?: string;
  delivery_status?: string;
  exact?: boolean;
  /** Leave nonmembers out (Mailman's GET /members lists them only through find). */
  notNonmembers?: boolean;
}

export class MemberManager {
  readonly repo: Repository<Member>;
  private readonly rows: RowReader<Member>;
  private readonly q: {
    byAddress: string;
    preferredBy: string;
    byUserAddresses: string;
    byUser: string;
    byMemberId: string;
  };
  constructor(
    ds: DataSource,
    private readonly sql: Sql,
    private readonly users: UserManager,
    private readonly bans?: BanManager,
    /** Told of a delivery_mode change, which may leave a member owed one last digest. */
    private readonly lastDigests?: LastDigestManager,
  ) {
    this.repo = ds.getRepository(MemberEntity);
    this.rows = new RowReader(ds, MemberEntity);
    const select = `SELECT ${this.rows.columns} FROM member WHERE list_id = ? AND role = ?`;
    this.q = {
      byAddress: `${select} AND address_id = ? ORDER BY id LIMIT 1`,
      // The user (row id) whose preferred address this address (row id) is: two primary-key reads.
      preferredBy:
        'SELECT u.id AS id FROM "user" u JOIN address a ON a.user_id = u.id ' +
        'WHERE a.id = ? AND u.preferred_address_id = a.id',
      byUserAddresses: `${select} AND address_id IN (SELECT id FROM address WHERE user_id = ?) ORDER BY id LIMIT 1`,
      byUser: `${select} AND user_id = ? ORDER BY id LIMIT 1`,
      byMemberId: `SELECT ${this.rows.columns} FROM member WHERE member_id = ?`,
    };
  }

  /**
   * Adds an address to a list in a role. The subscription workflow (confirmation, approval)
   * arrives with the membership issue; today a subscription is immediate.
   */
  async subscribe(
    mlist: MailingList,
    email: string,
    opts: {
      role?: MemberRole;
      displayName?: string;
      deliveryMode?: string;
      deliveryStatus?: string;
      verified?: boolean;
      /** Give an address without a user one, whatever the role (Mailman's REST does for every role). */
      makeUser?: boolean;
      /**
       * Subscribe this user (`email` is their preferred address) rather than the address: the
       * membership follows the user's preferred address when it changes (as_user).
       */
      asUser?: User;
    } = {},
  ): Promise<MemberView> {
    const role = opts.role ?? 'member';
    if (!ROLES.includes(role)) throw new BadRequestError(`Invalid role: ${role}`);
    if (opts.deliveryMode && !(DELIVERY_MODES as readonly string[]).includes(opts.deliveryMode))
      throw new BadRequestError(`Invalid delivery_mode: ${opts.deliveryMode}`);
    if (opts.deliveryStatus && !(DELIVERY_STATUSES as readonly string[]).includes(opts.deliveryStatus))
      throw new BadRequestError(`Invalid delivery_status: ${opts.deliveryStatus}`);
    const lower = email.trim().toLowerCase();
    if (role !== 'nonmember' && lower === listAddresses(mlist).posting)
      throw new BadRequestError('The list posting address cannot be subscribed');
    // Nonmembers are recorded whatever their bans: the moderation rules check bans themselves.
    if (role !== 'nonmember' && this.bans && (await this.bans.isBanned(lower, mlist.list_id)))
      throw new BadRequestError('Membership is banned');
    // Every check first, then every write as one transaction (one commit, no half-made
    // subscription): the address if new, its verification, its user, the membership. The
    // writes find the address and user by their unique keys, so nothing runs between them.
    const address = await this.users.getAddress(lower);
    if (address && (await this.getMembership(mlist.list_id, role, address.id)))
      throw new ConflictError('Member already subscribed');
    const asUser = opts.asUser;
    if (asUser && (address?.user_id !== asUser.id || asUser.preferred_address_id !== address?.id))
      throw new BadRequestError('A user is subscribed through their preferred address');
    if (asUser && (await this.sql.get(this.q.byUser, [mlist.list_id, role, asUser.id])))
      throw new ConflictError('Member already subscribed');
    const now = new Date();
    const writes: SqlStatement[] = [];
    if (!address) {
      const original = email.trim();
      if (!isValidEmail(original)) throw new BadRequestError(`Invalid email address: ${email}`);
      writes.push({
        text:
          'INSERT INTO address (email, original_email, display_name, registered_on, verified_on, user_id) VALUES ' +
          '(?, ?, ?, ?, ?, NULL)',
        params: [lower, original, opts.displayName ?? '', now, opts.verified ? now : null],
      });
    } else if (opts.verified && !address.verified_on) {
      writes.push({
        text: 'UPDATE address SET verified_on = ? WHERE id = ? AND verified_on IS NULL',
        params: [now, address.id],
      });
    }
    // As Mailman's subscription workflow does: a subscribing address without a user gets one,
    // so the member can be found (and managed) as a user, as Postorius expects. The address
    // is the user's preferred one when verified.
    if ((role === 'member' || opts.makeUser) && !address?.user_id) {
      const uid = newUuid();
      writes.push(
        {
          text:
            'INSERT INTO "user" (user_id, display_name, password, created_on, is_server_owner, ' +
            'preferred_address_id) SELECT ?, display_name, NULL, ?, ?, CASE WHEN verified_on IS NULL THEN NULL ' +
            'ELSE id END FROM address WHERE email = ?',
          params: [uid, now, false, lower],
        },
        {
          text: 'UPDATE address SET user_id = (SELECT id FROM "user" WHERE user_id = ?) WHERE email = ?',
          params: [uid, lower],
        },
      );
    }
    const memberId = newUuid();
    writes.push({
      text:
        'INSERT INTO member (member_id, role, list_id, address_id, user_id, display_name, moderation_action, ' +
        'delivery_mode, delivery_status, bounce_score, total_warnings_sent, subscribed_on) ' +
        `SELECT ?, ?, ?, ${asUser ? 'NULL' : 'id'}, ?, COALESCE(?, display_name, ''), ?, ?, ?, 0, 0, ? ` +
        'FROM address WHERE email = ?',
      params: [
        memberId,
        role,
        mlist.list_id,
        asUser?.id ?? null,
        opts.displayName ?? null,
        // As Mailman: the list's owners and moderators post unmoderated.
        role === 'owner' || role === 'moderator' ? 'accept' : null,
        // Unset unless asked for: the address, the user or the system decides.
        opts.deliveryMode ?? null,
        opts.deliveryStatus ?? null,
        now,
        lower,
      ],
    });
    await this.sql.batch(writes);
    const member = this.rows.readOne(await this.sql.get(this.q.byMemberId, [memberId]));
    const stored = await this.users.getAddress(lower);
    if (!member || !stored) throw new Error(`subscription of ${lower} to ${mlist.list_id} was not stored`);
    return { member, address: stored };
  }

  async unsubscribe(member: Member): Promise<void> {
    await this.repo.delete({ id: member.id });
  }

  getByMemberId(memberId: string): Promise<Member | null> {
    return this.repo.findOneBy({ member_id: memberId.replace(/-/g, '').toLowerCase() });
  }

  /** Members of a list in a role (all roles when omitted), with their addresses, by email. */
  async roster(listId: string, role?: MemberRole): Promise<MemberView[]> {
    return (await this.findPage({ listId, role, exact: true }, 'email')).items;
  }

  /**
   * The regular members with delivery enabled, by email, less `sender` when their
   * receive_own_postings is off: each of the three through the preference cascade.
   */
  async regularRecipients(listId: string, sender?: string): Promise<string[]> {
    // '' is no member's email: without a sender, nobody is left out for it.
    const rows = await this.sql.all<{ email: string }>(REGULAR_RECIPIENTS, [listId, sender ?? '']);
    const out = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = rows[i].email;
    return out;
  }

  /**
   * The digest members with delivery enabled, by the digest their delivery_mode asks for:
   * plaintext_digests the plain one; mime_digests and summary_digests the MIME one (Mailman
   * has no summary digest of its own).
   */
  async digestRecipients(listId: string): Promise<{ mime: string[]; plain: string[] }> {
    const out = { mime: [] as string[], plain: [] as string[] };
    for (const r of await this.sql.all<{ email: string; mode: string }>(DIGEST_RECIPIENTS, [listId]))
      (r.mode === 'plaintext_digests' ? out.plain : out.mime).push(r.email);
    return out;
  }

  /** Emails of the members in a role whose delivery is enabled (through the cascade). */
  async enabledInRole(listId: string, role: MemberRole): Promise<string[]> {
    return (await this.sql.all<{ email: string }>(ENABLED_IN_ROLE, [listId, role])).map((r) => r.email);
  }

  /** Names and languages of a list's members by email, for personalised delivery. */
  async deliveryData(listId: string): Promise<Map<string, DeliveryMember>> {
    const out = new Map<string, DeliveryMember>();
    for (const r of await this.sql.all<{ email: string; name: string | null; language: string | null }>(DELIVERY_DATA, [
      listId,
    ])) {
      out.set(r.email, {
        email: r.email,
        displayName: r.name ?? '',
        language: r.language ?? undefined,
      });
    }
    return out;
  }

  /**
   * The members with their addresses, by email. A member subscribed as a user has the user's
   * preferred address; one whose user has none (or whose address is gone) is left out.
   */
  async withAddresses(members: Member[]): Promise<MemberView[]> {
    const userIds = [
      ...new Set(members.filter((m) => m.address_id == null && m.user_id != null).map((m) => m.user_id!)),
    ];
    const preferred = new Map<number, number>();
    for (const [id, u] of await this.users.usersById(userIds))
      if (u.preferred_address_id != null) preferred.set(id, u.preferred_address_id);
    const addressOf = (m: Member): number | undefined =>
      m.address_id ?? (m.user_id != null ? preferred.get(m.user_id) : undefined);
    const ids = [...new Set(members.map(addressOf).filter((x): x is number => x != null))];
    const addrs = ids.length ? await this.users.addresses.findBy({ id: In(ids) }) : [];
    const byId = new Map(addrs.map((a) => [a.id, a]));
    return members
      .filter((m) => byId.has(addressOf(m) ?? -1))
      .map((m) => ({ member: m, address: byId.get(addressOf(m)!)! }))
      .sort((a, b) => a.address.email.localeCompare(b.address.email));
  }

  /** The memberships with these row ids, with their addresses. */
  async byIds(ids: number[]): Promise<MemberView[]> {
    return this.withAddresses(await this.repo.findBy({ id: In(ids) }));
  }

  async all(): Promise<MemberView[]> {
    return this.withAddresses(await this.repo.find({ order: { id: 'ASC' } }));
  }

  /**
   * Memberships matching every given criterion, in Mailman's listing order. A complete email
   * address matches exactly (mailmanclient's is_owner and friends rely on that); any other
   * text matches part of the email, for searching a roster.
   */
  async find(q: MemberQuery): Promise<MemberView[]> {
    return (await this.findPage(q)).items;
  }

  /**
   * One page of find() (or of a roster, by email), counted and cut in the database. The
   * delivery criteria are asked through the preference cascade, as delivery sees them.
   * A member subscribed as a user is found under the user's preferred address.
   */
  async findPage(q: MemberQuery, order: 'listing' | 'email' = 'listing', page?: Page): Promise<Paged<MemberView>> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const when = (sql: string, ...values: SqlValue[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (q.listId) when('m.list_id = ?', q.listId);
    if (q.role) when('m.role = ?', q.role);
    if (q.notNonmembers) when("m.role <> 'nonmember'");
    if (q.moderation_action) when('m.moderation_action = ?', q.moderation_action);
    if (q.delivery_mode) when(`${cascadeSql('delivery_mode')} = ?`, q.delivery_mode);
    if (q.delivery_status) when(`${cascadeSql('delivery_status')} = ?`, q.delivery_status);
    if (q.subscriberUid !== undefined) {
      const uid = q.subscriberUid.replace(/-/g, '').toLowerCase();
      when('(u.user_id = ? OR m.user_id IN (SELECT id FROM "user" WHERE user_id = ?))', uid, uid);
    } else if (q.subscriber !== undefined) {
      const s = q.subscriber.trim().toLowerCase();
      if (q.exact || isValidEmail(s)) when('a.email = ?', s);
      else when("a.email LIKE ? ESCAPE '\\'", `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    const from = `FROM member m ${MEMBER_ADDRESS} ${USER_LAYER}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const orderBy = order === 'email' ? 'a.email, m.id' : `m.list_id, ${ROLE_ORDER_SQL}, a.email, m.id`;
    const limit = limitSql(page);
    const ids = (
      page?.limit === 0
        ? []
        : await this.sql.all<{ id: number }>(`SELECT m.id AS id ${from} ORDER BY ${orderBy}${limit.sql}`, [
            ...params,
            ...limit.params,
          ])
    ).map((r) => Number(r.id));
    const total = page
      ? Number((await this.sql.get<{ n: number | string }>(`SELECT COUNT(*) AS n ${from}`, params))?.n ?? 0)
      : ids.length;
    const members = ids.length ? await this.repo.findBy({ id: In(ids) }) : [];
    const rank = new Map(ids.map((id, i) => [id, i]));
    const items = (await this.withAddresses(members)).sort((a, b) => rank.get(a.member.id)! - rank.get(b.member.id)!);
    return { items, total };
  }

  /** The membership of this address in a role, if any: its own, or its user's when subscribed as the user. */
  async getMembership(listId: string, role: MemberRole, addressId: number): Promise<Member | null> {
    const direct = this.rows.readOne(await this.sql.get(this.q.byAddress, [listId, role, addressId]));
    if (direct) return direct;
    const user = await this.sql.get<{ id: number }>(this.q.preferredBy, [addressId]);
    return user ? this.rows.readOne(await this.sql.get(this.q.byUser, [listId, role, user.id])) : null;
  }

  /** Regular members per list, in one query rather than one per list. */
  async countsByList(listIds: string[]): Promise<Map<string, number>> {
    if (!listIds.length) return new Map();
    const rows: { list_id: string; n: string | number }[] = await this.repo
      .createQueryBuilder('m')
      .select('m.list_id', 'list_id')
      .addSelect('COUNT(*)', 'n')
      .where('m.role = :role', { role: 'member' })
      .andWhere('m.list_id IN (:...ids)', { ids: listIds })
      .groupBy('m.list_id')
      .getRawMany();
    return new Map(rows.map((r) => [r.list_id, Number(r.n)]));
  }

  /**
   * The membership of an email in a role: through the address itself, or through any
   * address of the user that owns it (Mailman's lookup for moderation).
   */
  async findMember(listId: string, email: string, role: MemberRole): Promise<Member | null> {
    // Asked for each sender of each post by the moderation rules: prepared raw queries.
    const address = await this.users.getAddress(email);
    if (!address) return null;
    const direct = this.rows.readOne(await this.sql.get(this.q.byAddress, [listId, role, address.id]));
    if (direct || !address.user_id) return direct;
    const found = this.rows.readOne(await this.sql.get(this.q.byUserAddresses, [listId, role, address.user_id]));
    return found ?? this.rows.readOne(await this.sql.get(this.q.byUser, [listId, role, address.user_id]));
  }

  async setModerationAction(member: Member, action: string | null): Promise<void> {
    if (action !== null && !(ACTIONS as readonly string[]).includes(action))
      throw new BadRequestError(`Invalid moderation_action: ${action}`);
    member.moderation_action = action;
    await this.repo.save(member);
  }

  async update(member: Member, changes: Partial<Member>): Promise<Member> {
    Object.assign(member, changes);
    if (this.lastDigests && 'delivery_mode' in changes)
      return this.lastDigests.watch({ memberId: member.id }, () => this.repo.save(member));
    return this.repo.save(member);
  }

  async count(listId: string, role: MemberRole = 'member'): Promise<number> {
    return this.repo.countBy({ list_id: listId, role });
  }
}
