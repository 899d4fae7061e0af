// Entities read by raw SQL: the columns of an entity selected by name, and each value
// hydrated by TypeORM's own driver conversion (booleans, datetimes, JSON, transformers), so
// an entity read here is the same object findOneBy would give, at a fraction of its cost.
import type { DataSource, EntitySchema } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import type { Row } from '../model/sql.js';

export class RowReader<T> {
  /** `"a", "b", ...`: every column of the entity, for SELECT. */
  readonly columns: string;
  /** The table name, quoted ("user" is reserved in PostgreSQL). */
  readonly table: string;
  private readonly metas: ColumnMetadata[];
  private readonly driver: { prepareHydratedValue(value: unknown, column: ColumnMetadata): unknown };

  constructor(ds: DataSource, entity: EntitySchema<T>) {
    const md = ds.getMetadata(entity);
    this.metas = md.columns;
    this.columns = md.columns.map((c) => `"${c.databaseName}"`).join(', ');
    this.table = `"${md.tableName}"`;
    this.driver = ds.driver as never;
  }

  read(row: Row): T {
    const out: Record<string, unknown> = {};
    for (const c of this.metas) out[c.propertyName] = this.driver.prepareHydratedValue(row[c.databaseName], c);
    return out as T;
  }

  readOne(row: Row | undefined): T | null {
    return row ? this.read(row) : null;
  }
}
