import { type JobDefinition, defineJob } from '../platform/jobs';
import { BUSINESS_TIME_ZONE } from '../platform/calendar';
import { byCampaign, CATCH_UP_JOB, STATEMENT_JOB, WEEK_STATEMENTS_JOB, type Statements } from './statements';
import { CHECK_PAYOUT_JOB, SEND_PAYOUT_JOB, type Payouts } from './payouts';
import { SHOP_STATEMENTS_JOB, type ShopStatements } from './shop-statements';
import { z } from 'zod';

const byPayout = z.strictObject({ payoutId: z.string() });

/** The payouts module's jobs: a final campaign's statement, and each week's for the orchards, and each settled month's for the shop owners; each approved payout sent until the provider takes it, and asked about until it arrives. */
export function payoutJobs(statements: Statements, payouts: Payouts, shopStatements: ShopStatements): JobDefinition<any>[] {
  return [
    defineJob({ name: STATEMENT_JOB, payload: byCampaign, handle: async ({ campaignId }) => void (await statements.make(campaignId)) }),
    defineJob({
      name: CATCH_UP_JOB,
      payload: z.strictObject({}),
      schedule: { cron: '45 2 * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
      handle: async () => void (await statements.catchUp()),
    }),
    defineJob({
      name: WEEK_STATEMENTS_JOB,
      payload: z.strictObject({}),
      // Early Monday, China time: the week just ended, and the three before it again for boxes charged late.
      schedule: { cron: '30 2 * * 1', timezone: BUSINESS_TIME_ZONE, payload: {} },
      handle: async (_payload, { logger }) => void (await statements.makeWeeks(4, logger)),
    }),
    defineJob({
      name: SHOP_STATEMENTS_JOB,
      payload: z.strictObject({}),
      // Daily, China time: the month settled by today (COMMISSION_SETTLE_DAYS after it ended), for each shop owner with entries not yet stated.
      schedule: { cron: '15 3 * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
      handle: async () => void (await shopStatements.makeDue()),
    }),
    defineJob({
      name: SEND_PAYOUT_JOB,
      payload: byPayout,
      // A declined transfer is tried again for about a day (back-off to an hour), then waits for an operator's retry.
      maxRetries: 30,
      maxRetryDelayMs: 3600_000,
      handle: async ({ payoutId }) => payouts.send(payoutId),
    }),
    defineJob({
      name: CHECK_PAYOUT_JOB,
      payload: byPayout,
      maxRetries: 30,
      retryDelayMs: 60_000,
      maxRetryDelayMs: 3600_000,
      handle: async ({ payoutId }) => payouts.check(payoutId),
    }),
  ];
}
