import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/** Seasonal fruit-box subscriptions: the fruit catalogue, plans, subscriptions, skipped dates and boxes. */
export class FruitSubscriptions1764400000000 implements MigrationInterface {
  name = 'FruitSubscriptions1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'fruits',
        columns: [
          { ...col.text('id', 40), isPrimary: true },
          col.text('name_zh', 40),
          col.text('name_en', 60),
          col.text('unit', 8),
          col.int('portions_per_unit'),
          col.int('ripening_min_days'),
          col.int('ripening_max_days'),
          col.int('good_days'),
          col.longText('seasons'),
          col.bool('ethylene_producer', false),
          col.bool('ethylene_sensitive', false),
          col.fen('unit_cost_fen'),
          col.ref('orchard_id', true),
          col.bool('active', true),
          col.timestamp('updated_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'subscription_plans',
        columns: [
          { ...col.text('id', 40), isPrimary: true },
          col.text('name_zh', 40),
          col.text('name_en', 60),
          col.text('period', 12),
          col.int('max_household'),
          col.int('portions_per_person_per_day'),
          col.fen('price_fen'),
          col.fen('fruit_budget_fen'),
          col.bool('active', true),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'subscriptions',
        columns: [
          col.id(),
          col.ref('user_id'),
          col.text('plan_id', 40),
          col.text('start_date', 10),
          col.int('delivery_weekday'),
          col.text('region', 30),
          col.int('transit_days'),
          col.int('household_size'),
          col.longText('exclusions'),
          col.text('status', 12),
          col.text('paused_until', 10, true),
          col.timestamp('created_at'),
          col.timestamp('cancelled_at', true),
        ],
        indices: [
          new TableIndex({ name: 'ix_subscriptions_user', columnNames: ['user_id', 'created_at'] }),
          new TableIndex({ name: 'ix_subscriptions_status', columnNames: ['status'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'subscription_skips',
        columns: [{ ...col.ref('subscription_id'), isPrimary: true }, { ...col.text('delivery_date', 10), isPrimary: true }, col.timestamp('created_at')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'fruit_boxes',
        columns: [
          col.id(),
          col.ref('subscription_id'),
          col.ref('user_id'),
          col.text('delivery_date', 10),
          col.text('ship_date', 10),
          col.timestamp('cutoff_at'),
          col.timestamp('ship_by_at'),
          col.text('status', 12),
          col.text('cancel_reason', 30, true),
          col.longText('items'),
          col.longText('coverage'),
          col.longText('uncovered'),
          col.fen('cost_fen'),
          col.fen('price_fen'),
          col.ref('payment_id', true),
          col.int('charge_attempts', { default: 0 }),
          col.timestamp('planned_at'),
          col.timestamp('locked_at', true),
          col.timestamp('shipped_at', true),
          col.timestamp('compensated_at', true),
        ],
        indices: [
          // One box per subscription and delivery date, whatever runs twice.
          new TableIndex({ name: 'uq_fruit_boxes_delivery', columnNames: ['subscription_id', 'delivery_date'], isUnique: true }),
          new TableIndex({ name: 'ix_fruit_boxes_status_cutoff', columnNames: ['status', 'cutoff_at'] }),
          new TableIndex({ name: 'ix_fruit_boxes_ship_date', columnNames: ['ship_date', 'status'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['fruit_boxes', 'subscription_skips', 'subscriptions', 'subscription_plans', 'fruits']) await q.dropTable(table, true);
  }
}
