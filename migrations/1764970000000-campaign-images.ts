import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * A campaign's share-card picture (og:image), an https URL, or null. Option display labels need no
 * column: they travel inside the options' JSON.
 */
export class CampaignImages1764970000000 implements MigrationInterface {
  name = 'CampaignImages1764970000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('campaigns', new TableColumn(col.text('image_url', 500, true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('campaigns', 'image_url');
  }
}
