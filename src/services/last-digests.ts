// "One last digest": a member who switches from digest to regular delivery would miss the
// posts collected since the last issue (they came as no single copy and will be in no digest
// of theirs), so the switch leaves a record and the list's next issue goes to them as well,
// in the digest they left; sending it clears the record. A switch is seen wherever the
// effective delivery_mode can change: the member's own layer (REST PATCH of the member or of
// its preferences) and the address's or user's layer under it.
import type { DataSource, Repository } from 'typeorm';
import { In } from 'typeorm';
import { OneLastDigestEntity, type OneLastDigest } from '../model/one-last-digest.js';
import type { Row, Sql } from '../model/sql.js';
import { cascadeSql, MEMBER_ADDRESS, USER_LAYER } from './preferences.js';

/** Whose delivery_mode a change may move: the members under one layer of the cascade. */
export type ModeScope = { memberId: number } | { addressId: number } | { userId: number };

const DIGEST_MODES = new Set(['mime_digests', 'plaintext_digests', 'summary_digests']);

const MODES_OF = (where: string) => `SELECT m.list_id AS list_id, a.email AS email,
    ${cascadeSql('delivery_mode')} AS mode
  FROM member m ${MEMBER_ADDRESS} ${USER_LAYER}
  WHERE m.role = 'member' AND ${where}`;
const BY_MEMBER = MODES_OF('m.id = ?');
const BY_ADDRESS = MODES_OF('a.id = ?');
const BY_USER = MODES_OF('u.id = ?');

type ModeRow = Row & { list_id: string; email: string; mode: string };

export class LastDigestManager {
  private readonly repo: Repository<OneLastDigest>;

  constructor(
    ds: DataSource,
    private readonly sql: Sql,
  ) {
    this.repo = ds.getRepository(OneLastDigestEntity);
  }

  private modes(scope: ModeScope): Promise<ModeRow[]> {
    if ('memberId' in scope) return this.sql.all<ModeRow>(BY_MEMBER, [scope.memberId]);
    if ('addressId' in scope) return this.sql.all<ModeRow>(BY_ADDRESS, [scope.addressId]);
    return this.sql.all<ModeRow>(BY_USER, [scope.userId]);
  }

  /**
   * Runs `change`, then records one last digest for each member in `scope` whose effective
   * delivery_mode it moved from a digest to regular delivery.
   */
  async watch<T>(scope: ModeScope, change: () => Promise<T>): Promise<T> {
    const before = new Map((await this.modes(scope)).map((r) => [`${r.list_id}\n${r.email}`, r]));
    const result = await change();
    for (const now of await this.modes(scope)) {
      const was = before.get(`${now.list_id}\n${now.email}`);
      if (was && DIGEST_MODES.has(was.mode) && now.mode === 'regular') await this.owe(was);
    }
    return result;
  }

  /** One record per list and email: a second switch before the next issue replaces the first. */
  private async owe(row: ModeRow): Promise<void> {
    await this.repo.delete({ list_id: row.list_id, email: row.email });
    await this.repo.insert({ list_id: row.list_id, email: row.email, delivery_mode: row.mode });
  }

  /** The records of a list, for its next issue; cleared by clear() once that issue is queued. */
  pending(listId: string): Promise<OneLastDigest[]> {
    return this.repo.find({ where: { list_id: listId }, order: { id: 'ASC' } });
  }

  /** Removes the records an issue was sent to (only those: a switch since then waits for the next). */
  async clear(ids: readonly number[]): Promise<void> {
    if (ids.length) await this.repo.delete({ id: In([...ids]) });
  }
}
