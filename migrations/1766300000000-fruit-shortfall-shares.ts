import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * A box's share of a fruit an orchard was short of (docs/fruit-subscriptions.md § Sharing a shortfall fairly):
 * what the box asked for before any cut and its contents then, its share and the week's commitment, so
 * operators see per ship date who was short and what each box got instead (the console's 水果 page).
 */
export class FruitShortfallShares1766300000000 implements MigrationInterface {
  name = 'FruitShortfallShares1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'fruit_shortfall_shares',
        columns: [
          { ...col.ref('box_id'), isPrimary: true },
          { ...col.text('fruit_id', 40), isPrimary: true },
          col.text('ship_week', 8),
          col.int('asked_units'),
          col.int('share_units'),
          col.int('committed_units'),
          col.text('contents_before_id', 64),
          col.timestamp('shared_at'),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('fruit_shortfall_shares', true);
  }
}
