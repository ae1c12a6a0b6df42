import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * Visits through share links (docs/shop-owners.md § Visits): one row per shop, campaign ('' for the shop
 * page itself), China day and anonymous visitor, so a visitor counts at most once per shop, campaign and day
 * (the primary key; a repeat is an INSERT that changes nothing). The dashboard counts rows by shop and
 * campaign, which the key's first column serves.
 */
export class ShopVisits1765800000000 implements MigrationInterface {
  name = 'ShopVisits1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'shop_visits',
        columns: [
          { ...col.ref('shop_id'), isPrimary: true },
          { ...col.text('campaign_id', 36), isPrimary: true },
          { ...col.text('day', 10), isPrimary: true },
          { ...col.text('visitor_id', 64), isPrimary: true },
          col.timestamp('first_seen_at'),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('shop_visits', true);
  }
}
