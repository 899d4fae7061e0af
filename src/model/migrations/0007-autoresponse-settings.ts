// The list settings of the replybot (autorespond_*, autoresponse_*). Existing lists get the
// defaults of a new list: no auto-responses, a 90-day grace period.
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { SETTINGS_BY_NAME } from '../list-settings.js';

const AUTORESPONSE_SETTINGS = [
  'autorespond_owner',
  'autorespond_postings',
  'autorespond_requests',
  'autoresponse_owner_text',
  'autoresponse_postings_text',
  'autoresponse_request_text',
  'autoresponse_grace_period',
];

function column(name: string): TableColumn {
  const spec = SETTINGS_BY_NAME.get(name);
  if (!spec) throw new Error(`migration 0007: no list setting ${name}`);
  // autoresponse_grace_period, an int when this was written, is now 'days': still an integer column.
  const type = spec.type === 'int' || spec.type === 'days' ? 'integer' : spec.type === 'text' ? 'text' : 'varchar';
  const def = spec.default;
  // SQL literals, so rows that exist before the migration read as a new list would.
  const sqlDefault = typeof def === 'number' ? String(def) : `'${String(def).replace(/'/g, "''")}'`;
  return new TableColumn({ name, type, isNullable: false, default: sqlDefault });
}

export class AutoResponseSettings1764700000000 implements MigrationInterface {
  name = 'AutoResponseSettings1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('mailinglist', AUTORESPONSE_SETTINGS.map(column));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumns('mailinglist', AUTORESPONSE_SETTINGS);
  }
}
