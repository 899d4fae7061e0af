// The members owed one last digest after leaving digest delivery.
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class OneLastDigest1765200000000 implements MigrationInterface {
  name = 'OneLastDigest1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'onelastdigest',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'list_id', type: 'varchar' },
          { name: 'email', type: 'varchar' },
          { name: 'delivery_mode', type: 'varchar' },
        ],
        indices: [new TableIndex({ name: 'ix_onelastdigest_list_id', columnNames: ['list_id'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('onelastdigest');
  }
}
