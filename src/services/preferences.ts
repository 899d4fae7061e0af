// The preference cascade: a member's preference is the member's own if set, else its
// address's, else the user's who owns that address, else the system's (for the language, the
// list's and then the site's come before the system). The cascade is written once, as SQL
// (cascadeSql), so the hot paths that choose a post's recipients filter on it inside their
// one query, and everything else reads a member's effective preferences through the same
// expressions (effectiveOf). Reading and writing each layer is here too.
import type { DataSource, Repository } from 'typeorm';
import { AddressEntity, MemberEntity, UserEntity, type Address, type Member, type User } from '../model/entities.js';
import {
  PREFERENCE_KINDS,
  PREFERENCE_NAMES,
  SYSTEM_PREFERENCES,
  type EffectivePreferences,
  type PreferenceName,
  type Preferences,
} from '../model/preferences.js';
import { asBool, type Row, type Sql } from '../model/sql.js';
import type { LastDigestManager, ModeScope } from './last-digests.js';

/**
 * The tables of the cascade as the SQL below names them, in the order they are asked: a
 * query selects from `member m` joined to its address `a`, and adds USER_LAYER for `u`.
 */
const LAYERS = ['m', 'a', 'u'] as const;

/** The join that brings in the cascade's third layer, the user owning the member's address `a`. */
export const USER_LAYER = 'LEFT JOIN "user" u ON u.id = a.user_id';

/**
 * The address `a` of each member `m`: its own, or for a member subscribed as a user
 * (address_id null) that user's preferred address, read at the time of the query, so a change
 * of preferred address moves the membership with it. A user without one has no address here.
 */
export const MEMBER_ADDRESS =
  'LEFT JOIN "user" su ON su.id = m.user_id JOIN address a ON a.id = COALESCE(m.address_id, su.preferred_address_id)';

function sqlLiteral(value: string | boolean): string {
  // The values are this module's own constants, never input; booleans as both databases spell them.
  return typeof value === 'boolean' ? (value ? 'TRUE' : 'FALSE') : `'${value}'`;
}

/**
 * One preference through the cascade, as an SQL expression over `m`, `a` and `u`. Every
 * preference but the language ends in the system's value; the language ends NULL, for the
 * list's and then the site's (languageOf).
 */
export function cascadeSql(name: PreferenceName): string {
  const layers = LAYERS.map((t) => `${t}.${name}`);
  if (name !== 'preferred_language') layers.push(sqlLiteral(SYSTEM_PREFERENCES[name]));
  return `COALESCE(${layers.join(', ')})`;
}

/** A member's language: the cascade's, else the list's, else the site's. */
export function languageOf(cascaded: unknown, listLanguage: unknown, siteLanguage: string): string {
  for (const v of [cascaded, listLanguage]) if (typeof v === 'string' && v) return v;
  return siteLanguage;
}

/** The keys of one layer, read from a row whose columns are the preferences' names. */
function layerOf(row: Row | Preferences): Preferences {
  const out = {} as Record<PreferenceName, unknown>;
  for (const name of PREFERENCE_NAMES) {
    const v = (row as Record<string, unknown>)[name];
    out[name] = v === null || v === undefined ? null : PREFERENCE_KINDS[name] === 'bool' ? asBool(v) : String(v);
  }
  return out as Preferences;
}

// Ids per query when many members are read at once. A few fixed counts (the last id repeated
// to fill one) keep the prepared statements few, each far below either database's limit on
// parameters: one member as a handler asks per post, a page of a roster, a whole roster.
const BATCHES = [1, 50, 500] as const;

const EFFECTIVE_COLUMNS = PREFERENCE_NAMES.map((n) => `${cascadeSql(n)} AS ${n}`).join(', ');
const EFFECTIVE = new Map(
  BATCHES.map((n) => [
    n,
    `SELECT m.id AS member_row, ml.preferred_language AS list_language, ${EFFECTIVE_COLUMNS}
  FROM member m LEFT JOIN "user" su ON su.id = m.user_id
    LEFT JOIN address a ON a.id = COALESCE(m.address_id, su.preferred_address_id) ${USER_LAYER}
    LEFT JOIN mailinglist ml ON ml.list_id = m.list_id
  WHERE m.id IN (${Array(n).fill('?').join(', ')})`,
  ]),
);

/** Whose preferences a request reads or writes: one layer of the cascade. */
export type PreferenceOwner = { member: Member } | { address: Address } | { user: User };

export class PreferenceManager {
  private readonly members: Repository<Member>;
  private readonly addresses: Repository<Address>;
  private readonly users: Repository<User>;

  constructor(
    ds: DataSource,
    private readonly sql: Sql,
    /** [mailman] default_language: the bottom of the cascade for the language. */
    private readonly siteLanguage: string,
    /** Told of a change that may move members off digest delivery. */
    private readonly lastDigests?: LastDigestManager,
  ) {
    this.members = ds.getRepository(MemberEntity);
    this.addresses = ds.getRepository(AddressEntity);
    this.users = ds.getRepository(UserEntity);
  }

  /** The bottom of the cascade. */
  system(): EffectivePreferences {
    return { ...SYSTEM_PREFERENCES, preferred_language: this.siteLanguage };
  }

  /** What one layer sets itself (null: not set there). */
  of(owner: PreferenceOwner): Preferences {
    return layerOf(rowOf(owner));
  }

  /** Sets the given preferences on one layer; a null value unsets one. The rest stay as they are. */
  async update(owner: PreferenceOwner, changes: Partial<Preferences>): Promise<Preferences> {
    const values = layerOf({ ...this.of(owner), ...changes });
    const write = async () => {
      if ('member' in owner) await this.members.update({ id: owner.member.id }, values);
      else if ('address' in owner) await this.addresses.update({ id: owner.address.id }, values);
      else await this.users.update({ id: owner.user.id }, values);
    };
    if (this.lastDigests && 'delivery_mode' in changes) await this.lastDigests.watch(scopeOf(owner), write);
    else await write();
    Object.assign(rowOf(owner), values);
    return values;
  }

  /** Replaces every preference of one layer: what `prefs` does not name is unset. */
  replace(owner: PreferenceOwner, prefs: Partial<Preferences>): Promise<Preferences> {
    const cleared = Object.fromEntries(PREFERENCE_NAMES.map((n) => [n, null])) as unknown as Preferences;
    return this.update(owner, { ...cleared, ...prefs });
  }

  /** Unsets every preference of one layer, so the next layer decides them all. */
  clear(owner: PreferenceOwner): Promise<Preferences> {
    return this.replace(owner, {});
  }

  /** A member's preferences as the cascade decides them. */
  async effective(member: Member): Promise<EffectivePreferences> {
    return (await this.effectiveOf([member])).get(member.id) ?? this.system();
  }

  /** The effective preferences of many members, by member row id. */
  async effectiveOf(members: readonly Member[]): Promise<Map<number, EffectivePreferences>> {
    const out = new Map<number, EffectivePreferences>();
    const ids = [...new Set(members.map((m) => m.id))];
    for (let i = 0; i < ids.length;) {
      const size = BATCHES.find((n) => n >= ids.length - i) ?? BATCHES[BATCHES.length - 1];
      const batch = ids.slice(i, i + size);
      i += batch.length;
      while (batch.length < size) batch.push(batch[batch.length - 1]);
      for (const row of await this.sql.all(EFFECTIVE.get(size)!, batch))
        out.set(Number(row.member_row), this.decided(row));
    }
    return out;
  }

  /** A row of the effective queries, the language completed by the list's and the site's. */
  private decided(row: Row): EffectivePreferences {
    const layer = layerOf(row);
    return {
      ...(layer as EffectivePreferences),
      preferred_language: languageOf(layer.preferred_language, row.list_language, this.siteLanguage),
    };
  }
}

function rowOf(owner: PreferenceOwner): Member | Address | User {
  return 'member' in owner ? owner.member : 'address' in owner ? owner.address : owner.user;
}

/** The members a change to one layer may move. */
function scopeOf(owner: PreferenceOwner): ModeScope {
  if ('member' in owner) return { memberId: owner.member.id };
  if ('address' in owner) return { addressId: owner.address.id };
  return { userId: owner.user.id };
}
