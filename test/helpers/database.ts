// Which database the tests run on. Unset MAILMAN_TEST_DATABASE_URL: SQLite in each test's var
// dir. Set to a PostgreSQL server (postgres://USER@HOST:PORT/, as test/run.ts starts one): every
// server or harness gets a database of its own, so tests running side by side share nothing.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const TEST_SERVER_URL = process.env.MAILMAN_TEST_DATABASE_URL || undefined;

const PG_ADMIN = fileURLToPath(new URL('./pg-admin.js', import.meta.url));

export interface TestDatabase {
  /** The `[database]` lines for a site file ('' on SQLite: the default file in var_dir). */
  conf: string;
  /** The url, or undefined on SQLite. */
  url: string | undefined;
  /** Drops the database (nothing on SQLite: the var dir goes with the test). */
  drop(): void;
}

/** A fresh, empty database for one server or harness. */
export function freshDatabase(): TestDatabase {
  if (!TEST_SERVER_URL) return { conf: '', url: undefined, drop: () => {} };
  const name = `mm_${randomBytes(6).toString('hex')}`;
  execFileSync(process.execPath, [PG_ADMIN, 'create', TEST_SERVER_URL, name], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = new URL(name, TEST_SERVER_URL.endsWith('/') ? TEST_SERVER_URL : TEST_SERVER_URL + '/').href;
  let dropped = false;
  return {
    conf: `[database]\nclass: postgresql\nurl: ${url}\n`,
    url,
    drop: () => {
      if (dropped) return;
      dropped = true;
      try {
        execFileSync(process.execPath, [PG_ADMIN, 'drop', TEST_SERVER_URL, name], {
          stdio: ['ignore', 'ignore', 'ignore'],
        });
      } catch {
        // the throw-away cluster goes at the end of the run anyway
      }
    },
  };
}
