import { type Decimal, sum } from '../platform/money';
import { dayAfter, monthOf, parseDay } from './dates';
import { type EdibleWindow, type Fruit, assertPlannable, guaranteedWindow, isHastenedBy, isInSeason } from './fruit';

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
  /** The most the box's fruit may cost. */
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
  plannedPortions: number;
  /** The portions planned for this day, by fruit, in the order they are to be eaten (soonest over first). */
  fruits: { fruitId: string; portions: number }[];
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
  /** One row per day of the period, in order: what is ready to eat that day and how many portions are planned. */
  coverage: CoverageDay[];
  /** Every day whose planned portions are below what is needed, with why (never a silent gap). */
  uncoveredDays: UncoveredDay[];
}

/**
 * Ranking weights. They only order the candidates for a day (cost per useful portion × (1 + penalties));
 * they are not money, which stays decimal.
 * RECENT_PENALTY: a fruit in the most recent box; one in the box before weighs half, and so on.
 * REPEAT_PENALTY: × the share of the period's portions this fruit would supply with the unit (more than one kind per box).
 */
const RECENT_PENALTY = 0.5;
const REPEAT_PENALTY = 1;

/** A fruit that may go in this box. */
interface Candidate {
  fruit: Fruit;
  /** The days it counts in a box that keeps it apart from fruit it reacts with. */
  apartWindow: EdibleWindow;
  /**
   * The days it counts in a box that may mix ethylene producers and sensitive fruit: the days it is
   * edible with or without the faster ripening, so the plan holds whichever the box ends up holding.
   */
  mixedWindow: EdibleWindow;
  /** Candidates it may not share a box with unless mixing covers more portions (indices). */
  reactsWith: number[];
  unitLimit: number;
  /** Ranking only, not money. */
  costRank: number;
  recentPenalty: number;
}

/** The period and the needs a box is planned against. */
interface Period {
  days: number;
  dailyNeed: number;
  budget: Decimal;
}

/** The portions eaten on one day, by candidate, in the order they are eaten. */
type DayEaten = { candidate: number; portions: number }[];

/** A box being filled: units per candidate, what each day eats, and the days left short. */
interface Filling {
  mixed: boolean;
  units: number[];
  eaten: DayEaten[];
  shortfalls: { day: number; missingPortions: number; reason: UncoveredReason }[];
  missingPortions: number;
}

/**
 * Plans one box as a ripeness ladder: for each day of the period, the fruit that is edible that day,
 * cheapest per useful portion first (with variety penalties), within budget, in season and not excluded.
 * Pure and deterministic: candidates are ordered by fruit id and every tie goes to the earlier one.
 */
export function planBox(request: BoxRequest): PlannedBox {
  const deliveryMs = parseDay(request.deliveryDate);
  const period = periodOf(request);
  const candidates = candidatesFor(request, period.days);

  // Keep ethylene producers and sensitive fruit apart; mix them only when that covers more portions.
  let filling = fillBox(candidates, period, false);
  if (filling.missingPortions > 0 && candidates.some((c) => c.reactsWith.length > 0)) {
    const mixed = fillBox(candidates, period, true);
    if (mixed.missingPortions < filling.missingPortions) filling = mixed;
  }
  return boxOf(filling, candidates, period, deliveryMs);
}

function periodOf(request: BoxRequest): Period {
  for (const [name, value] of [
    ['periodDays', request.periodDays],
    ['householdSize', request.householdSize],
    ['portionsPerPersonPerDay', request.portionsPerPersonPerDay],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number >= 1, not ${value}`);
  }
  if (!request.budget.isFinite() || request.budget.isNegative()) throw new RangeError(`budget must be >= 0, not ${request.budget.toString()}`);
  return { days: request.periodDays, dailyNeed: request.householdSize * request.portionsPerPersonPerDay, budget: request.budget };
}

/** The fruit in season on the ship date, not excluded, and edible on at least one day of the period; ordered by id. */
function candidatesFor(request: BoxRequest, periodDays: number): Candidate[] {
  const month = monthOf(request.shipDate);
  request.catalogue.forEach(assertPlannable);
  const fruits = request.catalogue
    .filter((fruit) => isInSeason(fruit, month) && !request.exclusions.includes(fruit.id))
    .filter((fruit) => {
      const window = guaranteedWindow(fruit, false);
      return window.from <= window.until && window.from < periodDays;
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  return fruits.map((fruit) => {
    const apartWindow = guaranteedWindow(fruit, false);
    const reactsWith: number[] = [];
    let canBeHastened = false;
    fruits.forEach((other, index) => {
      const hastened = isHastenedBy(fruit, other);
      canBeHastened ||= hastened;
      if (hastened || isHastenedBy(other, fruit)) reactsWith.push(index);
    });
    return {
      fruit,
      apartWindow,
      mixedWindow: canBeHastened ? { from: apartWindow.from, until: guaranteedWindow(fruit, true).until } : apartWindow,
      reactsWith,
      unitLimit: request.unitLimits?.get(fruit.id) ?? Number.POSITIVE_INFINITY,
      costRank: fruit.unitCost.toNumber(),
      recentPenalty: request.recentBoxes.reduce((penalty, box, age) => (box.includes(fruit.id) ? penalty + RECENT_PENALTY / (age + 1) : penalty), 0),
    };
  });
}

/**
 * Walks the period day by day. Each day first eats what the box already holds, the fruit whose
 * window closes soonest first (earliest deadline first: no portion is eaten today that a later day
 * needed more); while the day is short it adds one unit of the best candidate edible that day.
 * `mixed`: producers and sensitive fruit may share the box, counted on their mixed windows.
 */
function fillBox(candidates: Candidate[], period: Period, mixed: boolean): Filling {
  const windows = candidates.map((c) => (mixed ? c.mixedWindow : c.apartWindow));
  const units = candidates.map(() => 0);
  const unEaten = candidates.map(() => 0);
  const periodNeed = period.dailyNeed * period.days;
  let budgetLeft = period.budget;
  const filling: Filling = { mixed, units, eaten: [], shortfalls: [], missingPortions: 0 };

  const edible = (index: number, day: number) => windows[index].from <= day && day <= windows[index].until;

  /** Eats from the box's unallocated portions, soonest window end first; returns the portions still short. */
  const eat = (day: number, short: number, eaten: DayEaten): number => {
    while (short > 0) {
      let next = -1;
      for (let i = 0; i < candidates.length; i++) {
        if (unEaten[i] > 0 && edible(i, day) && (next < 0 || windows[i].until < windows[next].until)) next = i;
      }
      if (next < 0) break;
      const portions = Math.min(short, unEaten[next]);
      unEaten[next] -= portions;
      short -= portions;
      const row = eaten.find((e) => e.candidate === next);
      if (row) row.portions += portions;
      else eaten.push({ candidate: next, portions });
    }
    return short;
  };

  /** The best unit to add for a short day, or why there is none. */
  const choose = (day: number, short: number): number | UncoveredReason => {
    let best = -1;
    let bestScore = Number.POSITIVE_INFINITY;
    let anyEdible = false;
    let stoppedBySupply = false;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      if (!edible(i, day) || (!mixed && c.reactsWith.some((other) => units[other] > 0))) continue;
      anyEdible = true;
      if (units[i] >= c.unitLimit) {
        stoppedBySupply ||= c.fruit.unitCost.lte(budgetLeft);
        continue;
      }
      // Portions of one unit that can still be eaten: today's shortfall and the later days of its window.
      const useful = Math.min(c.fruit.portionsPerUnit, short + period.dailyNeed * (Math.min(windows[i].until, period.days - 1) - day));
      const repeatPenalty = (REPEAT_PENALTY * (units[i] + 1) * c.fruit.portionsPerUnit) / periodNeed;
      const score = (c.costRank / useful) * (1 + c.recentPenalty + repeatPenalty);
      if (score < bestScore && c.fruit.unitCost.lte(budgetLeft)) {
        best = i;
        bestScore = score;
      }
    }
    if (best >= 0) return best;
    return !anyEdible ? 'nothing_ready' : stoppedBySupply ? 'supply' : 'budget';
  };

  for (let day = 0; day < period.days; day++) {
    const eaten: DayEaten = [];
    let short = eat(day, period.dailyNeed, eaten);
    while (short > 0) {
      const choice = choose(day, short);
      if (typeof choice === 'string') {
        filling.shortfalls.push({ day, missingPortions: short, reason: choice });
        filling.missingPortions += short;
        break;
      }
      units[choice] += 1;
      unEaten[choice] += candidates[choice].fruit.portionsPerUnit;
      budgetLeft = budgetLeft.minus(candidates[choice].fruit.unitCost);
      short = eat(day, short, eaten);
    }
    filling.eaten.push(eaten);
  }
  return filling;
}

/** The planned box as the callers see it: items by the day they become edible, dates, decimal costs. */
function boxOf(filling: Filling, candidates: Candidate[], period: Period, deliveryMs: number): PlannedBox {
  const packed = candidates.flatMap((c, index) => (filling.units[index] > 0 ? [{ c, units: filling.units[index] }] : []));
  const items = packed
    .map(({ c, units }) => {
      const ripensFaster = filling.mixed && packed.some((other) => isHastenedBy(c.fruit, other.c.fruit));
      return { fruit: c.fruit, units, ripensFaster, window: guaranteedWindow(c.fruit, ripensFaster) };
    })
    .sort((a, b) => a.window.from - b.window.from) // a stable sort: ties stay in fruit id order
    .map(({ fruit, units, ripensFaster, window }) => ({
      fruitId: fruit.id,
      units,
      portions: units * fruit.portionsPerUnit,
      edibleFrom: dayAfter(deliveryMs, window.from),
      edibleUntil: dayAfter(deliveryMs, window.until),
      cost: fruit.unitCost.times(units),
      ripensFaster,
    }));
  const dates = Array.from({ length: period.days }, (_, day) => dayAfter(deliveryMs, day));
  return {
    items,
    cost: sum(items.map((item) => item.cost)),
    coverage: filling.eaten.map((eaten, day) => ({
      date: dates[day],
      neededPortions: period.dailyNeed,
      plannedPortions: eaten.reduce((total, e) => total + e.portions, 0),
      fruits: eaten.map((e) => ({ fruitId: candidates[e.candidate].fruit.id, portions: e.portions })),
    })),
    uncoveredDays: filling.shortfalls.map(({ day, missingPortions, reason }) => ({ date: dates[day], missingPortions, reason })),
  };
}
