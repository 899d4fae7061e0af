import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config, ConfigError } from '../../src/config/config.js';
import { runners } from '../helpers/registry.js';

function withFile(text: string, fn: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'mm-conf-'));
  try {
    const file = join(dir, 'mailman.conf');
    writeFileSync(file, text);
    fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('embedded defaults are Mailman-like and paths derive from var_dir', () => {
  const c = Config.load({ cwd: '/srv/mm', runners });
  assert.equal(c.get('webservice', 'port'), '8001');
  assert.equal(c.get('mta', 'lmtp_port'), '8024');
  assert.equal(c.get('webservice', 'admin_user'), 'restadmin');
  assert.equal(c.path('paths', 'queue_dir'), '/srv/mm/var/queue');
  assert.equal(c.databaseUrl, 'sqlite:////srv/mm/var/data/mailman.db');
  assert.equal(c.durationMs('runner.retry', 'sleep_time'), 15 * 60_000);
});

test("a runner's defaults come from its registration, in Mailman's order", () => {
  const c = Config.load({ cwd: '/srv/mm', runners });
  assert.deepEqual(c.runnerNames(), [
    'in',
    'pipeline',
    'out',
    'virgin',
    'retry',
    'bounces',
    'archive',
    'command',
    'digest',
    'nntp',
    'lmtp',
    'rest',
  ]);
  assert.equal(c.int('runner.in', 'concurrency'), 4);
  assert.equal(c.int('runner.virgin', 'concurrency'), 2);
  assert.equal(c.int('runner.retry', 'concurrency'), 1, 'unset on the registration: the default every runner shares');
  assert.equal(c.get('runner.lmtp', 'process'), 'lmtp');
  assert.equal(c.get('runner.out', 'process'), 'queues');
  assert.equal(c.bool('runner.rest', 'start'), true);
  withFile('[runner.out]\nconcurrency: 8\n', (file) =>
    assert.equal(Config.load({ file, runners }).int('runner.out', 'concurrency'), 8),
  );
  // A process that was given no runners knows no runner sections: nothing is read by guess.
  withFile('[runner.out]\nstart: no\n', (file) =>
    assert.throws(() => Config.load({ file }), /unknown section \[runner\.out\]/),
  );
});

test('both key: value and key = value forms, comments and continuation lines', () => {
  withFile(
    '# site\n[mailman]\nsite_owner: owner@example.com\n[mta]\nsmtp_port = 2525\n[antispam]\nheader_checks:\n  X-Spam: yes\n  X-Bad: .*\n',
    (file) => {
      const c = Config.load({ file });
      assert.equal(c.get('mailman', 'site_owner'), 'owner@example.com');
      assert.equal(c.int('mta', 'smtp_port'), 2525);
      assert.equal(c.get('antispam', 'header_checks'), '\nX-Spam: yes\nX-Bad: .*');
    },
  );
});

test('an unknown key, an unknown section or a bad value is a clear error with file and line', () => {
  withFile('[mta]\nsmtp_prot: 25\n', (file) =>
    assert.throws(
      () => Config.load({ file }),
      (e: Error) => e instanceof ConfigError && /mailman\.conf:2: unknown key "smtp_prot" in \[mta\]/.test(e.message),
    ),
  );
  withFile('[nosuch]\nx: 1\n', (file) => assert.throws(() => Config.load({ file }), /unknown section \[nosuch\]/));
  withFile('[webservice]\nport: eighty\n', (file) =>
    assert.throws(() => Config.load({ file }), /mailman\.conf:2: \[webservice\] port: "eighty" is not a port/),
  );
  withFile('[runner.out]\nsleep_time: soon\n', (file) =>
    assert.throws(() => Config.load({ file, runners }), /is not a duration/),
  );
  withFile('[runner.nosuch]\nstart: yes\n', (file) =>
    assert.throws(() => Config.load({ file, runners }), /unknown section \[runner\.nosuch\]/),
  );
  for (const bad of ['0', '65', '-1', 'many'])
    withFile(`[mta]\nmax_delivery_threads: ${bad}\n`, (file) =>
      assert.throws(() => Config.load({ file }), /max_delivery_threads/),
    );
  withFile('[mta]\nmax_delivery_threads: 64\n', (file) =>
    assert.equal(Config.load({ file }).int('mta', 'max_delivery_threads'), 64),
  );
});

test('[database] class as Mailman names it, short names too; a class that disagrees with the url is refused at start', async () => {
  assert.equal(Config.load({ cwd: '/srv/mm' }).databaseKind, 'sqlite', 'SQLite is the embedded default');
  withFile(
    '[database]\nclass: mailman.database.postgresql.PostgreSQLDatabase\nurl: postgres://mailman:secret@db.example.com:5432/mailman\n',
    (file) => {
      assert.equal(Config.load({ file }).databaseKind, 'postgres');
    },
  );
  withFile('[database]\nclass: postgresql\nurl: postgresql://mailman@localhost/mailman\n', (file) =>
    assert.equal(Config.load({ file }).databaseKind, 'postgres'),
  );
  withFile('[database]\nclass: sqlite\nurl: sqlite:///tmp/x.db\n', (file) =>
    assert.equal(Config.load({ file }).databaseKind, 'sqlite'),
  );
  withFile('[database]\nclass: mailman.database.mysql.MySQLDatabase\n', (file) =>
    assert.throws(
      () => Config.load({ file }),
      /\[database\] class: "mailman\.database\.mysql\.MySQLDatabase" is not one of/,
    ),
  );
  withFile('[database]\nclass: postgresql\n', (file) => {
    const c = Config.load({ file });
    assert.throws(
      () => c.databaseKind,
      (e: Error) =>
        e instanceof ConfigError &&
        /class is postgresql but url is a SQLite url: set url: postgres:\/\//.test(e.message),
    );
  });
  withFile('[database]\nurl: postgres://mailman@localhost/mailman\n', (file) => {
    assert.throws(
      () => Config.load({ file }).databaseKind,
      /class is mailman\.database\.sqlite\.SQLiteDatabase but url is a PostgreSQL url: set class: mailman\.database\.postgresql\.PostgreSQLDatabase/,
    );
  });
  withFile('[database]\nurl: mysql://x@y/z\n', (file) =>
    assert.throws(() => Config.load({ file }).databaseKind, /unsupported database url/),
  );
  // The server opens its database through the same check, before touching anything.
  const { openDatabase } = await import('../../src/model/data-source.js');
  const dir = mkdtempSync(join(tmpdir(), 'mm-conf-'));
  try {
    writeFileSync(join(dir, 'mailman.conf'), `[paths]\nvar_dir: ${dir}/var\n[database]\nclass: postgresql\n`);
    await assert.rejects(
      openDatabase(Config.load({ file: join(dir, 'mailman.conf') })),
      /class is postgresql but url is a SQLite url/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
