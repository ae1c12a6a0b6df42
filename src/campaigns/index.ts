export { CampaignService, CLOSE_JOB, checkChoice, type CampaignTerms, type ProgressSource } from './campaign.service';
export { CampaignDecisions, type DecisionObserver, type PledgesAtClose } from './campaign-decisions';
export { campaignJobs } from './campaign.jobs';
export { campaignRoutes } from './campaign.routes';
export { CampaignRow, type CampaignStatus, type DisplayLabel, type OptionDimension } from './campaign.entity';
export {
  balanceFor,
  balancePerUnit,
  creditedPerUnit,
  depositFor,
  isBeforeDeadline,
  isTakingPledges,
  isPublished,
  isUndecided,
  pledgeWindow,
  thresholdOf,
  tierReached,
  tiersOf,
  variantKey,
  variantText,
  windowRefusal,
  type Tier,
} from './campaign';
export { variantFromKey, variantLabel } from './variant-key';
export {
  CampaignDocument,
  CampaignParams,
  type CampaignProgress,
  CreateCampaignBody,
  type CreateCampaignInput,
  PledgeChoice,
  imageUrl,
  optionDimension,
  toCampaignDto,
} from './campaign.schemas';
export { CampaignReads, PUBLIC_CACHE_CONTROL, type CampaignDto, type Validated } from './campaign-reads';
