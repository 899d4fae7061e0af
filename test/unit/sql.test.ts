// services.sql, the raw prepared SQL of the hot paths, on whichever database the run uses
// (SQLite, or PostgreSQL with MAILMAN_TEST_DATABASE_URL): one spelling, the same answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../../src/config/config.js';
import { Services } from '../../src/services/services.js';
import { asBool, asDate, numberPlaceholders, openSql } from '../../src/model/sql.js';
import { freshDatabase } from '../helpers/database.js';

const dir = mkdtempSync(join(tmpdir(), 'mailman-sql-'));
const database = freshDatabase();
let services: Services;

before(async () => {
  const file = join(dir, 'mailman.conf');
  writeFileSync(file, ['[paths]', `var_dir: ${join(dir, 'var')}`, database.conf].join('\n'));
  services = await Services.open(Config.load({ file }));
});
after(async () => {
  await services?.close();
  database.drop();
  rmSync(dir, { recursive: true, force: true });
});

test('the dialect is the database the run is on', () => {
  assert.equal(services.sql.dialect, database.url ? 'postgres' : 'sqlite');
  assert.equal(services.db.options.type, database.url ? 'postgres' : 'better-sqlite3');
});

test('? placeholders bind in order; a ? inside a quoted literal or identifier stays a character', async () => {
  assert.equal(
    numberPlaceholders(`SELECT '?', "a?b" FROM t WHERE x = ? AND y = 'it''s ?' AND z = ?`),
    `SELECT '?', "a?b" FROM t WHERE x = $1 AND y = 'it''s ?' AND z = $2`,
  );
  const row = await services.sql.get<{ q: string; a: string; b: number }>(`SELECT '?' AS q, ? AS a, ? + 1 AS b`, [
    'x',
    41,
  ]);
  assert.deepEqual({ ...row }, { q: '?', a: 'x', b: 42 });
});

test('rows written by TypeORM read back through raw SQL: "user" quoted, booleans by asBool, dates by asDate', async () => {
  const user = await services.users.createUser('Anne@Example.org', 'Anne');
  await services.users.users.update({ id: user.id }, { is_server_owner: true });
  const row = await services.sql.get(
    `SELECT id, user_id, display_name, is_server_owner, created_on FROM "user" WHERE user_id = ?`,
    [user.user_id],
  );
  assert.ok(row);
  assert.equal(row.id, user.id, 'integer ids are numbers on both databases');
  assert.equal(row.display_name, 'Anne');
  assert.equal(asBool(row.is_server_owner), true);
  assert.equal(asDate(row.created_on)!.getTime(), user.created_on.getTime());
  assert.equal(await services.sql.get(`SELECT id FROM "user" WHERE user_id = ?`, ['no-such-user']), undefined);
});

test('booleans and dates go in as parameters and compare as the column does', async () => {
  await services.domains.create('example.com');
  const mlist = await services.lists.create('ant@example.com');
  const when = new Date('2026-03-04T05:06:07.123Z');
  assert.equal(
    await services.sql.run(`UPDATE mailinglist SET emergency = ?, last_post_at = ? WHERE list_id = ?`, [
      true,
      when,
      mlist.list_id,
    ]),
    1,
  );
  const hit = await services.sql.get(
    `SELECT emergency, last_post_at FROM mailinglist WHERE list_id = ? AND emergency = ?`,
    [mlist.list_id, true],
  );
  assert.ok(hit);
  assert.equal(asBool(hit.emergency), true);
  assert.equal(asDate(hit.last_post_at)!.getTime(), when.getTime());
  const again = await services.lists.get(mlist.list_id);
  assert.equal(again?.emergency, true, 'TypeORM reads what raw SQL wrote');
  assert.equal(again?.last_post_at?.getTime(), when.getTime());
  assert.equal(
    (await services.sql.all(`SELECT id FROM mailinglist WHERE last_post_at > ?`, [new Date(when.getTime() + 1000)]))
      .length,
    0,
  );
});

test('count(*) and sum() are numbers on both databases (pg would give bigint as a string)', async () => {
  const mlist = (await services.lists.get('ant.example.com'))!;
  for (const email of ['a@example.org', 'b@example.org', 'c@example.org'])
    await services.members.subscribe(mlist, email);
  const row = await services.sql.get(
    `SELECT count(*) AS n, sum(total_warnings_sent) AS w FROM member WHERE list_id = ? AND role = ?`,
    [mlist.list_id, 'member'],
  );
  assert.deepEqual({ ...row }, { n: 3, w: 0 });
  assert.equal(await services.members.count(mlist.list_id), 3);
});

test('one statement run many times at once, across pooled connections, and a failing statement leaves the rest working', async () => {
  const emails = Array.from({ length: 30 }, (_, i) => `${['a', 'b', 'c'][i % 3]}@example.org`);
  const rows = await Promise.all(
    emails.map((e) => services.sql.get<{ email: string }>(`SELECT email FROM address WHERE email = ?`, [e])),
  );
  assert.deepEqual(
    rows.map((r) => r?.email),
    emails,
  );
  await assert.rejects(
    services.sql.run(`INSERT INTO domain (mail_host, description) VALUES (?, ?)`, ['example.com', 'twice']),
    'the unique index refuses a second example.com',
  );
  assert.equal(
    await services.sql.run(`INSERT INTO domain (mail_host, description) VALUES (?, ?)`, ['example.net', '']),
    1,
  );
  // A second Sql on the same database prepares under the same names without a clash.
  const other = openSql(services.db);
  assert.equal(
    (await other.get<{ email: string }>(`SELECT email FROM address WHERE email = ?`, ['b@example.org']))?.email,
    'b@example.org',
  );
  assert.deepEqual(
    (await services.sql.all<{ mail_host: string }>(`SELECT mail_host FROM domain ORDER BY mail_host`)).map(
      (r) => r.mail_host,
    ),
    ['example.com', 'example.net'],
  );
});

test('a date written by a process in one time zone reads back as the same instant in another', async () => {
  const saved = process.env.TZ;
  try {
    process.env.TZ = 'Pacific/Auckland';
    const when = new Date('2026-07-01T23:30:00.250Z');
    const address = await services.users.createAddress('tz@example.org', '', true);
    await services.users.addresses.update({ id: address.id }, { verified_on: when });
    process.env.TZ = 'America/New_York';
    assert.equal((await services.users.getAddress('tz@example.org'))?.verified_on?.getTime(), when.getTime());
    const row = await services.sql.get(`SELECT verified_on FROM address WHERE email = ?`, ['tz@example.org']);
    assert.equal(asDate(row?.verified_on)?.getTime(), when.getTime());
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});
