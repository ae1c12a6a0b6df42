import { z } from 'zod';
import { businessDay } from '../platform/calendar';
import { idSchema as id } from '../platform/ids';
import { Decimal, formatMoney, moneyString as money, parseMoney } from '../platform/money';
import { pageQuery } from '../platform/http/paginate';
import type { CampaignRow, DisplayLabel, OptionDimension } from './campaign.entity';
import {
  MAX_DEPOSIT_SHARE,
  MAX_VARIANT_KEY_LENGTH,
  type Quote,
  type Tier,
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

const rate = (max: number) =>
  z
    .string()
    .regex(/^\d{1,2}(\.\d{1,4})?$/, 'must be a decimal such as "0.10"')
    .refine((r) => Number(r) > 0 && Number(r) <= max, `must be above 0 and at most ${max}`);
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-12-01T12:00:00+08:00' }).transform((s) => new Date(s));
const optionName = z.string().regex(/^[a-z][a-z0-9_]{0,29}$/, 'must be a lower-case name such as "colour"');
/** What a person reads for an option or a value, in Chinese and English; each language optional (the key is shown instead). */
const displayLabel = z.strictObject({ zh: z.string().trim().min(1).max(40).optional(), en: z.string().trim().min(1).max(40).optional() });
const optionDimension = z.strictObject({
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
const imageUrl = z
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

const CampaignFields = z.strictObject({
  factoryId: id,
  title: z.string().trim().min(1).max(200),
  productName: z.string().trim().min(1).max(200),
  description: z.string().trim().max(4000).default(''),
  options: z.array(optionDimension).min(1).max(5),
  imageUrl: imageUrl.optional(),
  referencePrice: money,
  depositRate: rate(1),
  depositCreditRate: rate(10).default('1'),
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
});

/** The fields, then the rules between them; the rules run only on well-formed fields (a pipe stops at the first failure). */
export const CreateCampaignBody = CampaignFields.pipe(
  z.custom<z.output<typeof CampaignFields>>().superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const names = c.options.map((o) => o.name);
    if (new Set(names).size !== names.length) issue(['options'], 'option names must be different');
    c.options.forEach((o, i) => new Set(o.values).size !== o.values.length && issue(['options', i, 'values'], 'values must be different'));
    c.options.forEach((o, i) =>
      Object.keys(o.valueLabels ?? {})
        .filter((v) => !o.values.includes(v))
        .forEach((v) => issue(['options', i, 'valueLabels', v], `"${v}" is not one of this option's values`)),
    );
    if (longestVariantKey(c.options) > MAX_VARIANT_KEY_LENGTH)
      issue(
        ['options'],
        `the longest variant (every option's longest name and value together) must fit in ${MAX_VARIANT_KEY_LENGTH} characters; shorten some names or values`,
      );
    const reference = parseMoney(c.referencePrice);
    if (reference.isZero()) issue(['referencePrice'], 'must be above 0');
    if (reference.greaterThan(MAX_UNIT_PRICE)) issue(['referencePrice'], `must be at most ${formatMoney(MAX_UNIT_PRICE)}`);
    const deposit = depositPerUnit(reference, c.depositRate);
    if (deposit.isZero()) issue(['depositRate'], 'gives a deposit of 0.00 per unit');
    const maxDeposit = maxDepositPerUnit(c.tiers.map((t) => ({ minUnits: t.minUnits, unitPrice: parseMoney(t.unitPrice) })));
    if (deposit.greaterThan(maxDeposit)) {
      issue(
        ['depositRate'],
        `定金不得超过价款的 ${Number(MAX_DEPOSIT_SHARE) * 100}%（《民法典》第586条）: gives a deposit of ${formatMoney(deposit)} per unit, above ${Number(MAX_DEPOSIT_SHARE) * 100}% of the lowest tier price (at most ${formatMoney(maxDeposit.toDecimalPlaces(2, Decimal.ROUND_DOWN))})`,
      );
    }
    c.tiers.forEach((t, i) => {
      const price = parseMoney(t.unitPrice);
      if (price.greaterThan(reference)) issue(['tiers', i, 'unitPrice'], 'must not be above the reference price');
      if (i > 0 && t.minUnits <= c.tiers[i - 1].minUnits) issue(['tiers', i, 'minUnits'], 'tiers must be in ascending order of units');
      if (i > 0 && !price.lessThan(parseMoney(c.tiers[i - 1].unitPrice))) issue(['tiers', i, 'unitPrice'], 'each tier must be cheaper than the one before');
    });
    if (c.maxUnits !== undefined && c.maxUnits < c.tiers[0].minUnits)
      issue(['maxUnits'], 'is below the success threshold (the first tier), so the campaign could never succeed');
    if (c.perConsumerLimit !== undefined && c.maxUnits !== undefined && c.perConsumerLimit > c.maxUnits) issue(['perConsumerLimit'], 'is above the cap');
    if (c.closesAt.getTime() <= c.opensAt.getTime()) issue(['closesAt'], 'must be after opensAt');
    if (c.closesAt.getTime() - c.opensAt.getTime() > 180 * 86_400_000) issue(['closesAt'], 'a pledge window is at most 180 days');
    // Calendar days are China's: a window closing at 07:00 on 21 December (23:00 UTC on the 20th) closes on the 21st.
    if (c.expectedShipDate < businessDay(c.closesAt))
      issue(['expectedShipDate'], `must not be before the day the pledge window closes (${businessDay(c.closesAt)}, China time)`);
  }),
);
export type CreateCampaignInput = z.infer<typeof CreateCampaignBody>;

/** A variant and a quantity, as a pledge and a quote name them (the keys, never the display labels). */
export const PledgeChoice = z.strictObject({
  variant: z.record(z.string().max(30), z.string().max(40)).refine((v) => Object.keys(v).length <= 5, 'at most 5 options'),
  quantity: z.number().int('must be a whole number of units').min(1).max(10_000),
});

/** Every amount of a quote as money strings ("1800.00"). */
export function toQuoteDto(q: Quote) {
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
  status: z.enum(['draft', 'scheduled', 'open', 'succeeded', 'failed', 'cancelled', 'completed']).optional(),
  factoryId: id.optional(),
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

export function toCampaignDto(c: CampaignRow, progress: CampaignProgress | undefined, now: Date) {
  const tierDto = (t: Tier) => ({ minUnits: t.minUnits, unitPrice: formatMoney(t.unitPrice) });
  const paid = progress?.paidUnits ?? 0;
  // Room under the cap is the cap's own counter, what a pledge is checked against; none once the window has closed.
  const beforeDeadline = isBeforeDeadline(c, now);
  const current = tierReached(tiersOf(c), paid);
  const next = nextTier(tiersOf(c), paid);
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
      thresholdReached: paid >= thresholdOf(c),
      remainingUnits: c.maxUnits === null ? null : beforeDeadline ? Math.max(0, c.maxUnits - c.reservedUnits) : 0,
      secondsLeft: isUndecided(c) ? Math.max(0, Math.floor((c.closesAt.getTime() - now.getTime()) / 1000)) : 0,
      variants: progress?.variants ?? [],
    },
  };
}
