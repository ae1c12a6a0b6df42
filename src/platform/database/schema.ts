import type { TableColumnOptions } from 'typeorm';

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
    name, type: 'integer', isNullable: options.nullable ?? false, default: options.default,
  }),
  fen: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable }),
  bool: (name: string, defaultValue: boolean): TableColumnOptions => ({ name, type: 'boolean', default: defaultValue }),
  timestamp: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable }),
};

