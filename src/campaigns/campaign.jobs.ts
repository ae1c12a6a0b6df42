import { z } from 'zod';
import { type JobDefinition, defineJob } from '../platform/jobs';
import type { CampaignDecisions } from './campaign-decisions';
import { CLOSE_JOB, type CampaignService, OPEN_JOB } from './campaign.service';

const byCampaign = z.strictObject({ campaignId: z.string() });

/** The campaigns module's jobs: a scheduled campaign opens; at its deadline it is decided. Both are scheduled at publish. */
export function campaignJobs(campaigns: CampaignService, decisions: CampaignDecisions): JobDefinition[] {
  return [
    defineJob({ name: OPEN_JOB, payload: byCampaign, handle: async ({ campaignId }) => campaigns.open(campaignId) }),
    defineJob({ name: CLOSE_JOB, payload: byCampaign, handle: async ({ campaignId }) => decisions.close(campaignId) }),
  ];
}
