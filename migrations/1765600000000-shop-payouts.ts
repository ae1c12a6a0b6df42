import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col, setNullable } from '../src/platform/database/schema';

const bankAccount = () => [
  col.text('account_name', 200),
  col.text('account_number', 40),
  col.text('bank_name', 200),
  col.text('bank_code', 12),
  col.timestamp('updated_at'),
];

/**
 * Shop owners' commission statements and payouts (docs/shop-owners.md): a payout pays a factory or a shop owner
 * (`payouts.shop_id`, `factory_id` now nullable); `shop_payees` is where a shop owner is paid; `shop_statements`
 * a shop owner's month, `shop_statement_lines` each journal entry on their commission payable (the entry id is
 * the key: no entry on two statements), each claimed by at most one payout; `commission_holds` commission held
 * for an operator's review.
 */
export class ShopPayouts1765600000000 implements MigrationInterface {
  name = 'ShopPayouts1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('payouts', new TableColumn(col.ref('shop_id', true)));
    await setNullable(q, 'payouts', ['factory_id'], true);
    await q.createIndex('payouts', new TableIndex({ name: 'ix_payouts_shop', columnNames: ['shop_id'] }));
    await q.createTable(new Table({ name: 'shop_payees', columns: [{ ...col.ref('shop_id'), isPrimary: true }, ...bankAccount()] }));
    await q.createTable(
      new Table({
        name: 'shop_statements',
        columns: [
          col.id(),
          col.ref('shop_id'),
          col.text('period', 7),
          col.int('sequence'),
          col.fen('commission_fen'),
          col.fen('rebates_fen'),
          col.fen('clawed_back_fen'),
          col.fen('net_fen'),
          col.fen('held_fen'),
          col.int('line_count'),
          col.timestamp('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_shop_statements_period', columnNames: ['shop_id', 'period', 'sequence'], isUnique: true }),
          new TableIndex({ name: 'ix_shop_statements_created', columnNames: ['created_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'shop_statement_lines',
        columns: [
          { ...col.ref('entry_id'), isPrimary: true },
          col.ref('statement_id'),
          col.ref('shop_id'),
          col.text('kind', 40),
          col.ref('campaign_id', true),
          col.ref('pledge_id', true),
          col.ref('box_id', true),
          col.fen('amount_fen'),
          col.timestamp('posted_at'),
          col.ref('hold_id', true),
          col.ref('payout_id', true),
        ],
        indices: [
          new TableIndex({ name: 'ix_shop_statement_lines_statement', columnNames: ['statement_id'] }),
          new TableIndex({ name: 'ix_shop_statement_lines_unpaid', columnNames: ['payout_id', 'shop_id'] }),
          new TableIndex({ name: 'ix_shop_statement_lines_hold', columnNames: ['hold_id'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'commission_holds',
        columns: [
          col.id(),
          col.ref('shop_id'),
          col.ref('campaign_id'),
          col.text('status', 16),
          col.fen('amount_fen'),
          col.int('shop_units'),
          col.int('total_units'),
          col.timestamp('created_at'),
          col.ref('decided_by', true),
          col.timestamp('decided_at', true),
          col.text('reason', 500, true),
          col.ref('void_entry_id', true),
        ],
        indices: [
          new TableIndex({ name: 'ix_commission_holds_status', columnNames: ['status', 'created_at'] }),
          new TableIndex({ name: 'ix_commission_holds_shop', columnNames: ['shop_id', 'campaign_id'] }),
          new TableIndex({ name: 'uq_commission_holds_void_entry', columnNames: ['void_entry_id'], isUnique: true }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('commission_holds', true);
    await q.dropTable('shop_statement_lines', true);
    await q.dropTable('shop_statements', true);
    await q.dropTable('shop_payees', true);
    await q.query('DELETE FROM payouts WHERE factory_id IS NULL');
    await q.dropIndex('payouts', 'ix_payouts_shop');
    await setNullable(q, 'payouts', ['factory_id'], false);
    await q.dropColumn('payouts', 'shop_id');
  }
}
