import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Finished jobs of the names that leave a row per pledge or payment are deleted some days after they finish
 * (`platform.purge-finished-jobs`): the purge finds them by name and finishing time, not by reading every finished job.
 */
export class FinishedJobsIndex1766400000000 implements MigrationInterface {
  name = 'FinishedJobsIndex1766400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('jobs', new TableIndex({ name: 'ix_jobs_finished', columnNames: ['name', 'last_finished_at'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('jobs', 'ix_jobs_finished');
  }
}
