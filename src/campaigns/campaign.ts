import { formatBusinessTime } from '../platform/calendar';
import { type Decimal, ZERO, fromFen, roundToFen } from '../platform/money';
import type { CampaignRow, CampaignStatus, OptionDimension, StoredTier } from './campaign.entity';
import { escapeValue, keyOfValues, variantFromKey } from './variant-key';

/** Pure campaign rules: no IO. */

export interface Tier {
  minUnits: number;
  unitPrice: Decimal;
}

export function tiersOf(campaign: Pick<CampaignRow, 'tiers'>): Tier[] {
  return campaign.tiers.map((t: StoredTier) => ({ minUnits: t.minUnits, unitPrice: fromFen(t.unitPriceFen) }));
}

/** The success threshold: the first tier's minimum. */
export function thresholdOf(campaign: Pick<CampaignRow, 'tiers'>): number {
  return campaign.tiers[0].minUnits;
}

/** The highest tier reached by `paidUnits`, or undefined below the threshold. */
export function tierReached(tiers: Tier[], paidUnits: number): Tier | undefined {
  return [...tiers].reverse().find((t) => paidUnits >= t.minUnits);
}

export function nextTier(tiers: Tier[], paidUnits: number): Tier | undefined {
  return tiers.find((t) => paidUnits < t.minUnits);
}

/** Deposit per unit: reference price × deposit rate, rounded half up to the fen. */
export function depositPerUnit(referencePrice: Decimal, depositRate: string): Decimal {
  return roundToFen(referencePrice.times(depositRate));
}

/**
 * 定金 law (Civil Code art. 586): a deposit may be at most 20% of the price of the contract. A pledge's
 * price is not known until close, and is least at the cheapest tier, so the cap is taken from that tier.
 */
export const MAX_DEPOSIT_SHARE = '0.20';

export function maxDepositPerUnit(tiers: readonly Tier[]): Decimal {
  return lowestUnitPrice(tiers).times(MAX_DEPOSIT_SHARE);
}

/** The least a unit can cost: the cheapest tier's price. */
export function lowestUnitPrice(tiers: readonly Tier[]): Decimal {
  return tiers.reduce((low, t) => (t.unitPrice.lessThan(low) ? t.unitPrice : low), tiers[0].unitPrice);
}

/**
 * What each unit's deposit counts toward the price (定金膨胀): deposit × credit rate, rounded to the
 * fen, and never more than the final unit price.
 */
export function creditedPerUnit(campaign: Pick<CampaignRow, 'depositPerUnit' | 'depositCreditRate'>, finalUnitPrice: Decimal): Decimal {
  const credited = roundToFen(campaign.depositPerUnit.times(campaign.depositCreditRate));
  return credited.greaterThan(finalUnitPrice) ? finalUnitPrice : credited;
}

export function balancePerUnit(campaign: Pick<CampaignRow, 'depositPerUnit' | 'depositCreditRate'>, finalUnitPrice: Decimal): Decimal {
  const balance = finalUnitPrice.minus(creditedPerUnit(campaign, finalUnitPrice));
  return balance.isNegative() ? ZERO : balance;
}

/** A pledge's deposit: the deposit per unit × the quantity (what the pledge's deposit payment asks). */
export function depositFor(campaign: Pick<CampaignRow, 'depositPerUnit'>, quantity: number): Decimal {
  return campaign.depositPerUnit.times(quantity);
}

/** A pledge's balance at a unit price: the balance per unit (after the credited deposit) × the quantity, as settlement sets it. */
export function balanceFor(campaign: Pick<CampaignRow, 'depositPerUnit' | 'depositCreditRate'>, unitPrice: Decimal, quantity: number): Decimal {
  return balancePerUnit(campaign, unitPrice).times(quantity);
}

/** A consumer's deal for a quantity, every amount for the whole quantity (POST /v1/campaigns/:id/quote). */
export interface Quote {
  quantity: number;
  deposit: Decimal;
  /** What the deposit counts toward the price at unitPriceNow (定金膨胀), never more than that price. */
  depositCredit: Decimal;
  unitPriceNow: Decimal;
  priceNow: Decimal;
  balanceNow: Decimal;
  lowestUnitPrice: Decimal;
  balanceAtLowest: Decimal;
  referencePrice: Decimal;
  refundIfNotReached: Decimal;
  balanceWindowHours: number;
  tiers: { minUnits: number; unitPrice: Decimal; price: Decimal; balance: Decimal }[];
}

/**
 * The deal for `quantity` units with the campaign standing at `paidUnits`, computed with the functions
 * that set a pledge's deposit (depositFor) and its balance at the decision (balanceFor, creditedPerUnit).
 * "Now" is the tier reached by the paid units, or the first tier while the threshold is not reached (the
 * price if the campaign succeeds as it stands); a decided campaign's final price once it has one.
 */
export function quoteOf(
  campaign: Pick<CampaignRow, 'tiers' | 'depositPerUnit' | 'depositCreditRate' | 'referencePrice' | 'balanceWindowHours' | 'finalUnitPrice'>,
  paidUnits: number,
  quantity: number,
): Quote {
  const tiers = tiersOf(campaign);
  const now = campaign.finalUnitPrice ?? (tierReached(tiers, paidUnits) ?? tiers[0]).unitPrice;
  const lowest = lowestUnitPrice(tiers);
  const deposit = depositFor(campaign, quantity);
  return {
    quantity,
    deposit,
    depositCredit: creditedPerUnit(campaign, now).times(quantity),
    unitPriceNow: now,
    priceNow: now.times(quantity),
    balanceNow: balanceFor(campaign, now, quantity),
    lowestUnitPrice: lowest,
    balanceAtLowest: balanceFor(campaign, lowest, quantity),
    referencePrice: campaign.referencePrice.times(quantity),
    // A campaign that does not reach its threshold refunds every deposit in full.
    refundIfNotReached: deposit,
    balanceWindowHours: campaign.balanceWindowHours,
    tiers: tiers.map((t) => ({
      minUnits: t.minUnits,
      unitPrice: t.unitPrice,
      price: t.unitPrice.times(quantity),
      balance: balanceFor(campaign, t.unitPrice, quantity),
    })),
  };
}

// ---- the pledge window and the decision ----

/** Published and not yet decided or cancelled: the window is ahead, open, or over and awaiting its decision. */
export function isUndecided(campaign: Pick<CampaignRow, 'status'>): boolean {
  return campaign.status === 'scheduled' || campaign.status === 'open';
}

/** Undecided and before its deadline: pledges still count toward it (its room under the cap and its countdown mean something). */
export function isBeforeDeadline(campaign: Pick<CampaignRow, 'status' | 'closesAt'>, now: Date): boolean {
  return isUndecided(campaign) && now < campaign.closesAt;
}

/** Published once: public from then on, whatever its status (a draft discarded unpublished never is). */
export function isPublished(campaign: Pick<CampaignRow, 'publishedAt'>): boolean {
  return campaign.publishedAt !== null;
}

export type PledgeWindow = { open: true } | { open: false; reason: 'not_published' | 'not_yet_open' | 'closed' | 'decided' };

/**
 * Whether a pledge may be placed or cancelled at `now`: undecided and opensAt ≤ now < closesAt. The cap's
 * conditional update (CampaignService.reserveUnits) is this rule in SQL, so that no race can break it.
 */
export function pledgeWindow(campaign: Pick<CampaignRow, 'status' | 'opensAt' | 'closesAt'>, now: Date): PledgeWindow {
  if (campaign.status === 'draft') return { open: false, reason: 'not_published' };
  if (!isUndecided(campaign)) return { open: false, reason: 'decided' };
  if (now >= campaign.closesAt) return { open: false, reason: 'closed' };
  if (now < campaign.opensAt) return { open: false, reason: 'not_yet_open' };
  return { open: true };
}

/** Why a pledge (or a quote) is refused at this window, in words: the detail of a 409 campaign_not_open. */
export function windowRefusal(campaign: Pick<CampaignRow, 'status' | 'opensAt'>, window: Exclude<PledgeWindow, { open: true }>): string {
  if (window.reason === 'not_yet_open') return `The campaign opens at ${formatBusinessTime(campaign.opensAt)}.`;
  return `The campaign is not taking pledges (it is ${window.reason === 'closed' ? 'closed' : campaign.status}).`;
}

export function isTakingPledges(campaign: Pick<CampaignRow, 'status' | 'opensAt' | 'closesAt'>, now: Date): boolean {
  return pledgeWindow(campaign, now).open;
}

/**
 * What the close job does at `now`, like a domain object that answers "nothing to do" rather than
 * throwing: nothing once decided or cancelled; wait for the deadline; wait for deposits still in flight
 * at the deadline (paid before it, confirmed after) until the last of them expires; else decide.
 */
export type CloseStep = { action: 'nothing' } | { action: 'wait'; until: Date } | { action: 'decide' };

export function closeStep(campaign: Pick<CampaignRow, 'status' | 'closesAt'>, now: Date, lastDepositInFlightExpiry: Date | undefined): CloseStep {
  if (!isUndecided(campaign)) return { action: 'nothing' };
  if (now < campaign.closesAt) return { action: 'wait', until: campaign.closesAt };
  if (lastDepositInFlightExpiry && lastDepositInFlightExpiry > now) return { action: 'wait', until: new Date(lastDepositInFlightExpiry.getTime() + 1000) };
  return { action: 'decide' };
}

export interface Decision {
  status: Extract<CampaignStatus, 'succeeded' | 'failed'>;
  finalUnitPrice: Decimal | null;
  /** Variants whose paid units missed the per-variant minimum: not made, their deposits refunded. */
  droppedVariants: string[];
  balanceDueAt: Date | null;
}

/**
 * When a campaign succeeds: variants below the per-variant minimum are dropped first; the paid units of
 * the rest must reach the first tier's minimum; the price is then that of the highest tier reached, and
 * the balance is due `balanceWindowHours` after the decision. Otherwise it fails and every deposit goes back.
 */
export function decide(
  campaign: Pick<CampaignRow, 'tiers' | 'variantMinUnits' | 'balanceWindowHours'>,
  paidUnitsByVariant: ReadonlyMap<string, number>,
  now: Date,
): Decision {
  const min = campaign.variantMinUnits;
  const dropped = min === null ? [] : [...paidUnitsByVariant].filter(([, units]) => units > 0 && units < min).map(([key]) => key);
  const paidUnits = [...paidUnitsByVariant].filter(([key]) => !dropped.includes(key)).reduce((total, [, units]) => total + units, 0);
  const tier = paidUnits >= thresholdOf(campaign) ? tierReached(tiersOf(campaign), paidUnits) : undefined;
  if (!tier) return { status: 'failed', finalUnitPrice: null, droppedVariants: dropped, balanceDueAt: null };
  return {
    status: 'succeeded',
    finalUnitPrice: tier.unitPrice,
    droppedVariants: dropped,
    balanceDueAt: new Date(now.getTime() + campaign.balanceWindowHours * 3600_000),
  };
}

/**
 * A variant is one value per option dimension. Its key is canonical (variant-key.ts: "colour=navy;size=L",
 * dimensions in the campaign's order, values escaped), so the same choice always has the same key.
 */
export function variantKey(options: OptionDimension[], variant: Record<string, string>): { key: string } | { error: string } {
  const names = Object.keys(variant);
  for (const name of names) {
    if (!options.some((o) => o.name === name))
      return { error: `"${name}" is not an option of this product (options: ${options.map((o) => o.name).join(', ')})` };
  }
  const values: string[] = [];
  for (const option of options) {
    // Own keys only: an option named like a property every object inherits ("constructor") must not read it.
    const value = Object.hasOwn(variant, option.name) ? variant[option.name] : undefined;
    if (value === undefined) return { error: `choose a ${option.name} (one of ${option.values.join(', ')})` };
    if (!option.values.includes(value)) return { error: `"${value}" is not a ${option.name} of this product (one of ${option.values.join(', ')})` };
    values.push(value);
  }
  return {
    key: keyOfValues(
      options.map((o) => o.name),
      values,
    ),
  };
}

/**
 * A variant as a person reads it, in both languages: each value's display label, in the options' order
 * ("黑色 / M", "Black / M"); a value without a label, or of an option the campaign no longer names, as itself.
 */
export function variantText(options: readonly OptionDimension[], key: string): { zh: string; en: string } {
  const variant = variantFromKey(key);
  const labelled = (language: 'zh' | 'en') =>
    Object.entries(variant)
      .map(([name, value]) => {
        const option = options.find((o) => o.name === name);
        return option?.valueLabels && Object.hasOwn(option.valueLabels, value) ? (option.valueLabels[value][language] ?? value) : value;
      })
      .join(' / ');
  return { zh: labelled('zh'), en: labelled('en') };
}

/** Where a variant key is stored (pledges, tallies, forecast lines): no key of a campaign may be longer. */
export const MAX_VARIANT_KEY_LENGTH = 255;

/** The length of the longest key the options can make. */
export function longestVariantKey(options: OptionDimension[]): number {
  return options.reduce((length, o) => length + o.name.length + 1 + Math.max(...o.values.map((v) => escapeValue(v).length)), options.length - 1);
}
