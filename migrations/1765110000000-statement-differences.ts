import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * The daily comparison of each provider's statement (bill) with our payments and refunds: every day
 * compared, and every difference found, with what was done about it. A difference is recorded once per
 * provider, day, kind and statement line, however often the day is compared again.
 */
export class StatementDifferences1765110000000 implements MigrationInterface {
  name = 'StatementDifferences1765110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'payment_statement_checks',
        columns: [
          { ...col.text('provider', 16), isPrimary: true },
          { ...col.text('day', 10), isPrimary: true },
          col.int('lines'),
          col.int('differences'),
          col.timestamp('checked_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'payment_statement_differences',
        columns: [
          col.id(),
          col.text('provider', 16),
          col.text('day', 10),
          col.text('kind', 32),
          col.text('line_key', 100),
          col.ref('payment_id', true),
          col.ref('refund_id', true),
          col.text('transaction_id', 64, true),
          col.fen('provider_amount_fen', true),
          col.fen('our_amount_fen', true),
          col.text('currency', 3),
          col.text('resolution', 16),
          col.text('detail', 255),
          col.timestamp('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'ux_statement_differences_line', columnNames: ['provider', 'day', 'kind', 'line_key'], isUnique: true }),
          new TableIndex({ name: 'ix_statement_differences_created', columnNames: ['created_at'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('payment_statement_differences', true);
    await q.dropTable('payment_statement_checks', true);
  }
}
