import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/** Statuses whose deposit is paid (PAID_STATUSES when this was written). */
const PAID = "'active', 'awaiting_balance', 'paid', 'forfeited'";

/**
 * Each campaign's pledgers (consumers with a paid pledge) kept as running counts, filled from the pledges
 * already there: a campaign's progress counted them with COUNT(DISTINCT) over its pledges on every read,
 * which grows with the campaign (the soak benchmark's campaign reads slowed from 150 ms to over a second).
 */
export class PledgerCounts1764800000000 implements MigrationInterface {
  name = 'PledgerCounts1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'pledgers',
        columns: [{ ...col.ref('campaign_id'), isPrimary: true }, { ...col.ref('user_id'), isPrimary: true }, col.int('paid_pledges', { default: 0 })],
      }),
    );
    await q.createTable(new Table({ name: 'pledger_counts', columns: [{ ...col.ref('campaign_id'), isPrimary: true }, col.int('pledgers', { default: 0 })] }));
    await q.query(
      `INSERT INTO pledgers (campaign_id, user_id, paid_pledges) SELECT campaign_id, user_id, COUNT(*) FROM pledges WHERE status IN (${PAID}) GROUP BY campaign_id, user_id`,
    );
    await q.query('INSERT INTO pledger_counts (campaign_id, pledgers) SELECT campaign_id, COUNT(*) FROM pledgers GROUP BY campaign_id');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('pledger_counts', true);
    await q.dropTable('pledgers', true);
  }
}
