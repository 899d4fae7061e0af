// A throw-away PostgreSQL cluster for the test run and the bench: initdb into a temporary
// directory, one server on a free 127.0.0.1 port with trust authentication, removed at stop().
// Debian's `postgresql` package provides the binaries; nothing here touches a system cluster.
// PostgreSQL refuses to run as root, so as root (CI) the cluster belongs to the `postgres` user.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface ThrowawayPostgres {
  /** postgres://USER@127.0.0.1:PORT/ — add a database name, or use `postgres`. */
  url: string;
  /** Stops the server and removes its data directory; safe to call twice. */
  stop(): void;
}

export class PostgresMissing extends Error {}

/** The newest /usr/lib/postgresql/N/bin holding initdb and pg_ctl, or undefined. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  const has = (bin: string) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'));
  // Another installation's bin directory (not Debian's layout), if the site has one.
  const own = process.env.MAILMAN_TEST_PG_BIN;
  if (own) return has(own) ? own : undefined;
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (has(bin)) return bin;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The account the cluster runs as and the command prefix that runs as it. */
function runAs(): {
  user: string;
  wrap: (cmd: string, args: string[]) => [string, string[]];
  uid?: number;
  gid?: number;
} {
  if (process.getuid?.() !== 0) return { user: userInfo().username, wrap: (cmd, args) => [cmd, args] };
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  let uid: number, gid: number;
  try {
    uid = id('-u');
    gid = id('-g');
  } catch {
    throw new PostgresMissing(
      "running as root, PostgreSQL needs the `postgres` system user (Debian's postgresql package creates it)",
    );
  }
  return { user: 'postgres', uid, gid, wrap: (cmd, args) => ['runuser', ['-u', 'postgres', '--', cmd, ...args]] };
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  if (!bin) {
    throw new PostgresMissing(
      "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin: install Debian's `postgresql` package " +
        '(apt-get install postgresql), or set MAILMAN_TEST_DATABASES=sqlite to run only on SQLite',
    );
  }
  const who = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'mailman-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  if (who.uid !== undefined) {
    chownSync(dir, who.uid, who.gid!);
    chmodSync(dir, 0o700);
  }
  const run = (cmd: string, args: string[]) => {
    const [c, a] = who.wrap(join(bin, cmd), args);
    const r = spawnSync(c, a, { encoding: 'utf8', cwd: dir });
    if (r.status !== 0)
      throw new Error(`${cmd} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  };
  let started = false;
  const stop = () => {
    if (started) {
      started = false;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already gone: the directory goes anyway
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', data, '-U', who.user, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
    // Tests only: no fsync, a socket in our own directory (not /var/run), plenty of connections
    // for several servers each opening a pool per process.
    writeFileSync(
      join(data, 'postgresql.auto.conf'),
      [
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        `unix_socket_directories = '${dir}'`,
        'max_connections = 400',
        "listen_addresses = '127.0.0.1'",
      ].join('\n') + '\n',
    );
    if (who.uid !== undefined) chownSync(join(data, 'postgresql.auto.conf'), who.uid, who.gid!);
    // A port taken between freePort() and the server binding it: try another.
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      try {
        run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', `-p ${port}`, 'start']);
        started = true;
        return { url: `postgres://${who.user}@127.0.0.1:${port}/`, stop };
      } catch (err) {
        if (attempt >= 2)
          throw new Error(
            `${(err as Error).message}\n${existsSync(log) ? execFileSync('tail', ['-20', log], { encoding: 'utf8' }) : ''}`,
          );
      }
    }
  } catch (err) {
    stop();
    throw err;
  }
}
