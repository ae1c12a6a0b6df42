/** The shapes of the public /v1 API the portal reads (docs/openapi.yaml). Amounts are strings ("1000.00"), instants ISO 8601 in UTC. */

export interface User {
  id: string;
  /** null for a consumer who signed up by phone (never a factory user). */
  email: string | null;
  /** E.164 to its owner, masked to others; null when the account has none. */
  phone: string | null;
  role: 'consumer' | 'operator' | 'factory';
  displayName: string | null;
  factoryId: string | null;
  createdAt: string;
}

export interface LoginResponse {
  token: string;
  tokenType: 'Bearer';
  expiresAt: string;
  user: User;
}

export interface Factory {
  id: string;
  name: string;
  kind: 'manufacturer' | 'orchard';
  contactEmail: string;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export type CampaignStatus = 'draft' | 'scheduled' | 'open' | 'succeeded' | 'failed' | 'cancelled' | 'completed';

export interface Tier {
  minUnits: number;
  unitPrice: string;
}

/** What a person reads for an option or a value; the API always sends both languages (the key where none was given). */
export interface DisplayLabel {
  zh: string;
  en: string;
}

export interface OptionDimension {
  /** The API's key (lower-case ASCII), as variant keys name it. */
  name: string;
  values: string[];
  /** Absent only in hand-made test data: shown as the key. */
  label?: DisplayLabel;
  valueLabels?: Record<string, DisplayLabel>;
}

export interface Campaign {
  id: string;
  factoryId: string;
  title: string;
  productName: string;
  description: string;
  options: OptionDimension[];
  referencePrice: string;
  depositRate: string;
  depositPerUnit: string;
  tiers: Tier[];
  maxUnits: number | null;
  variantMinUnits: number | null;
  opensAt: string;
  closesAt: string;
  expectedShipDate: string;
  status: CampaignStatus;
  finalUnitPrice: string | null;
  droppedVariants: string[];
  progress: {
    paidUnits: number;
    reservedUnits: number;
    pledgers: number;
    currentTier: Tier | null;
    nextTier: (Tier & { unitsNeeded: number }) | null;
    thresholdReached: boolean;
    remainingUnits: number | null;
  };
}

/** Firm (deposit-backed) units and the expected units with their low–high range. */
export interface Units {
  firmUnits: number;
  expectedUnits: number;
  lowUnits: number;
  highUnits: number;
}

/** The count fields mean what the glossary in docs/domain.md says, on every route. */
export interface ForecastCounts {
  paidUnits: number;
  awaitingDepositUnits: number;
  awaitingBalanceUnits: number;
  paidBalanceUnits: number;
}

export interface VariantForecast extends Units, ForecastCounts {
  /** `colour=navy;size=L`: one value per option, in the product's option order. */
  variant: string;
}

export interface DayTally {
  day: string;
  pledgedUnits: number;
  pledges: number;
  depositPaidUnits: number;
}

/** Where a forecast line's demand comes from: a campaign's pledges, or another supply (an orchard's fruit for the boxes). */
export type LineKind = 'campaign' | 'supply';

export interface CampaignForecast {
  kind: 'campaign';
  /** The campaign's id, as campaignId. */
  sourceKey: string;
  campaignId: string;
  title: string;
  productName: string;
  status: CampaignStatus;
  closesAt: string;
  expectedShipDate: string;
  shipWeek: string;
  variants: VariantForecast[];
  totals: Units & ForecastCounts;
  daily: DayTally[];
}

/** Demand from elsewhere than campaigns: an orchard's fruit per ISO week (source key `fruit:<id>`). */
export interface SupplyLine extends Units {
  kind: 'supply';
  sourceKey: string;
  /** The same as sourceKey, kept for older clients. */
  key: string;
  title: string;
  unit: string;
  week: string;
}

export interface LiveForecast {
  generatedAt: string;
  campaigns: CampaignForecast[];
  supplies: SupplyLine[];
  weeks: (Units & { week: string })[];
}

export type BatchStatus = 'new' | 'acknowledged' | 'committed' | 'late';
export type BatchTrigger = 'daily' | 'campaign_decided' | 'operator';
export type LineChange = 'new' | 'changed' | 'unchanged' | 'removed';
export type ShortfallReason = 'capacity' | 'material' | 'other';

export interface BatchSummary {
  id: string;
  version: number;
  trigger: BatchTrigger;
  publishedAt: string;
  lineCount: number;
  firmUnits: number;
  expectedUnits: number;
  acknowledgedAt: string | null;
  committedLines: number;
  status: BatchStatus;
}

export interface Commitment {
  quantity: number;
  shipBy: string;
  reason: ShortfallReason | null;
  note: string | null;
  committedAt: string;
}

export interface BatchLine extends Units {
  id: string;
  lineNo: number;
  kind: LineKind;
  /** The campaign's id on a campaign line; the supply key such as `fruit:mango` on a supply line. */
  sourceKey: string;
  /** The campaign's id on a campaign line; null on a supply line. */
  campaignId: string | null;
  campaignTitle: string;
  productName: string;
  /** A campaign's variant key, or a supply line's unit (piece, kg). */
  variant: string;
  shipWeek: string;
  change: LineChange;
  previousFirmUnits: number | null;
  previousExpectedUnits: number | null;
  firmUnitsChange: number;
  expectedUnitsChange: number;
  commitment?: Commitment;
}

export interface Batch extends BatchSummary {
  lines: BatchLine[];
}

export interface CommitAnswer {
  lineId: string;
  /** Null when the field was left empty: sent as it is, so that the API says what is missing. */
  quantity: number | null;
  shipBy: string;
  reason?: ShortfallReason;
  note?: string;
}

export interface Webhook {
  url: string;
  secretRotatedAt: string;
  updatedAt: string;
  /** Only in the answer that made it: shown once. */
  secret?: string;
}

export interface Delivery {
  id: string;
  batchId: string;
  version: number;
  attempt: number;
  url: string;
  attemptedAt: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  delivered: boolean;
}

export interface Accuracy {
  versions: { version: number; publishedAt: string; lines: number; mapePercent: number | null; biasPercent: number | null }[];
  campaigns: { campaignId: string; title: string; actualUnits: number; versions: { version: number; publishedAt: string; expectedUnits: number }[] }[];
}

/** A settlement statement: what one campaign earned the factory, each line the sum of its journal entries. Amounts may be negative. */
export interface Statement {
  id: string;
  factoryId: string;
  campaignId: string;
  campaignTitle: string;
  sequence: number;
  balancesReceived: string;
  depositsApplied: string;
  depositsForfeited: string;
  platformFee: string;
  refunds: string;
  adjustments: string;
  net: string;
  entryCount: number;
  payoutId: string | null;
  createdAt: string;
}

export type PayoutStatus = 'pending' | 'sent' | 'confirmed' | 'failed';

/** Money paid out to the factory: the sum of the statements it pays. */
export interface Payout {
  id: string;
  batchId: string;
  factoryId: string;
  amount: string;
  status: PayoutStatus;
  method: 'sandbox' | 'bank_file' | null;
  reference: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  confirmedAt: string | null;
}
