import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * `factory_statement_entries.factory_id`, part of the key with the entry: an entry is counted once per factory whose
 * payable it moves. A charged fruit box with fruit of two orchards owes each of them, on each one's statement; keyed
 * by the entry alone, the second orchard's row broke the key and the week's statements could not be made at all.
 * Rows already there take the factory of the statement they belong to (each counted one entry for that factory).
 * SQLite cannot change a primary key in place: TypeORM rebuilds the table, rows and index kept; MySQL alters it.
 */
export class StatementEntriesPerFactory1766800000000 implements MigrationInterface {
  name = 'StatementEntriesPerFactory1766800000000';

  async up(q: QueryRunner): Promise<void> {
    // Added nullable and filled: a NOT NULL column without a default cannot be added to a table with rows.
    await q.addColumn('factory_statement_entries', new TableColumn(col.ref('factory_id', true)));
    await q.query(
      `UPDATE factory_statement_entries
       SET factory_id = (SELECT s.factory_id FROM factory_statements s WHERE s.id = factory_statement_entries.statement_id)`,
    );
    // A row whose statement is gone would be counted for no factory; none is expected: stop rather than guess one.
    const [{ orphans }] = (await q.query('SELECT COUNT(*) AS orphans FROM factory_statement_entries WHERE factory_id IS NULL')) as {
      orphans: string | number;
    }[];
    if (Number(orphans) > 0) throw new Error(`${orphans} factory_statement_entries rows name a statement that does not exist`);
    await makeFactoryKey(q);
  }

  async down(q: QueryRunner): Promise<void> {
    // The entry alone is the key again: an entry counted for several factories keeps only its first factory's row.
    await q.query(
      `DELETE FROM factory_statement_entries
       WHERE EXISTS (SELECT 1 FROM (SELECT entry_id, factory_id FROM factory_statement_entries) o
                     WHERE o.entry_id = factory_statement_entries.entry_id AND o.factory_id < factory_statement_entries.factory_id)`,
    );
    // Dropping a key column leaves the rest of the key: the entry alone.
    await q.dropColumn('factory_statement_entries', 'factory_id');
  }
}

/**
 * Makes factory_id NOT NULL and part of the primary key, changing the column as the database describes it (see
 * setNullable in src/platform/database/schema.ts: a column rebuilt from `col` could be dropped and added again).
 */
async function makeFactoryKey(q: QueryRunner): Promise<void> {
  const table = await q.getTable('factory_statement_entries');
  const column = table?.findColumnByName('factory_id');
  if (!table || !column) throw new Error('factory_statement_entries.factory_id does not exist');
  const changed = column.clone();
  changed.isPrimary = true;
  changed.isNullable = false;
  await q.changeColumn(table, column, changed);
}
