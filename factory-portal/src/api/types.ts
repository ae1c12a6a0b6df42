/**
 * The shapes of the public /v1 API the portal reads, named from the types generated from docs/openapi.yaml
 * (`npm run openapi` writes docs/openapi.d.ts): none is written here by hand. Amounts are strings ("1000.00"),
 * instants ISO 8601 in UTC.
 */
import type { components, paths } from '../../../docs/openapi';

type Schemas = components['schemas'];

export type User = Schemas['User'];
export type LoginResponse = Schemas['Session'];
export type Factory = Schemas['Factory'];

/** A page of a list: `{items, total, limit, offset}`. */
export type Page<T> = Omit<paths['/v1/factory/forecast-batches']['get']['responses'][200]['content']['application/json'], 'items'> & { items: T[] };

export type Campaign = Schemas['Campaign'];

/** 红黑榜: a subject of the factory's with its counted marks and its answer; its marks with reasons (never who). */
export type MarkTally = Schemas['MarkTally'];
export type SubjectMarks = Schemas['SubjectMarks'];
export type CampaignStatus = Campaign['status'];
export type Tier = Schemas['Tier'];
/** What a person reads for an option or a value; the API always sends both languages (the key where none was given). */
export type DisplayLabel = Schemas['DisplayLabel'];
export type OptionDimension = Campaign['options'][number];

export type LiveForecast = Schemas['LiveForecast'];
export type CampaignForecast = LiveForecast['campaigns'][number];
/** Demand from elsewhere than campaigns: an orchard's fruit per ISO week (source key `fruit:<id>`). */
export type SupplyLine = LiveForecast['supplies'][number];
export type VariantForecast = CampaignForecast['variants'][number];
export type DayTally = CampaignForecast['daily'][number];
/** Firm (deposit-backed) units and the expected units with their low–high range. */
export type Units = Omit<LiveForecast['weeks'][number], 'week' | 'unit'>;
/** The count fields mean what the glossary in docs/domain.md says, on every route. */
export type ForecastCounts = Omit<Schemas['Units'], keyof Units>;

export type BatchSummary = Schemas['BatchSummary'];
export type BatchStatus = BatchSummary['status'];
export type BatchTrigger = BatchSummary['trigger'];
export type Batch = Schemas['Batch'];
export type BatchLine = Schemas['BatchLine'];
/** Where a forecast line's demand comes from: a campaign's pledges, or another supply (an orchard's fruit for the boxes). */
export type LineKind = BatchLine['kind'];
export type LineChange = BatchLine['change'];
export type Commitment = NonNullable<BatchLine['commitment']>;
export type ShortfallReason = NonNullable<Commitment['reason']>;

type CommitLine = NonNullable<paths['/v1/factory/forecast-batches/{id}/commit']['post']['requestBody']>['content']['application/json']['lines'][number];
/** A line's answer as the form holds it: a quantity left empty is sent as null, so that the API says what is missing. */
export type CommitAnswer = Omit<CommitLine, 'quantity'> & { quantity: number | null };

/** Commitments from the batch's CSV, filled in: what each row does (or did), and the batch after it. */
export type CommitRowsResult = Schemas['CommitRowsResult'];
export type UploadRowResult = CommitRowsResult['rows'][number];
export type CommitRowsRequest = NonNullable<paths['/v1/factory/forecast-batches/{id}/commit-rows']['post']['requestBody']>['content']['application/json'];

export type Webhook = Schemas['Webhook'];
export type Delivery = Schemas['WebhookDelivery'];
/** What came of "send test": the receiver's status code or the error, and when. */
export type WebhookTest = Schemas['WebhookTest'];
export type Accuracy = Schemas['ForecastAccuracy'];

/** A settlement statement: what one campaign (or, for an orchard, one ship week's fruit boxes) earned the factory, each line the sum of its journal entries. Amounts may be negative. */
export type Statement = Schemas['Statement'];
/** Money paid out to the factory: the sum of the statements it pays. */
export type Payout = Schemas['Payout'];
export type PayoutStatus = Payout['status'];

/** A product concept before launch, with its index, dimension means, stated intent and launch gate (docs/selection.md). */
export type Concept = Schemas['Concept'];
export type ConceptPhase = Concept['phase'];
/** What the factory sends to propose one. */
export type ConceptInput = Schemas['ConceptInput'];
