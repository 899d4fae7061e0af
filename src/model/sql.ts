// Raw SQL for the hot paths (list lookup per message, roster per post, subscribe), where
// TypeORM's entity machinery costs ten times the query. One spelling for both databases:
// statements are written with `?` placeholders in SQL both SQLite and PostgreSQL accept, and
// each is prepared once per connection (better-sqlite3 statement cache; named pg statements).
// Anything outside the hot paths stays on TypeORM.
import { createHash } from 'node:crypto';
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
  /**
   * Statements run in order as one transaction: all take effect or none; rows changed by
   * each. Later statements find earlier rows by their keys (subqueries), not by ids handed
   * back, so nothing outside the database runs in between: on SQLite the batch runs
   * synchronously on the one connection, so no other query of this process can interleave
   * with it (inside a transaction another caller has open, it nests as a savepoint).
   */
  batch(statements: readonly SqlStatement[]): Promise<number[]>;
}

export interface SqlStatement {
  text: string;
  params?: readonly SqlValue[];
}

/** SQLite answers 0/1 and PostgreSQL true/false: callers read booleans through this. */
export const asBool = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 't';

/** SQLite stores datetimes as text, PostgreSQL hands back Date objects. */
export const asDate = (v: unknown): Date | null =>
  v === null || v === undefined
    ? null
    : v instanceof Date
      ? v
      : new Date(String(v).replace(' ', 'T') + (/[zZ]|[+-]\d\d:?\d\d$/.test(String(v)) ? '' : 'Z'));

interface SqliteStatement {
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): { changes: number };
}
interface SqliteDatabase {
  prepare(text: string): SqliteStatement;
  transaction<F extends (...args: never[]) => unknown>(fn: F): F;
}
interface PgTypes {
  getTypeParser(oid: number, format?: string): (value: string) => unknown;
}
interface PgQueryable {
  query(q: {
    name?: string;
    text: string;
    values?: unknown[];
    types?: PgTypes;
  }): Promise<{ rows: Row[]; rowCount: number | null }>;
}
interface PgPool extends PgQueryable {
  connect(): Promise<PgQueryable & { release(err?: Error | boolean): void }>;
}

/** `?` outside quoted strings and identifiers becomes `$1`, `$2`...: PostgreSQL's placeholders. */
export function numberPlaceholders(text: string): string {
  let n = 0;
  return text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g, (m) => (m === '?' ? `$${++n}` : m));
}

const INT8 = 20;
const NUMERIC = 1700;

/** better-sqlite3 binds neither booleans nor Dates: they go in as TypeORM stores them. */
const sqliteParam = (v: SqlValue): unknown =>
  v === true ? 1 : v === false ? 0 : v instanceof Date ? v.toISOString().replace('T', ' ').replace('Z', '') : v;

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
  async batch(statements: readonly SqlStatement[]): Promise<number[]> {
    const prepared = statements.map((s) => ({
      stmt: this.statement(s.text),
      params: (s.params ?? []).map(sqliteParam),
    }));
    return this.db.transaction(() => prepared.map((p) => p.stmt.run(...p.params).changes))();
  }
}

class PostgresSql implements Sql {
  readonly dialect = 'postgres';
  private readonly names = new Map<string, { name: string; text: string; types: PgTypes }>();
  /**
   * count(*) and sum() are bigint/numeric, which pg hands back as strings; SQLite gives
   * numbers. Read them as numbers here (counts stay far below 2^53) so callers see one type.
   */
  private readonly types: PgTypes;
  constructor(
    private readonly pool: PgPool,
    base: PgTypes,
  ) {
    this.types = {
      getTypeParser: (oid, format) =>
        (oid === INT8 || oid === NUMERIC) && format !== 'binary'
          ? (v: string) => Number(v)
          : base.getTypeParser(oid, format),
    };
  }

  /**
   * Named after its text, so pg prepares it once per pooled connection and two Sql objects on
   * one pool never give one name to two statements.
   */
  private statement(text: string): { name: string; text: string; types: PgTypes } {
    let s = this.names.get(text);
    if (!s) {
      s = {
        name: `mm_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`,
        text: numberPlaceholders(text),
        types: this.types,
      };
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
  async batch(statements: readonly SqlStatement[]): Promise<number[]> {
    const client = await this.pool.connect();
    try {
      await client.query({ text: 'BEGIN' });
      const counts: number[] = [];
      for (const s of statements)
        counts.push((await client.query({ ...this.statement(s.text), values: [...(s.params ?? [])] })).rowCount ?? 0);
      await client.query({ text: 'COMMIT' });
      client.release();
      return counts;
    } catch (err) {
      await client.query({ text: 'ROLLBACK' }).catch(() => undefined);
      client.release(err as Error);
      throw err;
    }
  }
}

/** The raw side of an initialised TypeORM data source. */
export function openSql(ds: DataSource): Sql {
  const driver = ds.driver as unknown as {
    databaseConnection?: SqliteDatabase;
    master?: PgPool;
    postgres?: { types: PgTypes };
  };
  if (ds.options.type === 'better-sqlite3') return new SqliteSql(driver.databaseConnection!);
  if (ds.options.type === 'postgres') return new PostgresSql(driver.master!, driver.postgres!.types);
  throw new Error(`no raw SQL for database type ${ds.options.type}`);
}
