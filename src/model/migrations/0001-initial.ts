// The first schema. Later migrations add columns and tables; this one never changes once
// released, so the list columns it creates are named here, not read from the live table.
import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';
import { SETTINGS_BY_NAME, SettingSpec } from '../list-settings.js';

const INITIAL_LIST_SETTINGS = [
  'list_name',
  'mail_host',
  'list_id',
  'display_name',
  'description',
  'info',
  'preferred_language',
  'advertised',
  'created_at',
  'volume',
  'post_id',
  'next_digest_number',
  'last_post_at',
  'posting_chain',
  'owner_chain',
  'posting_pipeline',
  'owner_pipeline',
  'emergency',
  'default_member_action',
  'default_nonmember_action',
  'administrivia',
  'require_explicit_destination',
  'max_num_recipients',
  'max_message_size',
  'respond_to_post_requests',
  'admin_immed_notify',
  'admin_notify_mchanges',
  'subject_prefix',
  'include_rfc2369_headers',
  'allow_list_posts',
  'reply_goes_to_list',
  'reply_to_address',
  'first_strip_reply_to',
  'anonymous_list',
  'personalize',
  'subscription_policy',
  'unsubscription_policy',
  'send_welcome_message',
  'send_goodbye_message',
  'member_roster_visibility',
  'archive_policy',
  'digests_enabled',
];

const pk: TableColumnOptions = {
  name: 'id',
  type: 'integer',
  isPrimary: true,
  isGenerated: true,
  generationStrategy: 'increment',
};
const col = (name: string, type: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
  name,
  type,
  ...extra,
});

function settingColumn(spec: SettingSpec): TableColumnOptions {
  const type = {
    bool: 'boolean',
    int: 'integer',
    // Added later; no setting of this migration has them.
    days: 'integer',
    float: 'float',
    datetime: 'datetime',
    text: 'text',
    string: 'varchar',
    enum: 'varchar',
    'string-list': 'text',
  }[spec.type];
  return col(spec.name, type, {
    isNullable: spec.type === 'datetime' || !!spec.nullable,
    isUnique: spec.name === 'list_id',
  });
}

export class Initial1764100000000 implements MigrationInterface {
  name = 'Initial1764100000000';

  async up(q: QueryRunner): Promise<void> {
    // With time zone on PostgreSQL: processes in different TZs read the same instant back.
    const dt = q.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    const fix = (c: TableColumnOptions) => (c.type === 'datetime' ? { ...c, type: dt } : c);
    await q.createTable(
      new Table({
        name: 'domain',
        columns: [
          pk,
          col('mail_host', 'varchar', { isUnique: true }),
          col('description', 'varchar', { default: "''" }),
          col('alias_domain', 'varchar', { isNullable: true }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'mailinglist',
        columns: [pk, ...INITIAL_LIST_SETTINGS.map((n) => fix(settingColumn(SETTINGS_BY_NAME.get(n)!)))],
      }),
    );
    await q.createTable(
      new Table({
        name: 'user',
        columns: [
          pk,
          col('user_id', 'varchar', { isUnique: true }),
          col('display_name', 'varchar', { default: "''" }),
          col('password', 'varchar', { isNullable: true }),
          fix(col('created_on', 'datetime')),
          col('is_server_owner', 'boolean', { default: false }),
          col('preferred_address_id', 'integer', { isNullable: true }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'address',
        columns: [
          pk,
          col('email', 'varchar', { isUnique: true }),
          col('original_email', 'varchar'),
          col('display_name', 'varchar', { default: "''" }),
          fix(col('registered_on', 'datetime')),
          fix(col('verified_on', 'datetime', { isNullable: true })),
          col('user_id', 'integer', { isNullable: true }),
        ],
        indices: [new TableIndex({ name: 'ix_address_user_id', columnNames: ['user_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'member',
        columns: [
          pk,
          col('member_id', 'varchar', { isUnique: true }),
          col('role', 'varchar'),
          col('list_id', 'varchar'),
          col('address_id', 'integer', { isNullable: true }),
          col('user_id', 'integer', { isNullable: true }),
          col('display_name', 'varchar', { default: "''" }),
          col('moderation_action', 'varchar', { isNullable: true }),
          col('delivery_mode', 'varchar', { default: "'regular'" }),
          col('delivery_status', 'varchar', { default: "'enabled'" }),
          col('receive_own_postings', 'boolean', { isNullable: true }),
          col('receive_list_copy', 'boolean', { isNullable: true }),
          col('acknowledge_posts', 'boolean', { isNullable: true }),
          col('hide_address', 'boolean', { isNullable: true }),
          col('preferred_language', 'varchar', { isNullable: true }),
          col('bounce_score', 'float', { default: 0 }),
          fix(col('last_bounce_received', 'datetime', { isNullable: true })),
          fix(col('last_warning_sent', 'datetime', { isNullable: true })),
          col('total_warnings_sent', 'integer', { default: 0 }),
          fix(col('subscribed_on', 'datetime')),
        ],
        indices: [
          new TableIndex({ name: 'ix_member_list_role', columnNames: ['list_id', 'role'] }),
          new TableIndex({ name: 'ix_member_address', columnNames: ['address_id'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'message',
        columns: [
          pk,
          col('message_id', 'varchar', { isUnique: true }),
          col('message_id_hash', 'varchar'),
          col('path', 'varchar'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: '_request',
        columns: [
          pk,
          col('list_id', 'varchar'),
          col('request_type', 'varchar'),
          col('key', 'varchar'),
          col('data', 'text'),
          fix(col('created_at', 'datetime')),
        ],
        indices: [new TableIndex({ name: 'ix_request_list', columnNames: ['list_id', 'request_type'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['_request', 'message', 'member', 'address', 'user', 'mailinglist', 'domain']) await q.dropTable(t);
  }
}
