// The preference cascade: addresses and users get the seven preferences a member has, all
// unset, and a member's delivery_mode and delivery_status may now be unset too, so that the
// address, then the user, then the system decide. Members that exist keep the values they
// have. Like every released migration, it names its columns itself.
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

const PREFERENCE_COLUMNS: { name: string; type: string }[] = [
  { name: 'acknowledge_posts', type: 'boolean' },
  { name: 'delivery_mode', type: 'varchar' },
  { name: 'delivery_status', type: 'varchar' },
  { name: 'hide_address', type: 'boolean' },
  { name: 'preferred_language', type: 'varchar' },
  { name: 'receive_list_copy', type: 'boolean' },
  { name: 'receive_own_postings', type: 'boolean' },
];

/** The member columns that become nullable, with the value they had to have before. */
const MEMBER_COLUMNS = [
  { name: 'delivery_mode', before: 'regular' },
  { name: 'delivery_status', before: 'enabled' },
];

const nullable = (c: { name: string; type: string }) => new TableColumn({ ...c, isNullable: true });

/**
 * PostgreSQL changes the columns in place, by hand: TypeORM's changeColumn drops and re-adds
 * a column (losing its values) when the type it reads back is spelled unlike the new one.
 * SQLite cannot alter a column; TypeORM rebuilds the table there, copying rows and indices.
 */
async function setMemberColumns(q: QueryRunner, to: 'nullable' | 'required'): Promise<void> {
  if (q.connection.driver.options.type === 'postgres') {
    const alter = MEMBER_COLUMNS.map(({ name, before }) =>
      to === 'nullable'
        ? `ALTER COLUMN ${name} DROP NOT NULL, ALTER COLUMN ${name} DROP DEFAULT`
        : `ALTER COLUMN ${name} SET NOT NULL, ALTER COLUMN ${name} SET DEFAULT '${before}'`,
    );
    await q.query(`ALTER TABLE member ${alter.join(', ')}`);
    return;
  }
  const required = (name: string, before: string) => new TableColumn({ name, type: 'varchar', default: `'${before}'` });
  const optional = (name: string) => nullable({ name, type: 'varchar' });
  await q.changeColumns(
    'member',
    MEMBER_COLUMNS.map(({ name, before }) =>
      to === 'nullable'
        ? { oldColumn: required(name, before), newColumn: optional(name) }
        : { oldColumn: optional(name), newColumn: required(name, before) },
    ),
  );
}

export class Preferences1764600000000 implements MigrationInterface {
  name = 'Preferences1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('address', PREFERENCE_COLUMNS.map(nullable));
    await q.addColumns('user', PREFERENCE_COLUMNS.map(nullable));
    // No default any more: a member subscribed without a delivery mode takes the cascade's.
    await setMemberColumns(q, 'nullable');
  }

  async down(q: QueryRunner): Promise<void> {
    // The old schema has no address or user layer: a member that left its delivery to the
    // cascade gets the system's value, which is what the old default gave it.
    for (const { name, before } of MEMBER_COLUMNS)
      await q.query(`UPDATE member SET ${name} = '${before}' WHERE ${name} IS NULL`);
    await setMemberColumns(q, 'required');
    await q.dropColumns(
      'user',
      PREFERENCE_COLUMNS.map((c) => c.name),
    );
    await q.dropColumns(
      'address',
      PREFERENCE_COLUMNS.map((c) => c.name),
    );
  }
}
