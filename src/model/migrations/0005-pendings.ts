// The pended table (confirmation tokens and the workflows waiting on them) and the template
// table (where each named template's text comes from, per list, domain or site).
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class Pendings1764500000000 implements MigrationInterface {
  name = 'Pendings1764500000000';

  async up(q: QueryRunner): Promise<void> {
    const dt = q.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    const id = {
      name: 'id',
      type: 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment' as const,
    };
    await q.createTable(
      new Table({
        name: 'pended',
        columns: [
          id,
          { name: 'token', type: 'varchar', isUnique: true },
          { name: 'type', type: 'varchar' },
          { name: 'list_id', type: 'varchar', isNullable: true },
          { name: 'email', type: 'varchar', isNullable: true },
          { name: 'token_owner', type: 'varchar' },
          { name: 'created_at', type: dt },
          { name: 'expires_at', type: dt },
          { name: 'data', type: 'text' },
        ],
        indices: [new TableIndex({ name: 'ix_pended_list', columnNames: ['list_id', 'type'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'template',
        columns: [
          id,
          { name: 'name', type: 'varchar' },
          { name: 'context', type: 'varchar', isNullable: true },
          { name: 'uri', type: 'text' },
          { name: 'username', type: 'varchar', isNullable: true },
          { name: 'password', type: 'varchar', isNullable: true },
        ],
        indices: [new TableIndex({ name: 'ix_template_name_context', columnNames: ['name', 'context'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('template');
    await q.dropTable('pended');
  }
}
