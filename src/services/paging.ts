// One page of a collection, cut in the database: REST's `?count=N&page=P` becomes LIMIT and
// OFFSET with a COUNT beside it, so a page of a big roster never loads the roster.
import type { FindManyOptions, ObjectLiteral, Repository } from 'typeorm';

/** Rows `offset` .. `offset + limit - 1` of the collection in its order. */
export interface Page {
  offset: number;
  limit: number;
}

/** A page of items and the size of the whole collection. */
export interface Paged<T> {
  items: T[];
  total: number;
}

/** The whole collection (no page) or one page of it, with the collection's size. */
export async function findPaged<T extends ObjectLiteral>(
  repo: Repository<T>,
  options: FindManyOptions<T>,
  page?: Page,
): Promise<Paged<T>> {
  if (!page) {
    const items = await repo.find(options);
    return { items, total: items.length };
  }
  // TypeORM reads `take: 0` as "no limit": an empty page is only counted.
  if (page.limit === 0) return { items: [], total: await repo.count({ where: options.where }) };
  const [items, total] = await repo.findAndCount({ ...options, skip: page.offset, take: page.limit });
  return { items, total };
}

/** ` LIMIT ? OFFSET ?` and its two parameters for a raw query; nothing for the whole collection. */
export function limitSql(page?: Page): { sql: string; params: number[] } {
  return page ? { sql: ' LIMIT ? OFFSET ?', params: [page.limit, page.offset] } : { sql: '', params: [] };
}
