import { z } from 'zod';
import { businessDay } from '../platform/calendar';
import { idSchema as id } from '../platform/ids';
import { Decimal, formatMoney, moneyString as money, parseMoney, roundToFen } from '../platform/money';
import { pageQuery, searchText } from '../platform/http/paginate';
import type { CampaignRow, DisplayLabel, OptionDimension } from './campaign.entity';
import {
  MAX_DEPOSIT_SHARE,
  MAX_VARIANT_KEY_LENGTH,
  type Quote,
  type Tier,
  balancePerUnit,
  creditedPerUnit,
  depositPerUnit,
  isBeforeDeadline,
  isUndecided,
  longestVariantKey,
  maxDepositPerUnit,
  nextTier,
  thresholdOf,
  tierReached,
  tiersOf,
} from './campaign';
import { type CampaignWarning, WARNING_CODES } from './campaign-warnings';

/** A rate as a decimal string: up to two digits, up to four decimals. */
const decimalRate = (example: string) => z.string().regex(/^\d{1,2}(\.\d{1,4})?$/, `must be a decimal such as "${example}"`);
const rate = (max: number) =>
  decimalRate('0.10').refine((r) => Number(r) > 0 && Number(r) <= max, {
    message: `must be above 0 and at most ${max}`,
    params: { reason: 'rate_out_of_range', limit: max },
  });
/**
 * 定金膨胀: what each unit's deposit counts toward the price, as a multiple of the deposit. Below 1 a consumer would
 * pay more than the final unit price (deposit + balance), which the campaign's one-price-for-all rule forbids.
 */
const creditRate = decimalRate('2').refine((r) => Number(r) >= 1 && Number(r) <= 10, {
  message: 'must be at least 1 (a deposit counts at least its own amount toward the price) and at most 10',
  params: { reason: 'credit_rate_out_of_range', limit: 10 },
});
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-12-01T12:00:00+08:00' }).transform((s) => new Date(s));
const optionName = z.string().regex(/^[a-z][a-z0-9_]{0,29}$/, 'must be a lower-case name such as "colour"');
/** What a person reads for an option or a value, in Chinese and English; each language optional (the key is shown instead). */
const displayLabel = z.strictObject({ zh: z.string().trim().min(1).max(40).optional(), en: z.string().trim().min(1).max(40).optional() });
/** An option dimension as a client gives it (also a product concept's intended options, src/concepts). */
export const optionDimension = z.strictObject({
  name: optionName,
  label: displayLabel.optional(),
  values: z.array(z.string().trim().min(1).max(40)).min(1).max(30),
  valueLabels: z.record(z.string().max(40), displayLabel).optional(),
});
/**
 * A share-card picture: https only (it is shown inside WeChat and other https pages), on a domain name (not an
 * address), at most 500 characters, kept in its normalized form (characters such as < and " percent-encoded,
 * so it can be put in an HTML attribute as it is).
 */
export const imageUrl = z
  .url({ protocol: /^https$/, hostname: z.regexes.domain, message: 'must be an https URL such as https://img.example.com/jacket.jpg' })
  .max(500)
  .transform((u) => new URL(u).href)
  .refine((u) => u.length <= 500, 'must be at most 500 characters');

export const CampaignParams = z.strictObject({ id });

/**
 * The highest price of a unit. Every amount a campaign makes (a pledge of 10,000 units; 10,000,000 units
 * in all) then stays far inside what a fen column holds exactly on both databases: SQLite hands
 * integers to JavaScript as numbers, exact only up to 2^53 fen.
 */
export const MAX_UNIT_PRICE = parseMoney('1000000.00');

const CampaignFields = z
  .strictObject({
    factoryId: id,
    title: z.string().trim().min(1).max(200),
    productName: z.string().trim().min(1).max(200),
    description: z.string().trim().max(4000).default(''),
    options: z.array(optionDimension).min(1).max(5),
    imageUrl: imageUrl.optional(),
    referencePrice: money,
    depositRate: rate(1),
    depositCreditRate: creditRate.default('1'),
    tiers: z
      .array(z.strictObject({ minUnits: z.number().int().min(1).max(10_000_000), unitPrice: money }))
      .min(1)
      .max(10),
    maxUnits: z.number().int().min(1).max(10_000_000).optional(),
    perConsumerLimit: z.number().int().min(1).max(100_000).optional(),
    variantMinUnits: z.number().int().min(1).max(10_000_000).optional(),
    opensAt: instant,
    closesAt: instant,
    balanceWindowHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30),
    expectedShipDate: z.iso.date('must be a date such as 2027-01-15'),
  })
  .meta({ id: 'CampaignInput' });

/**
 * The rules between a campaign's fields, on fields already well formed: run after the fields of a create body, and
 * on a draft's terms with an edit applied. Each issue carries a `reason` (and `limit`) the console translates.
 */
export const campaignRules = z.custom<z.output<typeof CampaignFields>>().superRefine((c, ctx) => {
  const issue = (path: (string | number)[], message: string, reason: string, limit?: number) =>
    ctx.addIssue({ code: 'custom', path, message, params: { reason, ...(limit !== undefined && { limit }) } });
  const names = c.options.map((o) => o.name);
  if (new Set(names).size !== names.length) issue(['options'], 'option names must be different', 'duplicate_option');
  c.options.forEach((o, i) => new Set(o.values).size !== o.values.length && issue(['options', i, 'values'], 'values must be different', 'duplicate_value'));
  c.options.forEach((o, i) =>
    Object.keys(o.valueLabels ?? {})
      .filter((v) => !o.values.includes(v))
      .forEach((v) => issue(['options', i, 'valueLabels', v], `"${v}" is not one of this option's values`, 'not_a_value')),
  );
  if (longestVariantKey(c.options) > MAX_VARIANT_KEY_LENGTH)
    issue(
      ['options'],
      `the longest variant (every option's longest name and value together) must fit in ${MAX_VARIANT_KEY_LENGTH} characters; shorten some names or values`,
      'variant_too_long',
      MAX_VARIANT_KEY_LENGTH,
    );
  const reference = parseMoney(c.referencePrice);
  if (reference.isZero()) issue(['referencePrice'], 'must be above 0', 'not_positive');
  if (reference.greaterThan(MAX_UNIT_PRICE)) issue(['referencePrice'], `must be at most ${formatMoney(MAX_UNIT_PRICE)}`, 'too_big', MAX_UNIT_PRICE.toNumber());
  const deposit = depositPerUnit(reference, c.depositRate);
  if (deposit.isZero()) issue(['depositRate'], 'gives a deposit of 0.00 per unit', 'deposit_zero');
  const maxDeposit = maxDepositPerUnit(c.tiers.map((t) => ({ minUnits: t.minUnits, unitPrice: parseMoney(t.unitPrice) })));
  if (deposit.greaterThan(maxDeposit)) {
    const most = maxDeposit.toDecimalPlaces(2, Decimal.ROUND_DOWN);
    issue(
      ['depositRate'],
      `定金不得超过价款的 ${Number(MAX_DEPOSIT_SHARE) * 100}%（《民法典》第586条）: gives a deposit of ${formatMoney(deposit)} per unit, above ${Number(MAX_DEPOSIT_SHARE) * 100}% of the lowest tier price (at most ${formatMoney(most)})`,
      'deposit_over_legal_share',
      most.toNumber(),
    );
  }
  c.tiers.forEach((t, i) => {
    const price = parseMoney(t.unitPrice);
    if (price.greaterThan(reference)) issue(['tiers', i, 'unitPrice'], 'must not be above the reference price', 'above_reference_price');
    if (i > 0 && t.minUnits <= c.tiers[i - 1].minUnits) issue(['tiers', i, 'minUnits'], 'tiers must be in ascending order of units', 'tiers_not_ascending');
    if (i > 0 && !price.lessThan(parseMoney(c.tiers[i - 1].unitPrice)))
      issue(['tiers', i, 'unitPrice'], 'each tier must be cheaper than the one before', 'tier_not_cheaper');
  });
  if (c.maxUnits !== undefined && c.maxUnits < c.tiers[0].minUnits)
    issue(['maxUnits'], 'is below the success threshold (the first tier), so the campaign could never succeed', 'below_threshold', c.tiers[0].minUnits);
  if (c.perConsumerLimit !== undefined && c.maxUnits !== undefined && c.perConsumerLimit > c.maxUnits)
    issue(['perConsumerLimit'], 'is above the cap', 'above_cap', c.maxUnits);
  if (c.closesAt.getTime() <= c.opensAt.getTime()) issue(['closesAt'], 'must be after opensAt', 'not_after_opens_at');
  if (c.closesAt.getTime() - c.opensAt.getTime() > 180 * 86_400_000) issue(['closesAt'], 'a pledge window is at most 180 days', 'window_too_long', 180);
  // Calendar days are China's: a window closing at 07:00 on 21 December (23:00 UTC on the 20th) closes on the 21st.
  if (c.expectedShipDate < businessDay(c.closesAt))
    issue(['expectedShipDate'], `must not be before the day the pledge window closes (${businessDay(c.closesAt)}, China time)`, 'before_close');
});

/** The fields, then the rules between them; the rules run only on well-formed fields (a pipe stops at the first failure). */
export const CreateCampaignBody = CampaignFields.pipe(campaignRules);
export type CreateCampaignInput = z.infer<typeof CreateCampaignBody>;

const fields = CampaignFields.shape;
/**
 * An edit of a draft: any of the create body's fields (at least one), each replacing the draft's; null clears
 * an optional one (the picture, the cap, the per-consumer limit, the per-variant minimum). The draft with the
 * edit applied must then pass the create body's rules (campaignRules).
 */
export const UpdateCampaignBody = z
  .strictObject({
    factoryId: fields.factoryId.optional(),
    title: fields.title.optional(),
    productName: fields.productName.optional(),
    // Without the create body's defaults: a field left out of an edit keeps the draft's value.
    description: z.string().trim().max(4000).optional(),
    options: fields.options.optional(),
    imageUrl: imageUrl.nullable().optional(),
    referencePrice: fields.referencePrice.optional(),
    depositRate: fields.depositRate.optional(),
    depositCreditRate: creditRate.optional(),
    tiers: fields.tiers.optional(),
    maxUnits: fields.maxUnits.unwrap().nullable().optional(),
    perConsumerLimit: fields.perConsumerLimit.unwrap().nullable().optional(),
    variantMinUnits: fields.variantMinUnits.unwrap().nullable().optional(),
    opensAt: fields.opensAt.optional(),
    closesAt: fields.closesAt.optional(),
    balanceWindowHours: fields.balanceWindowHours.optional(),
    expectedShipDate: fields.expectedShipDate.optional(),
  })
  .refine((edit) => Object.keys(edit).length > 0, {
    message: 'change at least one field',
    params: { reason: 'empty_edit' },
    // Only of an edit otherwise well formed: one naming only unknown fields is refused for those.
    when: (payload) => payload.issues.length === 0,
  })
  .meta({ id: 'CampaignEdit' });
export type UpdateCampaignInput = z.infer<typeof UpdateCampaignBody>;

/** Why an operator cancels a campaign: required, recorded on the campaign and in the audit log. */
export const CancelCampaignBody = z.strictObject({ reason: z.string().trim().min(4).max(500) }).meta({ id: 'CampaignCancel' });

/** A variant and a quantity, as a pledge and a quote name them (the keys, never the display labels). */
export const PledgeChoice = z.strictObject({
  variant: z.record(z.string().max(30), z.string().max(40)).refine((v) => Object.keys(v).length <= 5, 'at most 5 options'),
  quantity: z.number().int('must be a whole number of units').min(1).max(10_000),
});

const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'open', 'succeeded', 'failed', 'cancelled', 'completed'] as const;

export const VariantKeyDocument = z
  .string()
  .max(MAX_VARIANT_KEY_LENGTH)
  .meta({
    id: 'VariantKey',
    description:
      'A variant as a key: name=value for each option in the product\'s order, joined by ";". In values "%", ";" and "=" are written %25, %3B and %3D (so every value reads back exactly and no two variants share a key); a key with none of them is the plain text. A campaign whose options could make a key longer than 255 characters is refused.',
    examples: ['colour=navy;size=L', 'fit=slim%3Bsize%3DL;size=M'],
  });

const TierDocument = z.object({ minUnits: z.int(), unitPrice: money }).meta({ id: 'Tier' });

const DisplayLabelDocument = z
  .object({ zh: z.string().meta({ examples: ['颜色'] }), en: z.string().meta({ examples: ['Colour'] }) })
  .meta({ id: 'DisplayLabel', description: 'Always both languages; a language not given shows the key' });

export const CampaignDocument = z
  .object({
    id: z.uuid(),
    factoryId: z.uuid(),
    title: z.string(),
    productName: z.string(),
    description: z.string(),
    imageUrl: z.string().nullable().meta({ description: 'The share-card picture, or null' }),
    options: z.array(
      z.object({
        name: z.string().meta({ description: "the option's key, as variants and pledges name it" }),
        label: DisplayLabelDocument,
        values: z.array(z.string()),
        valueLabels: z.record(z.string(), DisplayLabelDocument).meta({ description: "Every value's label, by value" }),
      }),
    ),
    referencePrice: money,
    depositRate: z.string(),
    depositPerUnit: money,
    depositCreditRate: z.string(),
    tiers: z.array(TierDocument),
    maxUnits: z.int().nullable(),
    perConsumerLimit: z.int().nullable(),
    variantMinUnits: z.int().nullable(),
    opensAt: z.iso.datetime(),
    closesAt: z.iso.datetime(),
    balanceWindowHours: z.int(),
    expectedShipDate: z.iso.date(),
    status: z.enum(CAMPAIGN_STATUSES),
    finalUnitPrice: money.nullable(),
    balanceDueAt: z.iso.datetime().nullable(),
    droppedVariants: z.array(VariantKeyDocument),
    progress: z.object({
      paidUnits: z.int().meta({
        description:
          'Units whose deposit is paid and not given back (pledges active, awaiting balance, paid or forfeited): what the threshold and the tiers count. Glossary in docs/domain.md.',
      }),
      reservedUnits: z.int().meta({
        description: 'Units held against the cap: paidUnits plus the units still awaiting their deposit. Expired, cancelled and refunded pledges hold none.',
      }),
      pledgers: z.int().meta({ description: 'Consumers with at least one pledge counted in paidUnits' }),
      currentTier: TierDocument.nullable().meta({
        description:
          'The highest tier paidUnits reach while undecided; once succeeded, the tier it was decided at (finalUnitPrice), whatever later refunds do; null below the threshold and for a failed or cancelled campaign',
      }),
      nextTier: z
        .intersection(TierDocument, z.object({ unitsNeeded: z.int() }))
        .nullable()
        .meta({ description: 'The next cheaper tier and the paid units it still needs; null at the last tier and once the pledge window has closed' }),
      thresholdReached: z.boolean().meta({ description: 'paidUnits reach the first tier; always true once the campaign has succeeded' }),
      remainingUnits: z.int().nullable().meta({
        description:
          'Units that can still be pledged: the cap less the units reserved while the pledge window has not closed, 0 once it has; null without a cap',
      }),
      secondsLeft: z.int().meta({ description: 'Left out of the ETag: count down from closesAt' }),
      variants: z
        .array(z.object({ variant: VariantKeyDocument, paidUnits: z.int(), reservedUnits: z.int() }))
        .meta({ description: 'paidUnits and reservedUnits per variant' }),
    }),
  })
  .meta({ id: 'Campaign' });
export type CampaignDto = z.output<typeof CampaignDocument>;

export const CampaignWarningDocument = z
  .object({
    code: z.enum(WARNING_CODES),
    field: z.string().meta({ description: 'The field of the create body it is about, e.g. `closesAt`, `tiers.1.minUnits`', examples: ['depositCreditRate'] }),
    params: z.record(z.string(), z.union([z.string(), z.number()])).meta({
      description:
        'The figures of the sentence, for a client that says it in its own words: counts, amounts as money strings ("700.00"), instants in ISO 8601, dates as YYYY-MM-DD',
    }),
    message: z.string().meta({ description: 'The sentence in Chinese, then in English' }),
  })
  .meta({
    id: 'CampaignWarning',
    description:
      "Terms that are legal but surprise consumers: `deposit_credit_covers_price` (the credited deposit covers a tier's whole price: no balance there), `threshold_price_not_discounted` (the first tier is the reference price), `tier_above_cap` (a tier above the cap can never be reached), `deadline_within_24h` (the window is open less than 24 hours), `closes_at_night` (it closes 00:00–06:59 China time), `balance_window_short` (under 24 hours to pay the balance), `ship_date_before_balance_due`, `variant_minimum_above_threshold`, `variant_minimums_exceed_cap`, `label_missing_zh` (an option or value with no Chinese label). docs/operator-console.md § Campaigns says why each.",
  });

const warningsField = z
  .array(CampaignWarningDocument)
  .meta({ description: 'Legal terms an operator should look at twice (CampaignWarning); empty when there are none' });

export const CampaignWithWarnings = z.intersection(CampaignDocument, z.object({ warnings: warningsField })).meta({ id: 'CampaignWithWarnings' });

/** What an operator reads of one campaign: the public document, a draft's warnings, and why it was cancelled. */
export const OperatorCampaignDocument = z
  .intersection(
    CampaignDocument,
    z.object({
      warnings: warningsField.optional().meta({ description: "Operators only, drafts only: the draft's warnings as of now" }),
      cancelReason: z.string().nullable().optional().meta({ description: 'Operators only: why an operator cancelled it (null unless cancelled)' }),
    }),
  )
  .meta({ id: 'CampaignForOperators' });

/** A campaign's terms as consumers will see them (POST /v1/campaigns/preview): every amount per unit. */
export const CampaignPreviewDocument = z
  .object({
    title: z.string(),
    productName: z.string(),
    description: z.string(),
    imageUrl: z.string().nullable(),
    options: CampaignDocument.shape.options,
    variants: z.int().meta({ description: 'How many variants the options make' }),
    referencePrice: money,
    depositRate: z.string(),
    depositPerUnit: money,
    depositCreditRate: z.string(),
    depositCreditPerUnit: money.meta({
      description:
        "deposit × credit rate, rounded to the fen: what a unit's deposit counts toward its price (never more than the price: see tiers[].depositCredit)",
    }),
    refundIfNotReached: money.meta({ description: "a unit's deposit, refunded in full if the threshold is not reached" }),
    threshold: z.int().meta({ description: 'paid units needed to succeed: the first tier' }),
    maxUnits: z.int().nullable(),
    perConsumerLimit: z.int().nullable(),
    variantMinUnits: z.int().nullable(),
    tiers: z.array(
      z.object({
        minUnits: z.int(),
        unitPrice: money,
        saving: money.meta({ description: 'reference price − unit price' }),
        depositCredit: money.meta({ description: 'what the deposit counts toward this price (at most the price)' }),
        balance: money.meta({ description: 'what is left to pay after success at this tier' }),
      }),
    ),
    opensAt: z.iso.datetime(),
    closesAt: z.iso.datetime(),
    balanceWindowHours: z.int(),
    balanceDueAt: z.iso
      .datetime()
      .meta({ description: 'the earliest the balance can be due: closesAt + balanceWindowHours (later if deposits are in flight at the close)' }),
    expectedShipDate: z.iso.date(),
    warnings: warningsField,
  })
  .meta({ id: 'CampaignPreview' });

export const QuoteDocument = z
  .object({
    quantity: z.int(),
    deposit: money.meta({ description: 'deposit per unit × quantity: what the deposit payment will ask' }),
    depositCredit: money.meta({
      description: 'what the deposit counts toward the price now (定金膨胀): min(deposit per unit × credit rate, rounded to the fen; unit price) × quantity',
    }),
    unitPriceNow: money,
    priceNow: money,
    balanceNow: money.meta({ description: 'what would be left to pay after success at unitPriceNow' }),
    lowestUnitPrice: money,
    balanceAtLowest: money,
    referencePrice: money.meta({ description: 'the reference price × quantity' }),
    refundIfNotReached: money.meta({ description: 'refunded in full if the campaign does not reach its threshold' }),
    balanceWindowHours: z.int(),
    tiers: z.array(z.object({ minUnits: z.int(), unitPrice: money, price: money, balance: money })),
  })
  .meta({ id: 'Quote' });

/** Every amount of a quote as money strings ("1800.00"). */
export function toQuoteDto(q: Quote): z.output<typeof QuoteDocument> {
  return {
    quantity: q.quantity,
    deposit: formatMoney(q.deposit),
    depositCredit: formatMoney(q.depositCredit),
    unitPriceNow: formatMoney(q.unitPriceNow),
    priceNow: formatMoney(q.priceNow),
    balanceNow: formatMoney(q.balanceNow),
    lowestUnitPrice: formatMoney(q.lowestUnitPrice),
    balanceAtLowest: formatMoney(q.balanceAtLowest),
    referencePrice: formatMoney(q.referencePrice),
    refundIfNotReached: formatMoney(q.refundIfNotReached),
    balanceWindowHours: q.balanceWindowHours,
    tiers: q.tiers.map((t) => ({ minUnits: t.minUnits, unitPrice: formatMoney(t.unitPrice), price: formatMoney(t.price), balance: formatMoney(t.balance) })),
  };
}

export const CampaignListQuery = pageQuery.extend({
  status: z.enum(CAMPAIGN_STATUSES).optional(),
  factoryId: id.optional(),
  q: searchText(100).optional().meta({ description: 'Only campaigns whose title contains this text' }),
});

/** Counted from the pledges' running totals, with the meanings of the glossary in docs/domain.md. */
export interface CampaignProgress {
  paidUnits: number;
  reservedUnits: number;
  pledgers: number;
  variants: { variant: string; paidUnits: number; reservedUnits: number }[];
}

const labelOf = (label: DisplayLabel | undefined, key: string) => ({ zh: label?.zh ?? key, en: label?.en ?? key });

/** Options as the API shows them: every option and every value with a Chinese and an English label, the key where none was given. */
export function optionsDto(options: readonly OptionDimension[]) {
  return options.map((o) => ({
    name: o.name,
    label: labelOf(o.label, o.name),
    values: o.values,
    valueLabels: Object.fromEntries(o.values.map((v) => [v, labelOf(o.valueLabels && Object.hasOwn(o.valueLabels, v) ? o.valueLabels[v] : undefined, v)])),
  }));
}

export function toCampaignDto(c: CampaignRow, progress: CampaignProgress | undefined, now: Date): CampaignDto {
  const tierDto = (t: Tier) => ({ minUnits: t.minUnits, unitPrice: formatMoney(t.unitPrice) });
  const paid = progress?.paidUnits ?? 0;
  // Room under the cap is the cap's own counter, what a pledge is checked against; none once the window has closed.
  const beforeDeadline = isBeforeDeadline(c, now);
  // Once it has succeeded, its tier is the one it was decided at (the final price every pledger pays), whatever
  // later refunds do to its paid units; a failed or cancelled campaign has none. A next tier only while pledges are taken.
  const succeeded = c.status === 'succeeded' || c.status === 'completed';
  const current = succeeded ? tiersOf(c).find((t) => t.unitPrice.equals(c.finalUnitPrice!)) : isUndecided(c) ? tierReached(tiersOf(c), paid) : undefined;
  const next = beforeDeadline ? nextTier(tiersOf(c), paid) : undefined;
  return {
    id: c.id,
    factoryId: c.factoryId,
    title: c.title,
    productName: c.productName,
    description: c.description,
    imageUrl: c.imageUrl ?? null,
    options: optionsDto(c.options),
    referencePrice: formatMoney(c.referencePrice),
    depositRate: c.depositRate,
    depositPerUnit: formatMoney(c.depositPerUnit),
    depositCreditRate: c.depositCreditRate,
    tiers: tiersOf(c).map(tierDto),
    maxUnits: c.maxUnits,
    perConsumerLimit: c.perConsumerLimit,
    variantMinUnits: c.variantMinUnits,
    opensAt: c.opensAt.toISOString(),
    closesAt: c.closesAt.toISOString(),
    balanceWindowHours: c.balanceWindowHours,
    expectedShipDate: c.expectedShipDate,
    status: c.status,
    finalUnitPrice: c.finalUnitPrice ? formatMoney(c.finalUnitPrice) : null,
    balanceDueAt: c.balanceDueAt?.toISOString() ?? null,
    droppedVariants: c.droppedVariants ?? [],
    progress: {
      paidUnits: paid,
      reservedUnits: progress?.reservedUnits ?? 0,
      pledgers: progress?.pledgers ?? 0,
      currentTier: current ? tierDto(current) : null,
      nextTier: next ? { ...tierDto(next), unitsNeeded: next.minUnits - paid } : null,
      thresholdReached: succeeded || paid >= thresholdOf(c),
      remainingUnits: c.maxUnits === null ? null : beforeDeadline ? Math.max(0, c.maxUnits - c.reservedUnits) : 0,
      secondsLeft: isUndecided(c) ? Math.max(0, Math.floor((c.closesAt.getTime() - now.getTime()) / 1000)) : 0,
      variants: progress?.variants ?? [],
    },
  };
}

/** A draft's terms as consumers will see them, with its warnings (POST /v1/campaigns/preview). */
export function toPreviewDto(c: CampaignRow, warnings: CampaignWarning[]): z.output<typeof CampaignPreviewDocument> {
  return {
    title: c.title,
    productName: c.productName,
    description: c.description,
    imageUrl: c.imageUrl ?? null,
    options: optionsDto(c.options),
    variants: c.options.reduce((count, o) => count * o.values.length, 1),
    referencePrice: formatMoney(c.referencePrice),
    depositRate: c.depositRate,
    depositPerUnit: formatMoney(c.depositPerUnit),
    depositCreditRate: c.depositCreditRate,
    depositCreditPerUnit: formatMoney(roundToFen(c.depositPerUnit.times(c.depositCreditRate))),
    refundIfNotReached: formatMoney(c.depositPerUnit),
    threshold: thresholdOf(c),
    maxUnits: c.maxUnits,
    perConsumerLimit: c.perConsumerLimit,
    variantMinUnits: c.variantMinUnits,
    tiers: tiersOf(c).map((t) => ({
      minUnits: t.minUnits,
      unitPrice: formatMoney(t.unitPrice),
      saving: formatMoney(c.referencePrice.minus(t.unitPrice)),
      depositCredit: formatMoney(creditedPerUnit(c, t.unitPrice)),
      balance: formatMoney(balancePerUnit(c, t.unitPrice)),
    })),
    opensAt: c.opensAt.toISOString(),
    closesAt: c.closesAt.toISOString(),
    balanceWindowHours: c.balanceWindowHours,
    balanceDueAt: new Date(c.closesAt.getTime() + c.balanceWindowHours * 3600_000).toISOString(),
    expectedShipDate: c.expectedShipDate,
    warnings,
  };
}
