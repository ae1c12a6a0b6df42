import { DateTime } from 'luxon';
import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * A subscription's first delivery is kept (the rhythm of its deliveries runs from it, and moves when a
 * change of plan changes the period), and a pause keeps where it starts: a pause from a later delivery
 * paused every delivery before `until`, and the subscription said "paused" before anything was.
 * Existing subscriptions keep the rhythm they had: the first delivery weekday on or after the start date;
 * existing pauses ran from that first delivery.
 */
export class SubscriptionRhythmAndPause1764910000000 implements MigrationInterface {
  name = 'SubscriptionRhythmAndPause1764910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('subscriptions', [new TableColumn(col.text('first_delivery_date', 10, true)), new TableColumn(col.text('paused_from', 10, true))]);
    const starts = (await q.query('SELECT DISTINCT start_date, delivery_weekday FROM subscriptions')) as {
      start_date: string;
      delivery_weekday: number | string;
    }[];
    for (const { start_date: startDate, delivery_weekday: weekday } of starts) {
      const start = DateTime.fromISO(startDate, { zone: 'utc' });
      const first = start.plus({ days: (Number(weekday) - start.weekday + 7) % 7 }).toISODate();
      await q.query('UPDATE subscriptions SET first_delivery_date = ? WHERE start_date = ? AND delivery_weekday = ?', [first, startDate, weekday]);
    }
    await q.query("UPDATE subscriptions SET paused_from = first_delivery_date WHERE status = 'paused'");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('subscriptions', 'paused_from');
    await q.dropColumn('subscriptions', 'first_delivery_date');
  }
}
