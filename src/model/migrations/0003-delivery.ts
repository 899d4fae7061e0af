// The list settings the delivery handlers read (content filter, topics, Usenet gateway,
// DMARC wrapping, header and footer templates). Existing lists get the defaults of a new list.
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { SETTINGS_BY_NAME } from '../list-settings.js';

const DELIVERY_SETTINGS = [
  'filter_content',
  'filter_action',
  'filter_types',
  'pass_types',
  'filter_extensions',
  'pass_extensions',
  'collapse_alternatives',
  'convert_html_to_plaintext',
  'topics_enabled',
  'topics',
  'topics_bodylines_limit',
  'gateway_to_news',
  'linked_newsgroup',
  'member_regular_header',
  'member_regular_footer',
];

function column(name: string): TableColumn {
  const spec = SETTINGS_BY_NAME.get(name);
  if (!spec) throw new Error(`migration 0003: no list setting ${name}`);
  const type = {
    bool: 'boolean',
    int: 'integer',
    // Added later; no setting of this migration has them.
    days: 'integer',
    float: 'float',
    text: 'text',
    string: 'varchar',
    enum: 'varchar',
    datetime: 'datetime',
    'string-list': 'text',
  }[spec.type];
  const def = spec.default;
  // SQL literals, so rows that exist before the migration read as a new list would.
  const sqlDefault =
    def === null || def === undefined
      ? undefined
      : typeof def === 'string'
        ? `'${def.replace(/'/g, "''")}'`
        : String(def);
  return new TableColumn({ name, type, isNullable: !!spec.nullable, default: sqlDefault });
}

export class Delivery1764300000000 implements MigrationInterface {
  name = 'Delivery1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('mailinglist', DELIVERY_SETTINGS.map(column));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumns('mailinglist', DELIVERY_SETTINGS);
  }
}
