import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The business figures (docs/operator-console.md § 概览) are read every few seconds: pledges placed in the last hour by
 * their time, and pledges holding a deposit or owing a balance by their status, each from an index, not a table scan.
 */
export class FigureIndexes1766279800000 implements MigrationInterface {
  name = 'FigureIndexes1766279800000';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('pledges', new TableIndex({ name: 'ix_pledges_created', columnNames: ['created_at'] }));
    await q.createIndex('pledges', new TableIndex({ name: 'ix_pledges_status', columnNames: ['status'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('pledges', 'ix_pledges_status');
    await q.dropIndex('pledges', 'ix_pledges_created');
  }
}
