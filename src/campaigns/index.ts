export { CampaignService, CLOSE_JOB, checkChoice, type CampaignListener, type CampaignTerms, type DecisionObserver } from './campaign.service';
export { campaignRoutes } from './campaign.routes';
export { CampaignRow, type CampaignStatus, type DisplayLabel, type OptionDimension } from './campaign.entity';
export { balanceFor, balancePerUnit, creditedPerUnit, depositFor, thresholdOf, tierReached, tiersOf, variantKey, variantText, type Tier } from './campaign';
export { variantFromKey, variantLabel } from './variant-key';
export { type CampaignProgress, PledgeChoice, toCampaignDto } from './campaign.schemas';
export { CampaignReads, PUBLIC_CACHE_CONTROL, type CampaignDto, type Validated } from './campaign-reads';
