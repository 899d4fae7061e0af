// The per-day counters of automatic replies, one row per list, address, type and day, so the
// daily limit is claimed in one atomic statement.
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class AutoResponseCounts1764800000000 implements MigrationInterface {
  name = 'AutoResponseCounts1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'autoresponsecount',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'list_id', type: 'varchar' },
          { name: 'address', type: 'varchar' },
          { name: 'response_type', type: 'varchar' },
          { name: 'date_sent', type: 'varchar' },
          { name: 'count', type: 'integer' },
        ],
        indices: [
          new TableIndex({
            name: 'ux_autoresponsecount_key',
            columnNames: ['list_id', 'address', 'response_type', 'date_sent'],
            isUnique: true,
          }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('autoresponsecount');
  }
}
