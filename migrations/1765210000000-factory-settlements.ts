import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * Money out to factories: settlement statements (each counting journal entries, an entry in one statement
 * at most), payout batches and payouts, each factory's bank account, and the payout a journal entry records.
 */
export class FactorySettlements1765210000000 implements MigrationInterface {
  name = 'FactorySettlements1765210000000';

  async up(q: QueryRunner): Promise<void> {
    const figures = [
      'balances_received_fen',
      'deposits_applied_fen',
      'deposits_forfeited_fen',
      'platform_fee_fen',
      'refunds_fen',
      'adjustments_fen',
      'net_fen',
    ];
    await q.createTable(
      new Table({
        name: 'factory_statements',
        columns: [
          col.id(),
          col.ref('factory_id'),
          col.ref('campaign_id'),
          col.int('sequence'),
          ...figures.map((name) => col.fen(name)),
          col.int('entry_count'),
          col.ref('payout_id', true),
          col.timestamp('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_factory_statements_campaign', columnNames: ['campaign_id', 'factory_id', 'sequence'], isUnique: true }),
          new TableIndex({ name: 'ix_factory_statements_factory', columnNames: ['factory_id', 'created_at'] }),
          new TableIndex({ name: 'ix_factory_statements_payout', columnNames: ['payout_id'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'factory_statement_entries',
        columns: [{ ...col.ref('entry_id'), isPrimary: true }, col.ref('statement_id')],
        indices: [new TableIndex({ name: 'ix_factory_statement_entries_statement', columnNames: ['statement_id', 'entry_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'payout_batches',
        columns: [
          col.id(),
          col.text('status', 20),
          col.text('method', 20, true),
          col.fen('total_fen'),
          col.int('payout_count'),
          col.ref('created_by'),
          col.timestamp('created_at'),
          col.ref('approved_by', true),
          col.timestamp('approved_at', true),
        ],
        indices: [new TableIndex({ name: 'ix_payout_batches_created', columnNames: ['created_at'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'payouts',
        columns: [
          col.id(),
          col.ref('batch_id'),
          col.ref('factory_id'),
          col.fen('amount_fen'),
          col.text('status', 20),
          col.text('method', 20, true),
          col.text('reference', 64, true),
          col.int('attempts'),
          col.text('last_error', 255, true),
          col.timestamp('created_at'),
          col.timestamp('updated_at'),
          col.timestamp('confirmed_at', true),
        ],
        indices: [
          new TableIndex({ name: 'ix_payouts_batch', columnNames: ['batch_id'] }),
          new TableIndex({ name: 'ix_payouts_factory', columnNames: ['factory_id', 'created_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'factory_payees',
        columns: [
          { ...col.ref('factory_id'), isPrimary: true },
          col.text('account_name', 200),
          col.text('account_number', 40),
          col.text('bank_name', 200),
          col.text('bank_code', 12),
          col.timestamp('updated_at'),
        ],
        foreignKeys: [{ name: 'fk_factory_payees_factory', columnNames: ['factory_id'], referencedTableName: 'factories', referencedColumnNames: ['id'] }],
      }),
    );
    await q.addColumn('journal_entries', new TableColumn(col.ref('payout_id', true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('journal_entries', 'payout_id');
    for (const table of ['factory_payees', 'payouts', 'payout_batches', 'factory_statement_entries', 'factory_statements']) await q.dropTable(table);
  }
}
