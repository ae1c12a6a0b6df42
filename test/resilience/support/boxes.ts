import { randomUUID } from 'node:crypto';
import { businessDay } from '../../../src/platform/calendar';
import { BoxRow, PlanRow } from '../../../src/subscriptions';
import { REGIONS, addDays, firstDeliveryOn } from '../../../src/subscriptions/deliveries';
import type { TestApp } from '../../support/app';
import type { TestClock } from '../../support/clock';

/**
 * Fruit boxes whose cutoff has passed and that nobody has locked yet: subscriptions written as they
 * were `daysBack` days ago and planned by the real planning code with the test's clock set back then,
 * so the cutoffs of their first boxes have passed by now. Subscriptions are written in bulk, as the
 * subscriptions benchmark does: the subscribe route is not what these tests are about.
 * Returns how many boxes are due (at least `wanted`).
 */
export async function boxesPastCutoff(t: TestApp, clock: TestClock, wanted: number, daysBack = 7): Promise<number> {
  const plans = await t.db.read((tx) => tx.find(PlanRow, { where: { active: true } }));
  const regions = Object.keys(REGIONS);
  const saved = clock.offsetMs;
  clock.offsetMs = saved - daysBack * 86_400_000;
  try {
    const startDate = businessDay(clock.now());
    for (let round = 0; round < 50; round++) {
      const due = await dueBoxCount(t);
      if (due >= wanted) return due;
      // About one box per weekly subscription is past its cutoff a week later: a round of `wanted` subscriptions nearly does.
      const rows = Array.from({ length: Math.min(500, wanted) }, (_, i) => {
        const plan = plans[(round + i) % plans.length];
        const region = regions[i % regions.length];
        return {
          id: randomUUID(),
          user_id: randomUUID(),
          plan_id: plan.id,
          start_date: addDays(startDate, i % 3),
          delivery_weekday: 1 + (i % 7),
          region,
          transit_days: REGIONS[region],
          first_delivery_date: firstDeliveryOn(addDays(startDate, i % 3), 1 + (i % 7), REGIONS[region], clock.now()),
          household_size: 1 + (i % plan.maxHousehold),
          exclusions: '[]',
          status: 'active',
          paused_until: null,
          created_at: clock.now(),
          cancelled_at: null,
        };
      });
      await t.db.statement((tx) => t.db.insertRows(tx, 'subscriptions', rows));
      await t.app.services.subscriptions.planning.planAhead();
    }
    throw new Error(`could not make ${wanted} boxes past their cutoff`);
  } finally {
    clock.offsetMs = saved;
  }
}

export async function dueBoxCount(t: TestApp): Promise<number> {
  // Through the query builder: the driver writes the time as each database stores it (SQLite cannot bind a Date).
  return t.db.read((tx) => tx.createQueryBuilder(BoxRow, 'b').where("b.status = 'planned' AND b.cutoff_at <= :now", { now: new Date() }).getCount());
}
