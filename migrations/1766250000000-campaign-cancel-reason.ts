import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/** An operator's cancel says why (required in POST /v1/campaigns/:id/cancel); the console shows it on the campaign. */
export class CampaignCancelReason1766250000000 implements MigrationInterface {
  name = 'CampaignCancelReason1766250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('campaigns', new TableColumn(col.text('cancel_reason', 500, true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('campaigns', 'cancel_reason');
  }
}
