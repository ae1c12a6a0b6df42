import type { Decimal } from '../platform/money';
import { type BoxRequest, extraPortionsPerDay, varietyTarget } from './box-plan';
import { monthOf } from './dates';
import { type EdibleWindow, type Fruit, assertPlannable, guaranteedWindow, isHastenedBy, isInSeason } from './fruit';

// What may go in a box and what each fruit is worth to it: the period planned against, the candidates
// (season, exclusions, ethylene, supply limits, cost in fen) and the ranking weights.

/**
 * Ranking weights. They only order the candidates; they are not money.
 * RECENT_PENALTY: a fruit in the most recent box; one in the box before weighs half, and so on.
 * REPEAT_PENALTY: × the share of the period's needed portions the fruit would supply with one more unit.
 * SEASONAL_PREMIUM: a portion is worth what it costs × (1 + SEASONAL_PREMIUM × the months a year it is out of
 * season ÷ 12): lychee (in season 3 months) 1.75 × its cost, apples and bananas (all year) 1 ×.
 * MAX_SHARE: the planner's own choices make no fruit more than this share of the period's need while
 * another fruit fits (one unit always may be more): a box is not two fruits doing all the work.
 */
export const RECENT_PENALTY = 0.5;
export const REPEAT_PENALTY = 1;
export const SEASONAL_PREMIUM = 1;
export const MAX_SHARE = 0.5;

/** A fruit that may go in this box. */
export interface Candidate {
  fruit: Fruit;
  portionsPerUnit: number;
  /** Candidates it may not share a box with unless mixing covers more portions (indices). */
  reactsWith: number[];
  /** The days it counts in a box that keeps it apart from fruit it reacts with. */
  apartWindow: EdibleWindow;
  /**
   * The days it counts in a box that may mix ethylene producers and sensitive fruit: the days it is
   * edible with or without the faster ripening, so the plan holds whichever the box ends up holding.
   */
  mixedWindow: EdibleWindow;
  unitLimit: number;
  /**
   * The unit cost in whole fen, for the budget arithmetic of the walks: an integer, so exact. A box checks
   * its budget hundreds of times; decimal.js there would cost more than the rest of the plan.
   */
  unitFen: number;
  /** Ranking only: what one portion costs, and what it is worth to the subscriber (SEASONAL_PREMIUM). */
  portionFen: number;
  portionValue: number;
  recentPenalty: number;
}

/** The period and what a box is planned against. */
export interface Period {
  days: number;
  dailyNeed: number;
  /** The need plus the extra margin: the most portions a day may hold. */
  dayLimit: number;
  /** The portions the whole period needs. */
  periodNeed: number;
  varietyTarget: number;
  /** The period's need ÷ the variety target: how many portions of one fruit a varied box holds. */
  fairShare: number;
  /** Whole fen (a fraction of a fen is rounded down). */
  budgetFen: number;
}

export function periodOf(request: BoxRequest): Period {
  for (const [name, value] of [
    ['periodDays', request.periodDays],
    ['householdSize', request.householdSize],
    ['portionsPerPersonPerDay', request.portionsPerPersonPerDay],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number >= 1, not ${value}`);
  }
  const budgetFen = request.budget.isFinite() ? request.budget.times(100).floor().toNumber() : Number.NaN;
  if (!Number.isSafeInteger(budgetFen) || budgetFen < 0) throw new RangeError(`budget must be >= 0, not ${request.budget.toString()}`);
  const dailyNeed = request.householdSize * request.portionsPerPersonPerDay;
  const target = varietyTarget(request.periodDays, request.householdSize);
  return {
    days: request.periodDays,
    dailyNeed,
    dayLimit: dailyNeed + extraPortionsPerDay(request.householdSize),
    periodNeed: dailyNeed * request.periodDays,
    varietyTarget: target,
    fairShare: (dailyNeed * request.periodDays) / target,
    budgetFen,
  };
}

/** The fruit in season on the ship date, not excluded, and edible on at least one day of the period; ordered by id. */
export function candidatesFor(request: BoxRequest, periodDays: number): Candidate[] {
  const month = monthOf(request.shipDate);
  for (const fruit of request.catalogue) {
    assertPlannable(fruit);
    fenOf(fruit); // refuses a cost that is not a whole number of fen
  }
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
    if (fruit.ethylene.producer || fruit.ethylene.sensitive) {
      fruits.forEach((other, index) => {
        const hastened = isHastenedBy(fruit, other);
        canBeHastened ||= hastened;
        if (hastened || isHastenedBy(other, fruit)) reactsWith.push(index);
      });
    }
    const unitFen = fenOf(fruit);
    const portionFen = unitFen / fruit.portionsPerUnit;
    return {
      fruit,
      portionsPerUnit: fruit.portionsPerUnit,
      reactsWith,
      apartWindow,
      mixedWindow: canBeHastened ? { from: apartWindow.from, until: guaranteedWindow(fruit, true).until } : apartWindow,
      unitLimit: request.unitLimits?.get(fruit.id) ?? Number.POSITIVE_INFINITY,
      unitFen,
      portionFen,
      portionValue: portionFen * (1 + (SEASONAL_PREMIUM * (12 - monthsInSeason(fruit))) / 12),
      recentPenalty: request.recentBoxes.reduce((penalty, box, age) => (box.includes(fruit.id) ? penalty + RECENT_PENALTY / (age + 1) : penalty), 0),
    };
  });
}

/**
 * A fruit's unit cost in whole fen. Remembered per decimal (a decimal never changes): converting costs more
 * than planning the rest of a box, and the same catalogue serves thousands of boxes.
 */
const fenOfCost = new WeakMap<Decimal, number>();
function fenOf(fruit: Fruit): number {
  let fen = fenOfCost.get(fruit.unitCost);
  if (fen === undefined) {
    fen = fruit.unitCost.times(100).toNumber();
    if (!Number.isSafeInteger(fen)) throw new RangeError(`fruit ${JSON.stringify(fruit.id)} must cost a whole number of fen`);
    fenOfCost.set(fruit.unitCost, fen);
  }
  return fen;
}

/** The months of the year in which some origin supplies the fruit. */
function monthsInSeason(fruit: Fruit): number {
  let months = 0;
  for (const season of fruit.seasons) for (const month of season.months) months |= 1 << month;
  let count = 0;
  for (; months > 0; months &= months - 1) count += 1;
  return count;
}
