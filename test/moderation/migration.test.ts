// Migration 0002 on a database made by 0001 with a list in it: the list keeps its data and
// gets the new settings with usable values; the new tables exist; down() undoes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { freshDatabase } from '../helpers/database.js';
import { Initial1764100000000 } from '../../src/model/migrations/0001-initial.js';
import { Moderation1764200000000 } from '../../src/model/migrations/0002-moderation.js';

test('0002 adds the moderation columns and tables to an existing database, and down() removes them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailman-mig-'));
  const database = freshDatabase();
  const where: DataSourceOptions = database.url
    ? { type: 'postgres', url: database.url }
    : { type: 'better-sqlite3', database: join(dir, 'db.sqlite') };
  const open = (migrations: (new () => object)[]) =>
    new DataSource({ ...where, migrations: migrations as never }).initialize();
  try {
    let ds = await open([Initial1764100000000]);
    await ds.runMigrations();
    await ds.query(
      `INSERT INTO mailinglist (list_name, mail_host, list_id, display_name, description, info, preferred_language, advertised, created_at, volume, post_id,
        next_digest_number, posting_chain, owner_chain, posting_pipeline, owner_pipeline, emergency, default_member_action, default_nonmember_action,
        administrivia, require_explicit_destination, max_num_recipients, max_message_size, respond_to_post_requests, admin_immed_notify, admin_notify_mchanges,
        subject_prefix, include_rfc2369_headers, allow_list_posts, reply_goes_to_list, reply_to_address, first_strip_reply_to, anonymous_list, personalize,
        subscription_policy, unsubscription_policy, send_welcome_message, send_goodbye_message, member_roster_visibility, archive_policy, digests_enabled)
       VALUES ('ant', 'example.com', 'ant.example.com', 'Ant', '', '', 'en', TRUE, '2026-01-01', 1, 7, 1, 'default-posting-chain', 'default-owner-chain',
        'default-posting-pipeline', 'default-owner-pipeline', FALSE, 'defer', 'hold', TRUE, TRUE, 10, 40, TRUE, TRUE, FALSE, '[Ant] ', TRUE, TRUE, 'no_munging', '', FALSE, FALSE, 'none',
        'confirm', 'confirm', TRUE, TRUE, 'moderators', 'public', TRUE)`,
    );
    await ds.destroy();
    ds = await open([Initial1764100000000, Moderation1764200000000]);
    assert.deepEqual(
      (await ds.runMigrations()).map((m) => m.name),
      ['Moderation1764200000000'],
    );
    const [row] = await ds.query('SELECT * FROM mailinglist');
    assert.equal(row.post_id, 7, 'existing data kept');
    assert.equal(row.accept_these_nonmembers, '[]');
    assert.equal(row.moderator_password, null);
    assert.equal(row.dmarc_mitigate_action, 'no_mitigation');
    assert.equal(row.newsgroup_moderation, 'none');
    await ds.query("INSERT INTO ban (email, list_id) VALUES ('x@example.org', NULL)");
    await ds.query(
      "INSERT INTO headermatch (mailing_list_id, position, header, pattern, chain, tag) VALUES (1, 0, 'subject', 'x', NULL, NULL)",
    );
    await ds.undoLastMigration();
    const q = ds.createQueryRunner();
    const cols = (await q.getTable('mailinglist'))!.columns.map((c) => c.name);
    assert.ok(!cols.includes('accept_these_nonmembers') && cols.includes('post_id'));
    assert.deepEqual([await q.hasTable('ban'), await q.hasTable('headermatch')], [false, false]);
    await q.release();
    await ds.destroy();
  } finally {
    database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
