import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/** The factory side: webhooks, versioned forecast batches and their lines, commitments, delivery attempts. */
export class Forecasts1764300000000 implements MigrationInterface {
  name = 'Forecasts1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'factory_webhooks',
        columns: [
          { ...col.ref('factory_id'), isPrimary: true },
          col.text('url', 2000),
          col.text('secret_sealed', 255),
          col.text('previous_secret_sealed', 255, true),
          col.timestamp('secret_rotated_at'),
          col.timestamp('updated_at'),
        ],
        foreignKeys: [{ name: 'fk_factory_webhooks_factory', columnNames: ['factory_id'], referencedTableName: 'factories', referencedColumnNames: ['id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'forecast_batches',
        columns: [
          col.id(),
          col.ref('factory_id'),
          col.int('version'),
          col.text('trigger', 20),
          col.timestamp('published_at'),
          col.int('line_count'),
          col.int('firm_units'),
          col.int('expected_units'),
          col.timestamp('acknowledged_at', true),
          col.text('acknowledged_by', 60, true),
        ],
        // One version number per factory, whoever publishes: two workers cannot both make version n.
        indices: [new TableIndex({ name: 'uq_forecast_batches_version', columnNames: ['factory_id', 'version'], isUnique: true })],
        foreignKeys: [{ name: 'fk_forecast_batches_factory', columnNames: ['factory_id'], referencedTableName: 'factories', referencedColumnNames: ['id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'forecast_lines',
        columns: [
          col.id(),
          col.ref('batch_id'),
          col.int('line_no'),
          col.ref('campaign_id'),
          col.text('campaign_title', 200),
          col.text('product_name', 200),
          col.text('variant', 255),
          col.text('ship_week', 8),
          col.int('firm_units'),
          col.int('expected_units'),
          col.int('low_units'),
          col.int('high_units'),
          col.int('previous_firm_units', { nullable: true }),
          col.int('previous_expected_units', { nullable: true }),
          col.text('change', 10),
        ],
        indices: [
          new TableIndex({ name: 'uq_forecast_lines_batch_line', columnNames: ['batch_id', 'line_no'], isUnique: true }),
          new TableIndex({ name: 'ix_forecast_lines_campaign', columnNames: ['campaign_id'] }),
        ],
        foreignKeys: [{ name: 'fk_forecast_lines_batch', columnNames: ['batch_id'], referencedTableName: 'forecast_batches', referencedColumnNames: ['id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'forecast_commitments',
        columns: [
          { ...col.ref('line_id'), isPrimary: true },
          col.ref('batch_id'),
          col.int('quantity'),
          col.text('ship_by', 10),
          col.text('reason', 10, true),
          col.text('note', 500, true),
          col.timestamp('committed_at'),
          col.text('committed_by', 60),
        ],
        indices: [new TableIndex({ name: 'ix_forecast_commitments_batch', columnNames: ['batch_id'] })],
        foreignKeys: [{ name: 'fk_forecast_commitments_line', columnNames: ['line_id'], referencedTableName: 'forecast_lines', referencedColumnNames: ['id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          col.id(),
          col.ref('factory_id'),
          col.ref('batch_id'),
          col.int('version'),
          col.int('attempt'),
          col.text('url', 2000),
          col.timestamp('attempted_at'),
          col.int('status_code', { nullable: true }),
          col.text('error', 300, true),
          col.int('duration_ms'),
          col.bool('delivered', false),
        ],
        indices: [
          new TableIndex({ name: 'ix_webhook_deliveries_factory', columnNames: ['factory_id', 'attempted_at'] }),
          new TableIndex({ name: 'ix_webhook_deliveries_batch', columnNames: ['batch_id'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['webhook_deliveries', 'forecast_commitments', 'forecast_lines', 'forecast_batches', 'factory_webhooks'])
      await q.dropTable(table, true);
  }
}
