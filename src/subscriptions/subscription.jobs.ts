import { z } from 'zod';
import { BUSINESS_TIME_ZONE } from '../platform/calendar';
import { type JobDefinition, defineJob } from '../platform/jobs';
import { type BoxCharges, CHARGE_JOB, LATE_GUARANTEE_JOB, LOCK_DUE_JOB } from './box-charges';
import { type BoxPlanning, PLAN_AHEAD_JOB } from './box-planning';
import { SHARE_SHORTFALL_JOB, type ShortfallSharing } from './shortfall';

/**
 * The subscriptions module's jobs: boxes are planned a horizon ahead every hour and re-planned when an
 * orchard commits less than they need; at each cutoff boxes are locked and charged (a failed charge is
 * tried again); a box shipped late is compensated (慢就赔).
 */
export function subscriptionJobs(planning: BoxPlanning, shortfall: ShortfallSharing, boxCharges: BoxCharges): JobDefinition<any>[] {
  return [
    defineJob({
      name: PLAN_AHEAD_JOB,
      payload: z.strictObject({}),
      schedule: { cron: '5 * * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
      handle: async () => void (await planning.planAhead()),
    }),
    defineJob({
      name: SHARE_SHORTFALL_JOB,
      payload: z.strictObject({ fruitId: z.string(), week: z.string() }),
      handle: async ({ fruitId, week }) => shortfall.shareShortfall(fruitId, week),
    }),
    defineJob({
      name: LOCK_DUE_JOB,
      payload: z.strictObject({}),
      schedule: { cron: '*/15 * * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
      handle: async () => void (await boxCharges.lockDue()),
    }),
    defineJob({
      name: CHARGE_JOB,
      payload: z.strictObject({ boxId: z.string() }),
      handle: async ({ boxId }) => boxCharges.chargeAgain(boxId),
      purgeFinished: true,
    }),
    defineJob({
      name: LATE_GUARANTEE_JOB,
      payload: z.strictObject({}),
      schedule: { cron: '20 * * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
      handle: async () => void (await boxCharges.compensateLate()),
    }),
  ];
}
