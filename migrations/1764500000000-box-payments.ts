import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/** Payments and refunds for fruit boxes as well as pledges: a payment is for a pledge or for a box. */
export class BoxPayments1764500000000 implements MigrationInterface {
  name = 'BoxPayments1764500000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['payments', 'refunds']) {
      for (const column of ['pledge_id', 'campaign_id']) await q.changeColumn(table, column, new TableColumn(col.ref(column, true)));
    }
    await q.addColumn('payments', new TableColumn(col.ref('box_id', true)));
    await q.createIndex('payments', new TableIndex({ name: 'ix_payments_box', columnNames: ['box_id'] }));
    await q.addColumn('journal_entries', new TableColumn(col.ref('box_id', true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('journal_entries', 'box_id');
    await q.dropIndex('payments', 'ix_payments_box');
    await q.dropColumn('payments', 'box_id');
    for (const table of ['payments', 'refunds']) {
      for (const column of ['pledge_id', 'campaign_id']) await q.changeColumn(table, column, new TableColumn(col.ref(column)));
    }
  }
}
