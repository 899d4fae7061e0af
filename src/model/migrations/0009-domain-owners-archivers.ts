// Domain owners (users linked to a domain) and each list's on/off switch per site archiver.
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class DomainOwnersArchivers1764900000000 implements MigrationInterface {
  name = 'DomainOwnersArchivers1764900000000';

  async up(q: QueryRunner): Promise<void> {
    const id = {
      name: 'id',
      type: 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment' as const,
    };
    await q.createTable(
      new Table({
        name: 'domainowner',
        columns: [id, { name: 'domain_id', type: 'integer' }, { name: 'user_id', type: 'integer' }],
        indices: [new TableIndex({ name: 'ux_domainowner', columnNames: ['domain_id', 'user_id'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'listarchiver',
        columns: [
          id,
          { name: 'mailing_list_id', type: 'integer' },
          { name: 'name', type: 'varchar' },
          { name: 'is_enabled', type: 'boolean' },
        ],
        indices: [
          new TableIndex({ name: 'ux_listarchiver', columnNames: ['mailing_list_id', 'name'], isUnique: true }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('listarchiver');
    await q.dropTable('domainowner');
  }
}
