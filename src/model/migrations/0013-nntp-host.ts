// The news server a list's gateway posts to (Mailman's nntp_host): the to-usenet handler
// needs it set before it queues a post for news. Existing lists get '' (no gateway yet).
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

export class NntpHost1765300000000 implements MigrationInterface {
  name = 'NntpHost1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('mailinglist', new TableColumn({ name: 'nntp_host', type: 'varchar', default: "''" }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('mailinglist', 'nntp_host');
  }
}
