import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { businessDay } from '../src/platform/calendar';
import { col } from '../src/platform/database/schema';

const STATUSES = ['awaiting_deposit', 'active', 'awaiting_balance', 'paid', 'expired', 'cancelled', 'refunded', 'forfeited'];

/** Running totals of pledges (per campaign × variant by status, per campaign × day), filled from the pledges already there. */
export class PledgeTallies1764200000000 implements MigrationInterface {
  name = 'PledgeTallies1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'pledge_tallies',
        columns: [
          { ...col.ref('campaign_id'), isPrimary: true },
          { ...col.text('variant_key', 255), isPrimary: true },
          ...STATUSES.map((s) => col.int(`${s}_units`, { default: 0 })),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'pledge_days',
        columns: [
          { ...col.ref('campaign_id'), isPrimary: true },
          { ...col.text('day', 10), isPrimary: true },
          col.int('pledged_units', { default: 0 }),
          col.int('pledges', { default: 0 }),
          col.int('deposit_paid_units', { default: 0 }),
        ],
      }),
    );

    await q.query(
      `INSERT INTO pledge_tallies (campaign_id, variant_key, ${STATUSES.map((s) => `${s}_units`).join(', ')})
       SELECT campaign_id, variant_key, ${STATUSES.map((s) => `SUM(CASE WHEN status = '${s}' THEN quantity ELSE 0 END)`).join(', ')}
       FROM pledges GROUP BY campaign_id, variant_key`,
    );
    // Business days are in China time, which SQL cannot portably convert to: the few existing rows are summed here.
    const days = new Map<string, { campaignId: string; day: string; pledged: number; pledges: number; paid: number }>();
    const dayRow = (campaignId: string, at: Date | string) => {
      const day = businessDay(new Date(at));
      const row = days.get(`${campaignId}|${day}`) ?? { campaignId, day, pledged: 0, pledges: 0, paid: 0 };
      days.set(`${campaignId}|${day}`, row);
      return row;
    };
    for (const p of (await q.query('SELECT campaign_id, quantity, created_at FROM pledges')) as {
      campaign_id: string;
      quantity: number;
      created_at: Date | string;
    }[]) {
      const row = dayRow(p.campaign_id, p.created_at);
      row.pledged += Number(p.quantity);
      row.pledges += 1;
    }
    const paidDeposits = (await q.query(
      `SELECT p.campaign_id, p.quantity, pay.settled_at FROM pledges p JOIN payments pay ON pay.id = p.deposit_payment_id
       WHERE pay.status = 'succeeded' AND p.status NOT IN ('awaiting_deposit', 'expired', 'cancelled')`,
    )) as { campaign_id: string; quantity: number; settled_at: Date | string }[];
    for (const p of paidDeposits) dayRow(p.campaign_id, p.settled_at).paid += Number(p.quantity);
    for (const r of days.values()) {
      await q.query('INSERT INTO pledge_days (campaign_id, day, pledged_units, pledges, deposit_paid_units) VALUES (?, ?, ?, ?, ?)', [
        r.campaignId,
        r.day,
        r.pledged,
        r.pledges,
        r.paid,
      ]);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('pledge_days', true);
    await q.dropTable('pledge_tallies', true);
  }
}
