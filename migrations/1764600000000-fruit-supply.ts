import { Table, TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/** What orchards commit per fruit and week, and each box's share when that is short of what the boxes need. */
export class FruitSupply1764600000000 implements MigrationInterface {
  name = 'FruitSupply1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'fruit_supply_commitments',
        columns: [
          { ...col.text('fruit_id', 40), isPrimary: true },
          { ...col.text('ship_week', 8), isPrimary: true },
          col.ref('orchard_id'),
          col.int('units'),
          col.timestamp('committed_at'),
        ],
      }),
    );
    await q.addColumn('fruit_boxes', new TableColumn(col.longText('unit_limits', true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('fruit_boxes', 'unit_limits');
    await q.dropTable('fruit_supply_commitments', true);
  }
}
