import type { ColumnOptions, ValueTransformer } from 'typeorm';
import { type Decimal, fromFen, toFen } from '../money';

/** Money columns: integer fen in a BIGINT, decimal.js in code. The one place the two meet. */
export const fenTransformer: ValueTransformer = {
  to: (value: Decimal | null | undefined) => (value == null ? value : toFen(value)),
  from: (value: string | number | null) => (value == null ? value : fromFen(value)),
};

export function fenColumn(name: string, options: { nullable?: boolean } = {}): ColumnOptions {
  return { name, type: 'bigint', transformer: fenTransformer, nullable: options.nullable ?? false };
}

/** UTC instants with millisecond precision, on both databases. */
export function timestampColumn(name: string, options: { nullable?: boolean } = {}): ColumnOptions {
  return { name, type: 'datetime', precision: 3, nullable: options.nullable ?? false };
}

/** JSON stored as text: portable, and never queried into from SQL. */
export function jsonColumn(name: string, options: { nullable?: boolean } = {}): ColumnOptions {
  return { name, type: 'simple-json', nullable: options.nullable ?? false };
}
