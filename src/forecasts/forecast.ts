import { type CampaignRow, isUndecided } from '../campaigns';
import { type DayTally, type VariantTally, unitCounts } from '../pledges';
import { businessDay, isoWeekOf, startOfBusinessDay } from '../platform/calendar';
import { type Exact, Fraction } from '../platform/exact';

/**
 * The forecast rules, pure (no IO): from a campaign and its running pledge totals to firm and expected
 * units per variant. The assumptions are named constants here and explained in docs/domain.md.
 * Every figure is computed exactly, as a fraction of whole numbers (fraction.js: in floating point
 * 10 × (0.7 − 0.2) = 4.999…, one unit short once rounded down), and rounded to whole units only at the end.
 */

/** Share of pledges still awaiting their deposit that will pay it (the rest expire): 0.8, at the low end 0.5. */
export const DEPOSIT_CONVERSION = { expected: new Fraction(8, 10), low: new Fraction(5, 10) };
/** Share of awaiting-balance units that pay the balance, where the factory has no completed campaign yet: 0.9. */
export const DEFAULT_BALANCE_CONVERSION = new Fraction(9, 10);
/** The low end of the balance conversion is this much below the expected rate: 0.2. */
export const BALANCE_CONVERSION_LOW_MARGIN = new Fraction(2, 10);
/** Pledge velocity is measured over the last days of the window (today included). */
export const VELOCITY_DAYS = 3;
/** The low–high range around a projection of the rest of the window: 0.5 and 1.5 times it. */
export const PROJECTION_RANGE = { low: new Fraction(5, 10), high: new Fraction(15, 10) };

export type ForecastCampaign = Pick<
  CampaignRow,
  'id' | 'title' | 'productName' | 'status' | 'opensAt' | 'closesAt' | 'maxUnits' | 'expectedShipDate' | 'droppedVariants'
>;

/** The counts mean what the glossary in docs/domain.md says (unitCounts), as in the campaign's progress. */
export interface VariantForecast {
  variant: string;
  paidUnits: number;
  awaitingDepositUnits: number;
  awaitingBalanceUnits: number;
  paidBalanceUnits: number;
  /** Deposit-backed units a factory can plan on: paid units, or after success the units still owed. */
  firmUnits: number;
  expectedUnits: number;
  lowUnits: number;
  highUnits: number;
}

export interface CampaignForecast {
  campaignId: string;
  title: string;
  productName: string;
  status: CampaignRow['status'];
  closesAt: Date;
  expectedShipDate: string;
  shipWeek: string;
  variants: VariantForecast[];
  totals: Pick<
    VariantForecast,
    'paidUnits' | 'awaitingDepositUnits' | 'awaitingBalanceUnits' | 'paidBalanceUnits' | 'firmUnits' | 'expectedUnits' | 'lowUnits' | 'highUnits'
  >;
  daily: DayTally[];
}

export interface Conversion {
  rate: Exact;
  source: 'history' | 'default';
}

/** The balance conversion of a factory: balance-paid units over paid-plus-forfeited, across its completed campaigns. */
export function balanceConversion(completed: readonly VariantTally[]): Conversion {
  const paid = completed.reduce((total, t) => total + t.paid, 0);
  const forfeited = completed.reduce((total, t) => total + t.forfeited, 0);
  return paid + forfeited > 0 ? { rate: new Fraction(paid, paid + forfeited), source: 'history' } : { rate: DEFAULT_BALANCE_CONVERSION, source: 'default' };
}

type Projection = { expected: Exact; low: Exact; high: Exact };
const NO_PROJECTION: Projection = { expected: new Fraction(0), low: new Fraction(0), high: new Fraction(0) };

/**
 * Units the rest of the pledge window is expected to bring, at the expected, low and high ends:
 * deposits paid per hour over the last VELOCITY_DAYS business days (or since opening), times the
 * hours left, never beyond the room left under the cap.
 */
export function projectRestOfWindow(campaign: ForecastCampaign, daily: readonly DayTally[], reservedUnits: number, now: Date): Projection {
  if (now >= campaign.closesAt) return NO_PROJECTION;
  const windowStart = startOfBusinessDay(businessDay(new Date(now.getTime() - (VELOCITY_DAYS - 1) * 86_400_000)));
  const from = Math.max(windowStart.getTime(), campaign.opensAt.getTime());
  const elapsedMs = now.getTime() - from;
  if (elapsedMs <= 0) return NO_PROJECTION;
  // Business days as YYYY-MM-DD compare as text.
  const firstDay = businessDay(windowStart);
  const recent = daily.filter((d) => d.day >= firstDay).reduce((total, d) => total + d.depositPaidUnits, 0);
  // Units per millisecond so far × milliseconds left: whole numbers all, so the projection is exact.
  const projection = new Fraction(recent).mul(new Fraction(campaign.closesAt.getTime() - now.getTime(), elapsedMs));
  const room = campaign.maxUnits === null ? undefined : new Fraction(Math.max(0, campaign.maxUnits - reservedUnits));
  const capped = (units: Exact) => (room && units.compare(room) > 0 ? room : units);
  return {
    expected: capped(projection),
    low: capped(projection.mul(PROJECTION_RANGE.low)),
    high: capped(projection.mul(PROJECTION_RANGE.high)),
  };
}

/** The forecast of one campaign, per variant. */
export function forecastCampaign(
  campaign: ForecastCampaign,
  tallies: readonly VariantTally[],
  daily: readonly DayTally[],
  conversion: Conversion,
  now: Date,
): CampaignForecast {
  const reservedUnits = tallies.reduce((total, t) => total + unitCounts(t).reservedUnits, 0);
  const rest = isUndecided(campaign) ? projectRestOfWindow(campaign, daily, reservedUnits, now) : NO_PROJECTION;
  // The projection is shared between variants as the deposits so far are (evenly if there are none yet).
  const paidOf = (t: VariantTally) => unitCounts(t).paidUnits;
  const totalPaid = tallies.reduce((total, t) => total + paidOf(t), 0);
  const shareOf = (t: VariantTally) => (totalPaid > 0 ? new Fraction(paidOf(t), totalPaid) : new Fraction(1, tallies.length));

  const variants = tallies.map((t): VariantForecast => {
    const { paidUnits, awaitingDepositUnits, awaitingBalanceUnits, paidBalanceUnits } = unitCounts(t);
    const base = { variant: t.variantKey, paidUnits, awaitingDepositUnits, awaitingBalanceUnits, paidBalanceUnits };
    const units = (firm: number, expected: Exact, low: Exact, high: Exact) => ({
      ...base,
      firmUnits: firm,
      expectedUnits: expected.round().valueOf(),
      lowUnits: low.floor().valueOf(),
      highUnits: high.ceil().valueOf(),
    });
    const whole = (n: number) => units(n, new Fraction(n), new Fraction(n), new Fraction(n));
    switch (campaign.status) {
      case 'scheduled':
      case 'open': {
        const share = shareOf(t);
        const paid = new Fraction(paidOf(t));
        const awaiting = new Fraction(t.awaiting_deposit);
        return units(
          paidOf(t),
          paid.add(awaiting.mul(DEPOSIT_CONVERSION.expected)).add(rest.expected.mul(share)),
          paid.add(awaiting.mul(DEPOSIT_CONVERSION.low)).add(rest.low.mul(share)),
          paid.add(awaiting).add(rest.high.mul(share)),
        );
      }
      case 'succeeded': {
        if (campaign.droppedVariants?.includes(t.variantKey)) return whole(0);
        // Until the settle job has run, the decided units are still "active": they owe their balance too.
        const owed = t.active + t.awaiting_balance;
        const paid = new Fraction(t.paid);
        const lowRate = conversion.rate.sub(BALANCE_CONVERSION_LOW_MARGIN);
        const low = lowRate.compare(0) < 0 ? new Fraction(0) : lowRate;
        return units(owed + t.paid, paid.add(new Fraction(owed).mul(conversion.rate)), paid.add(new Fraction(owed).mul(low)), new Fraction(owed + t.paid));
      }
      case 'completed':
        return whole(t.paid);
      default:
        return whole(0);
    }
  });
  const sumOf = (key: keyof CampaignForecast['totals']) => variants.reduce((total, v) => total + v[key], 0);
  return {
    campaignId: campaign.id,
    title: campaign.title,
    productName: campaign.productName,
    status: campaign.status,
    closesAt: campaign.closesAt,
    expectedShipDate: campaign.expectedShipDate,
    shipWeek: isoWeekOf(campaign.expectedShipDate),
    variants,
    daily: [...daily],
    totals: {
      paidUnits: sumOf('paidUnits'),
      awaitingDepositUnits: sumOf('awaitingDepositUnits'),
      awaitingBalanceUnits: sumOf('awaitingBalanceUnits'),
      paidBalanceUnits: sumOf('paidBalanceUnits'),
      firmUnits: sumOf('firmUnits'),
      expectedUnits: sumOf('expectedUnits'),
      lowUnits: sumOf('lowUnits'),
      highUnits: sumOf('highUnits'),
    },
  };
}

/** A week's units in one unit of measure: `piece` (every campaign's units; fruit counted by the piece) or `kg`. */
type WeekUnits = { week: string; unit: 'piece' | 'kg'; firmUnits: number; expectedUnits: number; lowUnits: number; highUnits: number };

/** Firm and expected units per ISO week of (expected) ship date, campaigns and other supply together. */
export function weeklyTotals(campaigns: readonly CampaignForecast[], supplies: readonly WeekUnits[] = []): WeekUnits[] {
  // Kilograms and pieces are never added together: one total per week and unit.
  const weeks = new Map<string, WeekUnits>();
  for (const units of [...campaigns.map((c) => ({ ...c.totals, week: c.shipWeek, unit: 'piece' as const })), ...supplies]) {
    const key = `${units.week}|${units.unit}`;
    const w = weeks.get(key) ?? { week: units.week, unit: units.unit, firmUnits: 0, expectedUnits: 0, lowUnits: 0, highUnits: 0 };
    w.firmUnits += units.firmUnits;
    w.expectedUnits += units.expectedUnits;
    w.lowUnits += units.lowUnits;
    w.highUnits += units.highUnits;
    weeks.set(key, w);
  }
  return [...weeks.values()].sort((a, b) => a.week.localeCompare(b.week) || a.unit.localeCompare(b.unit));
}

/** Campaigns a factory still produces for: not failed or cancelled, and not shipped long ago. */
export function isLive(campaign: Pick<CampaignRow, 'status' | 'expectedShipDate'>, now: Date): boolean {
  if (['scheduled', 'open', 'succeeded'].includes(campaign.status)) return true;
  return campaign.status === 'completed' && campaign.expectedShipDate >= businessDay(now);
}
