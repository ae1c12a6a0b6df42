import { z } from 'zod';
import { type JobDefinition, defineJob } from '../platform/jobs';
import type { PledgeMoves } from './pledge-moves';
import { EXPIRE_JOB } from './pledge-placement';
import { FORFEIT_JOB, REMIND_JOB, SETTLE_JOB, type Settlement, byCampaign } from './settlement';

/**
 * The pledges module's jobs: an unpaid pledge expires; after a campaign's decision its pledges are
 * settled in batches, reminded of their balance, and forfeit their deposit when the balance never comes.
 */
export function pledgeJobs(moves: PledgeMoves, settlement: Settlement): JobDefinition<any>[] {
  return [
    defineJob({
      name: EXPIRE_JOB,
      payload: z.strictObject({ pledgeId: z.string() }),
      handle: async ({ pledgeId }) => moves.expire([pledgeId]),
      // A spike of pledges comes due together: a hundred expire in one transaction, their units released
      // with one UPDATE of the campaign, so the units of a capped launch are free again within seconds.
      batch: { size: 100, handle: async (payloads) => (await moves.expire(payloads.map((p) => p.pledgeId)), payloads.map(() => undefined)) },
      purgeFinished: true,
    }),
    defineJob({ name: SETTLE_JOB, payload: byCampaign, handle: async ({ campaignId }) => settlement.settle(campaignId) }),
    defineJob({ name: FORFEIT_JOB, payload: byCampaign, handle: async ({ campaignId }) => settlement.forfeitUnpaid(campaignId) }),
    defineJob({ name: REMIND_JOB, payload: byCampaign, handle: async ({ campaignId }) => settlement.remind(campaignId) }),
  ];
}
