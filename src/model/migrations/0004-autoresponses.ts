// The autoresponserecord table, for the per-day auto-response limit.
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class AutoResponses1764400000000 implements MigrationInterface {
  name = 'AutoResponses1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'autoresponserecord',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'address', type: 'varchar' },
          { name: 'list_id', type: 'varchar' },
          { name: 'response_type', type: 'varchar' },
          { name: 'date_sent', type: 'varchar' },
        ],
        indices: [
          new TableIndex({
            name: 'ix_autoresponse_lookup',
            columnNames: ['list_id', 'address', 'response_type', 'date_sent'],
          }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('autoresponserecord');
  }
}
