import type { QueryRunner, TableColumnOptions } from 'typeorm';

/**
 * Column builders for migrations. One set of migrations runs unchanged on MySQL and SQLite, so
 * every column is described with TypeORM's portable table API, never dialect SQL.
 */
export const col = {
  id: (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true }),
  ref: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable }),
  text: (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable }),
  longText: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'text', isNullable: nullable }),
  int: (name: string, options: { nullable?: boolean; default?: number } = {}): TableColumnOptions => ({
    name,
    type: 'integer',
    isNullable: options.nullable ?? false,
    default: options.default,
  }),
  fen: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable }),
  bool: (name: string, defaultValue: boolean): TableColumnOptions => ({ name, type: 'boolean', default: defaultValue }),
  timestamp: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable }),
};

/**
 * Changes only whether columns may be NULL, starting from the columns as the database describes them.
 * Never `changeColumn` to a column rebuilt from `col`: TypeORM reads a MySQL varchar(255) back with no
 * length (255 is its default), sees the lengths differ, and drops the column and adds it again, emptying
 * it (caught by test/api/migrations.test.ts when users.password_hash became nullable).
 */
export async function setNullable(q: QueryRunner, tableName: string, columnNames: readonly string[], nullable: boolean): Promise<void> {
  for (const name of columnNames) {
    const table = await q.getTable(tableName);
    const column = table?.findColumnByName(name);
    if (!table || !column) throw new Error(`setNullable: ${tableName}.${name} does not exist`);
    const changed = column.clone();
    changed.isNullable = nullable;
    await q.changeColumn(table, column, changed);
  }
}
