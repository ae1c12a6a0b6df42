import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * Money the gateway took that we did not ask for (a wrong amount or currency, a second charge, a payment
 * we do not know) is kept as a payment of kind `unexpected`, and refunded. A payment records the
 * currency and the gateway's transaction id of the money taken: one transaction is money taken once,
 * whatever number of notifications report it. Such a payment may name no consumer (an unknown payment).
 */
export class UnexpectedPayments1764940000000 implements MigrationInterface {
  name = 'UnexpectedPayments1764940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('payments', [
      new TableColumn({ ...col.text('currency', 3), default: "'CNY'" }),
      new TableColumn(col.text('transaction_id', 64, true)),
      new TableColumn(col.text('reported_payment_id', 64, true)),
      new TableColumn(col.text('unexpected_reason', 32, true)),
    ]);
    await q.createIndex('payments', new TableIndex({ name: 'ux_payments_transaction', columnNames: ['provider', 'transaction_id'], isUnique: true }));
    await q.createIndex('payments', new TableIndex({ name: 'ix_payments_kind', columnNames: ['kind', 'created_at'] }));
    for (const table of ['payments', 'refunds']) await q.changeColumn(table, 'user_id', new TableColumn(col.ref('user_id', true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("DELETE FROM refunds WHERE payment_id IN (SELECT id FROM payments WHERE kind = 'unexpected')");
    await q.query("DELETE FROM payments WHERE kind = 'unexpected'");
    for (const table of ['payments', 'refunds']) await q.changeColumn(table, 'user_id', new TableColumn(col.ref('user_id')));
    await q.dropIndex('payments', 'ix_payments_kind');
    await q.dropIndex('payments', 'ux_payments_transaction');
    await q.dropColumns('payments', ['currency', 'transaction_id', 'reported_payment_id', 'unexpected_reason']);
  }
}
