// Mailman's ban manager: an email, or a `^regex` matched case-insensitively from the start,
// banned from one list or (list_id null) from every list. Bans stop subscriptions, and in
// moderation they send a post to discard.
import type { DataSource, Repository } from 'typeorm';
import { IsNull } from 'typeorm';
import { Ban, BanEntity } from '../model/entities.js';
import { BadRequestError } from './errors.js';
import { logger } from '../logging.js';
import { patternProblem, tryPattern } from '../patterns/patterns.js';
import { ADDRESS_PATTERN as BAN_PATTERN } from '../patterns/setting-patterns.js';
import type { Sql } from '../model/sql.js';
import { findPaged, type Page, type Paged } from './paging.js';

export class BanManager {
  readonly repo: Repository<Ban>;
  constructor(
    ds: DataSource,
    private readonly sql: Sql,
  ) {
    this.repo = ds.getRepository(BanEntity);
  }

  private where(email: string, listId: string | null) {
    return { email, list_id: listId === null ? IsNull() : listId };
  }

  /** Bans an email (lower-cased) or a `^regex` (kept as written); banning twice is a no-op. */
  async ban(email: string, listId: string | null = null): Promise<Ban> {
    const key = normalise(email);
    const why = key.startsWith('^') ? patternProblem(key, BAN_PATTERN) : undefined;
    if (why) throw new BadRequestError(`Invalid ban pattern ${key}: ${why}`);
    const existing = await this.repo.findOneBy(this.where(key, listId));
    return existing ?? this.repo.save(this.repo.create({ email: key, list_id: listId }));
  }

  /** Lifts a ban; false when there was none. */
  async unban(email: string, listId: string | null = null): Promise<boolean> {
    const res = await this.repo.delete(this.where(normalise(email), listId));
    return (res.affected ?? 0) > 0;
  }

  /** The list's bans (listId given) or the global ones (null), in the order they were made. */
  list(listId: string | null = null): Promise<Ban[]> {
    return this.repo.find({ where: { list_id: listId === null ? IsNull() : listId }, order: { id: 'ASC' } });
  }

  /** The list's bans (listId given) or the global ones (null) by email, as Mailman lists them; one page. */
  page(listId: string | null, page?: Page): Promise<Paged<Ban>> {
    return findPaged(
      this.repo,
      { where: { list_id: listId === null ? IsNull() : listId }, order: { email: 'ASC', id: 'ASC' } },
      page,
    );
  }

  /** Whether exactly this entry exists (no pattern matching), as REST's bans/<email> asks. */
  async has(email: string, listId: string | null = null): Promise<boolean> {
    return (await this.repo.countBy(this.where(normalise(email), listId))) > 0;
  }

  /**
   * Mailman's order: an exact ban for the list, an exact global ban, then the list's
   * patterns, then the global patterns. A pattern that does not compile matches nothing.
   * One query for both scopes: three rules ask this for every sender of every post.
   */
  async isBanned(email: string, listId: string | null = null): Promise<boolean> {
    const addr = email.trim().toLowerCase();
    const rows =
      listId === null
        ? await this.sql.all<{ email: string; list_id: string | null }>(
            'SELECT email, list_id FROM ban WHERE list_id IS NULL ORDER BY id',
          )
        : await this.sql.all<{ email: string; list_id: string | null }>(
            'SELECT email, list_id FROM ban WHERE list_id = ? OR list_id IS NULL ORDER BY id',
            [listId],
          );
    if (rows.length === 0) return false;
    const scopes: (string | null)[] = listId === null ? [null] : [listId, null];
    for (const scope of scopes) if (rows.some((b) => b.list_id === scope && b.email === addr)) return true;
    for (const scope of scopes) {
      for (const ban of rows)
        if (ban.list_id === scope && ban.email.startsWith('^') && matchesBan(ban.email, addr)) return true;
    }
    return false;
  }
}

function normalise(email: string): string {
  const t = email.trim();
  return t.startsWith('^') ? t : t.toLowerCase();
}

/** A ban pattern matches from the start of the address (Python's re.match), ignoring case. */
export function matchesBan(pattern: string, email: string): boolean {
  const re = tryPattern(pattern, BAN_PATTERN, (why) =>
    logger('error').warn({ pattern, err: why }, `ban pattern ${pattern} does not compile`),
  );
  return re?.test(email) ?? false;
}
