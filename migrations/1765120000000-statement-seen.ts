import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * A payment or refund is marked with the day of the provider's statement that shows it. What we
 * recorded on a day and no statement has shown by then is missing at the provider, however late we
 * learnt of the money (a notification lost for days is settled by the comparison of its own day).
 */
export class StatementSeen1765120000000 implements MigrationInterface {
  name = 'StatementSeen1765120000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, at] of [
      ['payments', 'settled_at'],
      ['refunds', 'succeeded_at'],
    ]) {
      await q.addColumn(table, new TableColumn(col.text('statement_day', 10, true)));
      await q.createIndex(table, new TableIndex({ name: `ix_${table}_${at}`, columnNames: [at] }));
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, at] of [
      ['payments', 'settled_at'],
      ['refunds', 'succeeded_at'],
    ]) {
      await q.dropIndex(table, `ix_${table}_${at}`);
      await q.dropColumn(table, 'statement_day');
    }
  }
}
