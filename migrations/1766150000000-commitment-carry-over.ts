import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * A commitment carried over to a newer batch version (its line unchanged) says which version it was
 * made on, so the portal can tell a planner's fresh answer from one brought forward.
 */
export class CommitmentCarryOver1766150000000 implements MigrationInterface {
  name = 'CommitmentCarryOver1766150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('forecast_commitments', new TableColumn(col.int('carried_from_version', { nullable: true })));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('forecast_commitments', 'carried_from_version');
  }
}
