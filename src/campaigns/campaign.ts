import { type Decimal, ZERO, fromFen, roundToFen } from '../platform/money';
import type { CampaignRow, OptionDimension, StoredTier } from './campaign.entity';

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

/**
 * A variant is one value per option dimension. Its key is canonical ("colour=navy;size=L", dimensions in
 * the campaign's order), so the same choice always has the same key.
 */
export function variantKey(options: OptionDimension[], variant: Record<string, string>): { key: string } | { error: string } {
  const names = Object.keys(variant);
  for (const name of names) {
    if (!options.some((o) => o.name === name)) return { error: `"${name}" is not an option of this product (options: ${options.map((o) => o.name).join(', ')})` };
  }
  const parts: string[] = [];
  for (const option of options) {
    const value = variant[option.name];
    if (value === undefined) return { error: `choose a ${option.name} (one of ${option.values.join(', ')})` };
    if (!option.values.includes(value)) return { error: `"${value}" is not a ${option.name} of this product (one of ${option.values.join(', ')})` };
    parts.push(`${option.name}=${value}`);
  }
  return { key: parts.join(';') };
}

export function variantFromKey(key: string): Record<string, string> {
  return Object.fromEntries(key.split(';').map((part) => part.split('=') as [string, string]));
}
