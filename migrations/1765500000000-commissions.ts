import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * Commission (docs/shop-owners.md § Commission): `commission_rates` is the operator's rate per campaign or
 * plan; `commission_earnings` is one row per sale that earned a shop owner money (a completed pledge or a
 * charged fruit box, unique per pledge and per box so a sale never earns twice), and whether it was
 * clawed back; `shop_sales` is each shop owner's running total of completed attributed sales, which their
 * level is earned by. A clawback finds a pledge's commission entries by pledge id: indexed.
 */
export class Commissions1765500000000 implements MigrationInterface {
  name = 'Commissions1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'commission_rates',
        columns: [
          { ...col.text('subject', 12), isPrimary: true },
          { ...col.text('subject_id', 40), isPrimary: true },
          col.text('rate', 12),
          col.ref('set_by'),
          col.timestamp('set_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'commission_earnings',
        columns: [
          col.id(),
          col.ref('shop_id'),
          col.text('kind', 12),
          col.ref('pledge_id', true),
          col.ref('campaign_id', true),
          col.ref('box_id', true),
          col.text('plan_id', 40, true),
          col.ref('buyer_id'),
          col.fen('sale_fen'),
          col.text('rate', 12),
          col.text('level', 16, true),
          col.fen('amount_fen'),
          col.timestamp('earned_at'),
          col.timestamp('clawed_back_at', true),
        ],
        indices: [
          new TableIndex({ name: 'uq_commission_earnings_pledge', columnNames: ['pledge_id'], isUnique: true }),
          new TableIndex({ name: 'uq_commission_earnings_box', columnNames: ['box_id'], isUnique: true }),
          new TableIndex({ name: 'ix_commission_earnings_shop', columnNames: ['shop_id', 'earned_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'shop_sales',
        columns: [{ ...col.ref('shop_id'), isPrimary: true }, col.fen('completed_sales_fen')],
      }),
    );
    await q.createIndex('journal_entries', new TableIndex({ name: 'ix_journal_entries_pledge', columnNames: ['pledge_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('journal_entries', 'ix_journal_entries_pledge');
    await q.dropTable('shop_sales', true);
    await q.dropTable('commission_earnings', true);
    await q.dropTable('commission_rates', true);
  }
}
