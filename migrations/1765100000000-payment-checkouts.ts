import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * A payment can be offered at several providers (a WeChat QR code, then Alipay on the phone): each
 * checkout is recorded, so money any of them reports for the payment is the payment asked for. A
 * payment with a checkout, and a refund left processing, are asked about at their provider until they
 * end (next_query_at: when the query job asks next; null = not any more).
 */
export class PaymentCheckouts1765100000000 implements MigrationInterface {
  name = 'PaymentCheckouts1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'payment_checkouts',
        columns: [col.id(), col.ref('payment_id'), col.text('provider', 16), col.text('channel', 8), col.timestamp('created_at'), col.timestamp('expires_at')],
        indices: [new TableIndex({ name: 'ix_payment_checkouts_payment', columnNames: ['payment_id', 'provider'] })],
        foreignKeys: [{ name: 'fk_payment_checkouts_payment', columnNames: ['payment_id'], referencedTableName: 'payments', referencedColumnNames: ['id'] }],
      }),
    );
    for (const table of ['payments', 'refunds']) {
      await q.addColumn(table, new TableColumn(col.timestamp('next_query_at', true)));
      await q.createIndex(table, new TableIndex({ name: `ix_${table}_next_query`, columnNames: ['next_query_at'] }));
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['payments', 'refunds']) {
      await q.dropIndex(table, `ix_${table}_next_query`);
      await q.dropColumn(table, 'next_query_at');
    }
    await q.dropTable('payment_checkouts', true);
  }
}
