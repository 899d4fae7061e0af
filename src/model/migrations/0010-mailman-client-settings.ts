// The list settings Mailman's REST clients read and write that this server lacked (bounce
// processing, digest schedule, mail-to-news, archive rendering). Existing lists get the
// defaults of a new list.
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { SETTINGS_BY_NAME } from '../list-settings.js';

const MAILMAN_CLIENT_SETTINGS = [
  'archive_rendering_mode',
  'process_bounces',
  'bounce_info_stale_after',
  'bounce_notify_owner_on_bounce_increment',
  'bounce_notify_owner_on_disable',
  'bounce_notify_owner_on_removal',
  'bounce_score_threshold',
  'bounce_you_are_disabled_warnings',
  'bounce_you_are_disabled_warnings_interval',
  'forward_unrecognized_bounces_to',
  'digest_send_periodic',
  'digest_size_threshold',
  'digest_volume_frequency',
  'digest_last_sent_at',
  'gateway_to_mail',
  'nntp_prefix_subject_too',
  'usenet_watermark',
  'max_days_to_hold',
];

function column(name: string, datetime: string): TableColumn {
  const spec = SETTINGS_BY_NAME.get(name);
  if (!spec) throw new Error(`migration 0010: no list setting ${name}`);
  const type = {
    bool: 'boolean',
    int: 'integer',
    days: 'integer',
    float: 'float',
    enum: 'varchar',
    datetime,
  }[spec.type as string];
  if (!type) throw new Error(`migration 0010: no column type for ${name}`);
  const def = spec.default;
  // SQL literals, so rows that exist before the migration read as a new list would.
  const sqlDefault = def === null || def === undefined ? undefined : typeof def === 'string' ? `'${def}'` : String(def);
  return new TableColumn({ name, type, isNullable: !!spec.nullable, default: sqlDefault });
}

export class MailmanClientSettings1765000000000 implements MigrationInterface {
  name = 'MailmanClientSettings1765000000000';

  async up(q: QueryRunner): Promise<void> {
    const datetime = q.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    await q.addColumns(
      'mailinglist',
      MAILMAN_CLIENT_SETTINGS.map((n) => column(n, datetime)),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumns('mailinglist', MAILMAN_CLIENT_SETTINGS);
  }
}
