import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/** Joint pre-order campaigns, pledges, payments and refunds, the double-entry ledger, consumer notifications. */
export class CampaignsPledgesPaymentsLedger1764100000000 implements MigrationInterface {
  name = 'CampaignsPledgesPaymentsLedger1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'campaigns',
        columns: [
          col.id(),
          col.ref('factory_id'),
          col.text('title', 200),
          col.text('product_name', 200),
          col.longText('description'),
          col.longText('options'),
          col.fen('reference_price_fen'),
          col.text('deposit_rate', 12),
          col.fen('deposit_fen'),
          col.text('deposit_credit_rate', 12),
          col.longText('tiers'),
          col.int('max_units', { nullable: true }),
          col.int('per_consumer_limit', { nullable: true }),
          col.int('variant_min_units', { nullable: true }),
          col.timestamp('opens_at'),
          col.timestamp('closes_at'),
          col.int('balance_window_hours'),
          col.text('expected_ship_date', 10),
          col.text('status', 16),
          col.int('reserved_units', { default: 0 }),
          col.fen('final_unit_price_fen', true),
          col.longText('dropped_variants', true),
          col.timestamp('decided_at', true),
          col.timestamp('balance_due_at', true),
          col.timestamp('completed_at', true),
          col.timestamp('cancelled_at', true),
          col.timestamp('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'ix_campaigns_status_closes', columnNames: ['status', 'closes_at'] }),
          new TableIndex({ name: 'ix_campaigns_factory', columnNames: ['factory_id'] }),
        ],
        foreignKeys: [{ name: 'fk_campaigns_factory', columnNames: ['factory_id'], referencedTableName: 'factories', referencedColumnNames: ['id'] }],
      }),
    );

    await q.createTable(
      new Table({
        name: 'pledges',
        columns: [
          col.id(),
          col.ref('campaign_id'),
          col.ref('user_id'),
          col.text('variant_key', 255),
          col.int('quantity'),
          col.text('status', 20),
          col.fen('deposit_per_unit_fen'),
          col.fen('deposit_fen'),
          col.fen('unit_price_fen', true),
          col.fen('credited_per_unit_fen', true),
          col.fen('balance_fen', true),
          col.ref('deposit_payment_id'),
          col.ref('balance_payment_id', true),
          col.timestamp('expires_at'),
          col.timestamp('balance_due_at', true),
          col.timestamp('reminded_at', true),
          col.timestamp('created_at'),
          col.timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'ix_pledges_campaign_status', columnNames: ['campaign_id', 'status'] }),
          new TableIndex({ name: 'ix_pledges_user_created', columnNames: ['user_id', 'created_at'] }),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: 'campaign_consumer_units',
        columns: [{ ...col.ref('campaign_id'), isPrimary: true }, { ...col.ref('user_id'), isPrimary: true }, col.int('units')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'payments',
        columns: [
          col.id(),
          col.text('kind', 16),
          col.text('provider', 16),
          col.ref('pledge_id'),
          col.ref('campaign_id'),
          col.ref('user_id'),
          col.fen('amount_fen'),
          col.text('status', 16),
          col.timestamp('created_at'),
          col.timestamp('settled_at', true),
        ],
        indices: [
          new TableIndex({ name: 'ix_payments_pledge', columnNames: ['pledge_id'] }),
          new TableIndex({ name: 'ix_payments_status', columnNames: ['status'] }),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: 'refunds',
        columns: [
          col.id(),
          col.ref('payment_id'),
          col.ref('pledge_id'),
          col.ref('campaign_id'),
          col.ref('user_id'),
          col.fen('amount_fen'),
          col.text('reason', 40),
          col.text('status', 16),
          col.int('attempts', { default: 0 }),
          col.text('last_error', 255, true),
          col.timestamp('created_at'),
          col.timestamp('succeeded_at', true),
        ],
        indices: [
          new TableIndex({ name: 'ix_refunds_status', columnNames: ['status', 'created_at'] }),
          new TableIndex({ name: 'ix_refunds_payment', columnNames: ['payment_id'] }),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: 'gateway_events',
        columns: [{ ...col.text('id', 120), isPrimary: true }, col.ref('payment_id'), col.text('type', 40), col.timestamp('received_at')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'journal_entries',
        columns: [
          col.id(),
          col.text('kind', 40),
          col.ref('campaign_id', true),
          col.ref('pledge_id', true),
          col.ref('payment_id', true),
          col.ref('refund_id', true),
          col.timestamp('created_at'),
        ],
        indices: [new TableIndex({ name: 'ix_journal_entries_campaign', columnNames: ['campaign_id'] })],
      }),
    );

    await q.createTable(
      new Table({
        name: 'journal_lines',
        columns: [col.id(), col.ref('entry_id'), col.text('account', 120), col.fen('amount_fen')],
        indices: [
          new TableIndex({ name: 'ix_journal_lines_account', columnNames: ['account'] }),
          new TableIndex({ name: 'ix_journal_lines_entry', columnNames: ['entry_id'] }),
        ],
        foreignKeys: [{ name: 'fk_journal_lines_entry', columnNames: ['entry_id'], referencedTableName: 'journal_entries', referencedColumnNames: ['id'] }],
      }),
    );

    await q.createTable(
      new Table({
        name: 'consumer_notifications',
        columns: [
          col.id(),
          col.ref('user_id'),
          col.text('kind', 40),
          col.ref('campaign_id', true),
          col.ref('pledge_id', true),
          col.text('message', 500),
          col.longText('data'),
          col.timestamp('created_at'),
        ],
        indices: [new TableIndex({ name: 'ix_consumer_notifications_user', columnNames: ['user_id', 'created_at'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'consumer_notifications',
      'journal_lines',
      'journal_entries',
      'gateway_events',
      'refunds',
      'payments',
      'campaign_consumer_units',
      'pledges',
      'campaigns',
    ]) {
      await q.dropTable(table, true);
    }
  }
}
