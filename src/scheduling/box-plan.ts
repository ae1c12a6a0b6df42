import type { Decimal } from '../platform/money';
import type { Fruit } from './fruit';

// What the planner is asked for one box and what it answers, and the two household rules both sides read.

export interface BoxRequest {
  /** YYYY-MM-DD, day 1 of the period. */
  deliveryDate: string;
  /** YYYY-MM-DD; a fruit is in season if one of its origins supplies it in the ship date's month. */
  shipDate: string;
  /** 7 (weekly) or 14 (fortnightly). */
  periodDays: number;
  householdSize: number;
  portionsPerPersonPerDay: number;
  /** Fruit ids never to pack. */
  exclusions: readonly string[];
  /** The fruit budget of the box: the planner spends as much of it as the household can eat, never more. */
  budget: Decimal;
  /** Fruit ids of the last few boxes, most recent first: the planner prefers others. */
  recentBoxes: readonly (readonly string[])[];
  catalogue: readonly Fruit[];
  /** Optional: at most this many units of a fruit (an orchard committed less than the boxes need). */
  unitLimits?: ReadonlyMap<string, number>;
}

export interface PlannedItem {
  fruitId: string;
  units: number;
  portions: number;
  /**
   * Portions no day can eat before they go off, even with the extra margin. Always 0, except where covering
   * a day needed a unit bigger than the household can finish (then the coverage table shows what is eaten).
   */
  uneatenPortions: number;
  /** The guaranteed edible window (it may run past the period). */
  edibleFrom: string;
  edibleUntil: string;
  cost: Decimal;
  /** Ethylene-sensitive and packed with a producer: its window is ETHYLENE_HASTENS_DAYS earlier. */
  ripensFaster: boolean;
}

export interface CoverageDay {
  date: string;
  neededPortions: number;
  /** The portions that cover the day's need: never more than neededPortions. */
  plannedPortions: number;
  /** The planned portions by fruit, in the order they are to be eaten (soonest over first). */
  fruits: { fruitId: string; portions: number }[];
  /** Portions on top of the need: at most extraPortionsPerDay(householdSize), and only on a covered day. */
  extraPortions: number;
  extras: { fruitId: string; portions: number }[];
}

/**
 * nothing_ready: no fruit that may go in this box is edible that day;
 * budget: fruit was edible, but no more fits the budget; supply: an orchard's unit limit stopped it.
 */
export type UncoveredReason = 'nothing_ready' | 'budget' | 'supply';

export interface UncoveredDay {
  date: string;
  missingPortions: number;
  reason: UncoveredReason;
}

export interface PlannedBox {
  items: PlannedItem[];
  cost: Decimal;
  /** One row per day of the period, in order: what is eaten that day, planned for the need and extra. */
  coverage: CoverageDay[];
  /** Every day whose planned portions are below what is needed, with why (never a silent gap). */
  uncoveredDays: UncoveredDay[];
}

/**
 * The extra margin: a day may hold this many portions on top of its need, about one more portion per person
 * every other day. Fruit comes in whole units (a watermelon is 12 portions, a kilo of lychees 8): without a
 * margin a box could rarely hold a better fruit without some of it going off.
 */
export function extraPortionsPerDay(householdSize: number): number {
  return Math.ceil(householdSize / 2);
}

/** The distinct fruit a box aims for: 3, one more for a household of 3 or more, one more for a fortnight. */
export function varietyTarget(periodDays: number, householdSize: number): number {
  return 3 + (householdSize >= 3 ? 1 : 0) + (periodDays > 7 ? 1 : 0);
}
