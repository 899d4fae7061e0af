// The data of Mailman's moderation rules: bans, per-list header filters, and the list
// settings the rules read. Like every released migration, it names its columns itself.
import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

const pk = {
  name: 'id',
  type: 'integer',
  isPrimary: true,
  isGenerated: true,
  generationStrategy: 'increment' as const,
};

/** The list columns this migration adds, with the value existing lists get. */
const LIST_COLUMNS: { name: string; type: string; nullable?: boolean; default?: string }[] = [
  { name: 'moderator_password', type: 'varchar', nullable: true },
  { name: 'accept_these_nonmembers', type: 'text', default: "'[]'" },
  { name: 'hold_these_nonmembers', type: 'text', default: "'[]'" },
  { name: 'reject_these_nonmembers', type: 'text', default: "'[]'" },
  { name: 'discard_these_nonmembers', type: 'text', default: "'[]'" },
  { name: 'acceptable_aliases', type: 'text', default: "'[]'" },
  { name: 'bounce_matching_headers', type: 'text', default: "''" },
  { name: 'newsgroup_moderation', type: 'varchar', default: "'none'" },
  { name: 'dmarc_mitigate_action', type: 'varchar', default: "'no_mitigation'" },
  { name: 'dmarc_mitigate_unconditionally', type: 'boolean', default: 'false' },
  { name: 'dmarc_moderation_notice', type: 'text', default: "''" },
  { name: 'dmarc_wrapped_message_text', type: 'text', default: "''" },
];

export class Moderation1764200000000 implements MigrationInterface {
  name = 'Moderation1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'ban',
        columns: [pk, { name: 'email', type: 'varchar' }, { name: 'list_id', type: 'varchar', isNullable: true }],
        indices: [new TableIndex({ name: 'ix_ban_list_email', columnNames: ['list_id', 'email'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'headermatch',
        columns: [
          pk,
          { name: 'mailing_list_id', type: 'integer' },
          { name: 'position', type: 'integer' },
          { name: 'header', type: 'varchar' },
          { name: 'pattern', type: 'varchar' },
          { name: 'chain', type: 'varchar', isNullable: true },
          { name: 'tag', type: 'varchar', isNullable: true },
        ],
        indices: [new TableIndex({ name: 'ix_headermatch_list', columnNames: ['mailing_list_id', 'position'] })],
      }),
    );
    await q.addColumns(
      'mailinglist',
      LIST_COLUMNS.map(
        (c) => new TableColumn({ name: c.name, type: c.type, isNullable: c.nullable ?? false, default: c.default }),
      ),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumns(
      'mailinglist',
      LIST_COLUMNS.map((c) => c.name),
    );
    await q.dropTable('headermatch');
    await q.dropTable('ban');
  }
}
