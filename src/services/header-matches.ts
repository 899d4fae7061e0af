// A list's header filters (Mailman's header_matches): ordered rows of header, pattern and
// action, checked by the header-match chain after the site's own checks.
import type { DataSource, Repository } from 'typeorm';
import { HeaderMatch, HeaderMatchEntity, MailingList } from '../model/entities.js';
import { ACTIONS } from '../model/list-settings.js';
import { BadRequestError, NotFoundError } from './errors.js';
import { patternProblem } from '../patterns/patterns.js';
import { HEADER_PATTERN } from '../patterns/setting-patterns.js';
import type { Sql } from '../model/sql.js';
import { RowReader } from './rows.js';

export interface HeaderMatchInput {
  header: string;
  pattern: string;
  /** An action name; null or absent: the site's [antispam] jump_chain. */
  action?: string | null;
  tag?: string | null;
}

export class HeaderMatchManager {
  readonly repo: Repository<HeaderMatch>;
  private readonly rows: RowReader<HeaderMatch>;
  private readonly listSql: string;
  constructor(
    private readonly ds: DataSource,
    private readonly sql: Sql,
  ) {
    this.repo = ds.getRepository(HeaderMatchEntity);
    this.rows = new RowReader(ds, HeaderMatchEntity);
    this.listSql =
      `SELECT ${this.rows.columns} FROM ${this.rows.table} ` + 'WHERE mailing_list_id = ? ORDER BY position, id';
  }

  /** The list's rows in position order (positions are 0, 1, 2 ...); read for every post. */
  async list(mlist: Pick<MailingList, 'id'>): Promise<HeaderMatch[]> {
    return (await this.sql.all(this.listSql, [mlist.id])).map((r) => this.rows.read(r));
  }

  async get(mlist: Pick<MailingList, 'id'>, position: number): Promise<HeaderMatch> {
    const row = await this.repo.findOneBy({ mailing_list_id: mlist.id, position });
    if (!row) throw new NotFoundError(`No header match at this position: ${position}`);
    return row;
  }

  /** Adds a row at the end, or at `position` (moving the rows from there down one). */
  async add(mlist: Pick<MailingList, 'id'>, input: HeaderMatchInput, position?: number): Promise<HeaderMatch> {
    const header = input.header.trim().toLowerCase();
    const { pattern } = input;
    if (!header) throw new BadRequestError('A header match needs a header');
    if (!pattern) throw new BadRequestError('A header match needs a pattern');
    checkAction(input.action);
    checkPattern(pattern);
    return this.ds.transaction(async (em) => {
      const repo = em.getRepository(HeaderMatchEntity);
      const rows = await repo.find({ where: { mailing_list_id: mlist.id }, order: { position: 'ASC', id: 'ASC' } });
      if (rows.some((r) => r.header === header && r.pattern === pattern)) {
        throw new BadRequestError('This header match already exists');
      }
      const at = position === undefined ? rows.length : Math.max(0, Math.min(position, rows.length));
      const row = repo.create({
        mailing_list_id: mlist.id,
        position: at,
        header,
        pattern,
        chain: input.action ?? null,
        tag: input.tag ?? null,
      });
      rows.splice(at, 0, row);
      await renumber(repo, rows);
      return row;
    });
  }

  /** Moves the row at `from` to position `to`, shifting the others. */
  async move(mlist: Pick<MailingList, 'id'>, from: number, to: number): Promise<void> {
    await this.ds.transaction(async (em) => {
      const repo = em.getRepository(HeaderMatchEntity);
      const rows = await repo.find({ where: { mailing_list_id: mlist.id }, order: { position: 'ASC', id: 'ASC' } });
      if (from < 0 || from >= rows.length) throw new NotFoundError(`No header match at this position: ${from}`);
      const [row] = rows.splice(from, 1);
      rows.splice(Math.max(0, Math.min(to, rows.length)), 0, row);
      await renumber(repo, rows);
    });
  }

  /** Changes a row's header, pattern, action or tag in place. */
  async update(
    mlist: Pick<MailingList, 'id'>,
    position: number,
    changes: Partial<HeaderMatchInput>,
  ): Promise<HeaderMatch> {
    const row = await this.get(mlist, position);
    if (changes.header !== undefined) row.header = changes.header.trim().toLowerCase();
    if (changes.pattern !== undefined) {
      if (!changes.pattern) throw new BadRequestError('A header match needs a pattern');
      checkPattern(changes.pattern);
      row.pattern = changes.pattern;
    }
    if (changes.action !== undefined) {
      checkAction(changes.action);
      row.chain = changes.action;
    }
    if (changes.tag !== undefined) row.tag = changes.tag;
    return this.repo.save(row);
  }

  async delete(mlist: Pick<MailingList, 'id'>, position: number): Promise<void> {
    await this.ds.transaction(async (em) => {
      const repo = em.getRepository(HeaderMatchEntity);
      const rows = await repo.find({ where: { mailing_list_id: mlist.id }, order: { position: 'ASC', id: 'ASC' } });
      if (position < 0 || position >= rows.length)
        throw new NotFoundError(`No header match at this position: ${position}`);
      const [gone] = rows.splice(position, 1);
      await repo.delete({ id: gone.id });
      await renumber(repo, rows);
    });
  }

  async clear(mlist: Pick<MailingList, 'id'>): Promise<void> {
    await this.repo.delete({ mailing_list_id: mlist.id });
  }
}

/** Mailman searches a header filter's pattern ignoring case. */
function checkPattern(pattern: string): void {
  const why = patternProblem(pattern, HEADER_PATTERN);
  if (why) throw new BadRequestError(`Invalid pattern ${pattern}: ${why}`);
}

function checkAction(action: string | null | undefined): void {
  if (action != null && !(ACTIONS as readonly string[]).includes(action)) {
    throw new BadRequestError(`Invalid action: ${action} (one of ${ACTIONS.join(', ')})`);
  }
}

/** Saves positions 0..n-1 in list order. */
async function renumber(repo: Repository<HeaderMatch>, rows: HeaderMatch[]): Promise<void> {
  for (const [i, row] of rows.entries()) {
    if (row.id !== undefined && row.position === i) continue;
    row.position = i;
    await repo.save(row);
  }
}
