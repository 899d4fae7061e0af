// Raw SQL for the hot paths (list lookup per message, roster per post, subscribe), where
// TypeORM's entity machinery costs ten times the query. One spelling for both databases:
// statements are written with `?` placeholders in SQL both SQLite and PostgreSQL accept, and
// each is prepared once per connection (better-sqlite3 statement cache; named pg statements).
// Anything outside the hot paths stays on TypeORM.
import type { DataSource } from 'typeorm';

export type SqlValue = string | number | boolean | null | Date;
export type Row = Record<string, unknown>;

export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  /** Every row. */
  all<T extends Row = Row>(text: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row, or undefined. */
  get<T extends Row = Row>(text: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement run for its effect: rows changed. */
  run(text: string, params?: readonly SqlValue[]): Promise<number>;
}

/** SQLite answers 0/1 and PostgreSQL true/false: callers read booleans through this. */
export const asBool = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 't';

/** SQLite stores datetimes as text, PostgreSQL hands back Date objects. */
export const asDate = (v: unknown): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v).replace(' ', 'T') + (/[zZ]|[+-]\d\d:?\d\d$/.test(String(v)) ? '' : 'Z')));

interface SqliteStatement {
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): { changes: number };
}
interface SqliteDatabase {
  prepare(text: string): SqliteStatement;
}
interface PgPool {
  query(q: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/** better-sqlite3 binds neither booleans nor Dates: they go in as TypeORM stores them. */
const sqliteParam = (v: SqlValue): unknown => (v === true ? 1 : v === false ? 0 : v instanceof Date ? v.toISOString().replace('T', ' ').replace('Z', '') : v);

class SqliteSql implements Sql {
  readonly dialect = 'sqlite';
  private readonly statements = new Map<string, SqliteStatement>();
  constructor(private readonly db: SqliteDatabase) {}

  private statement(text: string): SqliteStatement {
    let s = this.statements.get(text);
    if (!s) this.statements.set(text, (s = this.db.prepare(text)));
    return s;
  }
  async all<T extends Row>(text: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.statement(text).all(...params.map(sqliteParam)) as T[];
  }
  async get<T extends Row>(text: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.statement(text).get(...params.map(sqliteParam)) as T | undefined;
  }
  async run(text: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.statement(text).run(...params.map(sqliteParam)).changes;
  }
}

class PostgresSql implements Sql {
  readonly dialect = 'postgres';
  private readonly names = new Map<string, { name: string; text: string }>();
  constructor(private readonly pool: PgPool) {}

  /** `?` becomes `$n` once per statement; the name makes pg prepare it once per connection. */
  private statement(text: string): { name: string; text: string } {
    let s = this.names.get(text);
    if (!s) {
      let n = 0;
      s = { name: `mm_${this.names.size}`, text: text.replace(/\?/g, () => `$${++n}`) };
      this.names.set(text, s);
    }
    return s;
  }
  async all<T extends Row>(text: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.pool.query({ ...this.statement(text), values: [...params] })).rows as T[];
  }
  async get<T extends Row>(text: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(text, params))[0];
  }
  async run(text: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.pool.query({ ...this.statement(text), values: [...params] })).rowCount ?? 0;
  }
}

/** The raw side of an initialised TypeORM data source. */
export function openSql(ds: DataSource): Sql {
  const driver = ds.driver as unknown as { databaseConnection?: SqliteDatabase; master?: PgPool };
  if (ds.options.type === 'better-sqlite3') return new SqliteSql(driver.databaseConnection!);
  if (ds.options.type === 'postgres') return new PostgresSql(driver.master!);
  throw new Error(`no raw SQL for database type ${ds.options.type}`);
}
