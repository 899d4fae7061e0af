// Migration 0006 on a database made by 0001-0005 with members in it: the members keep their
// delivery settings, which may now be unset; addresses and users get the seven preferences,
// unset; the member table keeps its keys; down() puts the old shape back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { freshDatabase } from '../helpers/database.js';
import { MIGRATIONS } from '../../src/model/migrations/index.js';
import { PREFERENCE_NAMES } from '../../src/model/preferences.js';

const AT = MIGRATIONS.findIndex((m) => m.name === 'Preferences1764600000000');
const BEFORE = MIGRATIONS.slice(0, AT);
/** Up to 0006 only: later migrations have tests of their own. */
const THROUGH = MIGRATIONS.slice(0, AT + 1);

test('0006 makes member delivery nullable and gives addresses and users preferences; down() undoes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailman-mig-'));
  const database = freshDatabase();
  const where: DataSourceOptions = database.url
    ? { type: 'postgres', url: database.url }
    : { type: 'better-sqlite3', database: join(dir, 'db.sqlite') };
  const open = (migrations: readonly (new () => object)[]) =>
    new DataSource({ ...where, migrations: [...migrations] as never }).initialize();
  const member = (id: string, addressId: number, mode?: string) =>
    mode
      ? `INSERT INTO member (member_id, role, list_id, address_id, display_name, delivery_mode, delivery_status,
          bounce_score, total_warnings_sent, subscribed_on)
         VALUES ('${id}', 'member', 'ant.example.com', ${addressId}, '', '${mode}', 'by_user', 0, 0, '2026-01-01')`
      : `INSERT INTO member (member_id, role, list_id, address_id, display_name, bounce_score, total_warnings_sent,
          subscribed_on)
         VALUES ('${id}', 'member', 'ant.example.com', ${addressId}, '', 0, 0, '2026-01-01')`;
  try {
    let ds = await open(BEFORE);
    await ds.runMigrations();
    await ds.query(`INSERT INTO "user" (user_id, display_name, created_on, is_server_owner)
      VALUES ('u1', 'Anne', '2026-01-01', FALSE)`);
    await ds.query(`INSERT INTO address (email, original_email, display_name, registered_on, user_id)
      VALUES ('anne@example.org', 'anne@example.org', '', '2026-01-01', 1),
             ('bart@example.org', 'bart@example.org', '', '2026-01-01', NULL)`);
    await ds.query(member('m1', 1, 'mime_digests'));
    await ds.query(member('m2', 2));
    await ds.destroy();

    ds = await open(THROUGH);
    assert.deepEqual(
      (await ds.runMigrations()).map((m) => m.name),
      ['Preferences1764600000000'],
    );
    const rows = await ds.query('SELECT member_id, delivery_mode, delivery_status FROM member ORDER BY member_id');
    assert.deepEqual(
      rows.map((r: Record<string, unknown>) => [r.member_id, r.delivery_mode, r.delivery_status]),
      [
        ['m1', 'mime_digests', 'by_user'],
        ['m2', 'regular', 'enabled'],
      ],
      'existing members keep their values',
    );
    for (const table of ['address', '"user"']) {
      const [row] = await ds.query(`SELECT * FROM ${table} ORDER BY id`);
      for (const name of PREFERENCE_NAMES) assert.equal(row[name], null, `${table}.${name}`);
    }
    // Unset now means "ask the address": a member may be stored without either.
    await ds.query(`INSERT INTO member (member_id, role, list_id, address_id, display_name, bounce_score,
      total_warnings_sent, subscribed_on) VALUES ('m3', 'member', 'bee.example.com', 1, '', 0, 0, '2026-01-01')`);
    const [m3] = await ds.query("SELECT delivery_mode, delivery_status FROM member WHERE member_id = 'm3'");
    assert.deepEqual([m3.delivery_mode, m3.delivery_status], [null, null]);
    await ds.query("UPDATE address SET receive_own_postings = FALSE, delivery_mode = 'summary_digests' WHERE id = 2");
    await assert.rejects(ds.query(member('m1', 2)), 'member_id is still unique');
    const q = ds.createQueryRunner();
    const indices = (await q.getTable('member'))!.indices.map((i) => i.name).sort();
    assert.deepEqual(indices, ['ix_member_address', 'ix_member_list_role']);
    await q.release();

    await ds.undoLastMigration();
    const back = await ds.query("SELECT delivery_mode, delivery_status FROM member WHERE member_id = 'm3'");
    assert.deepEqual([back[0].delivery_mode, back[0].delivery_status], ['regular', 'enabled']);
    const q2 = ds.createQueryRunner();
    const addressColumns = (await q2.getTable('address'))!.columns.map((c) => c.name);
    assert.ok(!addressColumns.includes('receive_own_postings') && addressColumns.includes('email'));
    const mode = (await q2.getTable('member'))!.columns.find((c) => c.name === 'delivery_mode')!;
    assert.equal(mode.isNullable, false);
    await q2.release();
    await ds.destroy();
  } finally {
    database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
