import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The operators' money search (GET /v1/console/search) finds a consumer's or a campaign's payments and
 * refunds, a consumer's fruit boxes, payments by the provider's transaction id, and the ledger entries of a
 * payment: each by an index, not a scan of the table.
 */
const INDEXES: [table: string, name: string, columns: string[]][] = [
  ['payments', 'ix_payments_user', ['user_id', 'created_at']],
  ['payments', 'ix_payments_campaign', ['campaign_id', 'created_at']],
  ['payments', 'ix_payments_transaction_id', ['transaction_id']],
  ['refunds', 'ix_refunds_user', ['user_id', 'created_at']],
  ['refunds', 'ix_refunds_campaign', ['campaign_id', 'created_at']],
  ['fruit_boxes', 'ix_fruit_boxes_user', ['user_id', 'delivery_date']],
  ['journal_entries', 'ix_journal_entries_payment', ['payment_id']],
];

export class MoneySearch1766270000000 implements MigrationInterface {
  name = 'MoneySearch1766270000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, name, columnNames] of INDEXES) await q.createIndex(table, new TableIndex({ name, columnNames }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, name] of [...INDEXES].reverse()) await q.dropIndex(table, name);
  }
}
