import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col, setNullable } from '../src/platform/database/schema';

/**
 * Forecast lines say what they are: `kind` ('campaign' or 'supply') and `source_key` (the campaign's id,
 * or a supply key such as `fruit:mango`). Before, a supply line carried its key in `campaign_id`, and
 * readers told the two apart by the key's shape. `campaign_id` is now null on supply lines.
 *
 * The only supply there has been is the fruit boxes' (src/subscriptions/orchard-demand.ts), whose keys
 * start with `fruit:`; every other line's campaign_id is a campaign's id.
 */
export class ForecastLineKinds1765000000000 implements MigrationInterface {
  name = 'ForecastLineKinds1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('forecast_lines', [new TableColumn(col.text('kind', 10, true)), new TableColumn(col.text('source_key', 60, true))]);
    await q.query("UPDATE forecast_lines SET kind = CASE WHEN campaign_id LIKE 'fruit:%' THEN 'supply' ELSE 'campaign' END, source_key = campaign_id");
    // Only the nullability changes (setNullable: a column rebuilt from `col` would be emptied on MySQL).
    await setNullable(q, 'forecast_lines', ['campaign_id'], true);
    await q.query("UPDATE forecast_lines SET campaign_id = NULL WHERE kind = 'supply'");
    await setNullable(q, 'forecast_lines', ['kind', 'source_key'], false);
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to the key in campaign_id (fails on MySQL for a supply key longer than campaign_id's 36 characters).
    await q.query("UPDATE forecast_lines SET campaign_id = source_key WHERE kind = 'supply'");
    await setNullable(q, 'forecast_lines', ['campaign_id'], false);
    await q.dropColumn('forecast_lines', 'source_key');
    await q.dropColumn('forecast_lines', 'kind');
  }
}
