// Opening the database: SQLite (WAL, so runners read while another process writes) or
// PostgreSQL, by [database] url. Every process opens its own; the master migrates first.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config/config.js';
import { ALL_ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';

export async function openDatabase(config: Config, opts: { migrate?: boolean } = {}): Promise<DataSource> {
  const kind = config.databaseKind; // refuses a [database] class that disagrees with the url
  const url = config.databaseUrl;
  const debug = config.bool('database', 'debug');
  let ds: DataSource;
  if (kind === 'sqlite') {
    const file = url.slice('sqlite:///'.length);
    mkdirSync(dirname(file), { recursive: true });
    ds = new DataSource({
      type: 'better-sqlite3',
      database: file,
      entities: ALL_ENTITIES,
      migrations: MIGRATIONS,
      logging: debug,
      // Several processes share the file: wait for a writer rather than fail with SQLITE_BUSY.
      prepareDatabase: (db: { pragma(s: string): unknown }) => {
        db.pragma('journal_mode = WAL');
        db.pragma('busy_timeout = 10000');
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
      },
    });
  } else {
    ds = new DataSource({ type: 'postgres', url, entities: ALL_ENTITIES, migrations: MIGRATIONS, logging: debug });
  }
  await ds.initialize();
  if (opts.migrate ?? true) await ds.runMigrations({ transaction: 'all' });
  return ds;
}
