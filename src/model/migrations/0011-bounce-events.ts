// Bounce events, scored apart from the bounce runner that records them.
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class BounceEvents1765100000000 implements MigrationInterface {
  name = 'BounceEvents1765100000000';

  async up(q: QueryRunner): Promise<void> {
    const dt = q.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    await q.createTable(
      new Table({
        name: 'bounceevent',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'list_id', type: 'varchar' },
          { name: 'email', type: 'varchar' },
          { name: 'timestamp', type: dt },
          { name: 'message_id', type: 'varchar', default: "''" },
          { name: 'context', type: 'varchar', default: "'normal'" },
          { name: 'processed', type: 'boolean', default: false },
        ],
        indices: [new TableIndex({ name: 'ix_bounceevent_processed', columnNames: ['processed'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('bounceevent');
  }
}
