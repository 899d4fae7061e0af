// Tokens waiting for somebody: confirmations sent to a subscriber, requests waiting for a
// moderator. A token is 160 random bits, so it cannot be guessed; an expired one is as good
// as unknown, and is swept away the next time pendings are read.
import { randomBytes } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import { In, LessThan } from 'typeorm';
import { findPaged, type Page, type Paged } from './paging.js';
import { PendedEntity, type Pended, type PendType, type TokenOwner } from '../model/pending.js';

export interface PendOptions {
  listId?: string | null;
  email?: string | null;
  tokenOwner?: TokenOwner;
  /** Milliseconds until the token expires. */
  lifeMs: number;
}

/** A pending row with its data decoded. */
export interface Pending<T = Record<string, unknown>> {
  row: Pended;
  data: T;
}

const TOKEN = /^[0-9a-f]{40}$/;

export class PendingManager {
  readonly repo: Repository<Pended>;
  constructor(ds: DataSource) {
    this.repo = ds.getRepository(PendedEntity);
  }

  static newToken(): string {
    return randomBytes(20).toString('hex');
  }

  /** Whether `text` has the shape of a token (anything else is not looked up at all). */
  static isToken(text: string): boolean {
    return TOKEN.test(text);
  }

  async add(type: PendType, data: object, opts: PendOptions): Promise<Pended> {
    const now = new Date();
    return this.repo.save(
      this.repo.create({
        token: PendingManager.newToken(),
        type,
        list_id: opts.listId ?? null,
        email: opts.email?.toLowerCase() ?? null,
        token_owner: opts.tokenOwner ?? 'no_one',
        created_at: now,
        expires_at: new Date(now.getTime() + opts.lifeMs),
        data: JSON.stringify(data),
      }),
    );
  }

  /** The live pending of a token; undefined when unknown, malformed or expired. */
  async get<T = Record<string, unknown>>(token: string, now = new Date()): Promise<Pending<T> | undefined> {
    const t = token.trim().toLowerCase();
    if (!PendingManager.isToken(t)) return undefined;
    const row = await this.repo.findOneBy({ token: t });
    if (!row) return undefined;
    if (row.expires_at.getTime() <= now.getTime()) {
      await this.repo.delete({ id: row.id });
      return undefined;
    }
    return { row, data: JSON.parse(row.data) as T };
  }

  /**
   * Takes a token out: returns its data and deletes it, so a token works once. The delete
   * decides between two racing confirmations of the same token: only one gets the data.
   */
  async confirm<T = Record<string, unknown>>(token: string): Promise<Pending<T> | undefined> {
    const found = await this.get<T>(token);
    if (!found) return undefined;
    const result = await this.repo.delete({ id: found.row.id });
    if (result.affected === 0) return undefined;
    return found;
  }

  async remove(token: string): Promise<void> {
    await this.repo.delete({ token: token.toLowerCase() });
  }

  /** Drops the moderators' token of a held message whose request is gone (decided or deleted). */
  async removeHeldMessage(listId: string, requestId: number): Promise<void> {
    // The hold pends exactly JSON.stringify({ id }), so the same text finds its row.
    await this.repo.delete({ list_id: listId, type: 'held message', data: JSON.stringify({ id: requestId }) });
  }

  /** A list's live pendings of any of `types`, oldest first, optionally of one token owner; one page. */
  async forListPage(
    listId: string,
    filter: { types: readonly PendType[]; tokenOwner?: TokenOwner },
    page?: Page,
  ): Promise<Paged<Pended>> {
    await this.evictExpired();
    return findPaged(
      this.repo,
      {
        where: {
          list_id: listId,
          type: In([...filter.types]),
          ...(filter.tokenOwner ? { token_owner: filter.tokenOwner } : {}),
        },
        order: { id: 'ASC' },
      },
      page,
    );
  }

  /** A live pending of this type for this address on this list, if any. */
  async findFor(listId: string, email: string, type: PendType): Promise<Pended | null> {
    await this.evictExpired();
    return this.repo.findOneBy({ list_id: listId, email: email.toLowerCase(), type });
  }

  async evictExpired(now = new Date()): Promise<number> {
    return (await this.repo.delete({ expires_at: LessThan(now) })).affected ?? 0;
  }
}
