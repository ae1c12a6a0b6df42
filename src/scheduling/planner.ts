import { type Decimal, fromFen } from '../platform/money';
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

/**
 * Ranking weights. They only order the candidates; they are not money.
 * RECENT_PENALTY: a fruit in the most recent box; one in the box before weighs half, and so on.
 * REPEAT_PENALTY: × the share of the period's needed portions the fruit would supply with one more unit.
 * SEASONAL_PREMIUM: a portion is worth what it costs × (1 + SEASONAL_PREMIUM × the months a year it is out of
 * season ÷ 12): lychee (in season 3 months) 1.75 × its cost, apples and bananas (all year) 1 ×.
 * MAX_SHARE: the planner's own choices make no fruit more than this share of the period's need while
 * another fruit fits (one unit always may be more): a box is not two fruits doing all the work.
 */
const RECENT_PENALTY = 0.5;
const REPEAT_PENALTY = 1;
const SEASONAL_PREMIUM = 1;
const MAX_SHARE = 0.5;

/** A fruit that may go in this box. */
interface Candidate {
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
interface Period {
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

/** The candidates of one box as its walks read them, in one ethylene mode. */
interface Ladder {
  candidates: Candidate[];
  period: Period;
  /** Producers and sensitive fruit may share the box, each counted on its mixed window. */
  mixed: boolean;
  /** Per candidate: the first and last day of the period it counts on, and the day it is over (may be after the period). */
  first: Int32Array;
  last: Int32Array;
  until: Int32Array;
}

/** A box being planned: units per candidate, who eats what on which day, what it costs and the days left short. */
interface Box {
  units: Int32Array;
  /** Portions of candidate i eaten on day d, at [i × days + d], for the need and as extras together. */
  eaten: Int32Array;
  /** Portions eaten per day, need and extras. */
  dayPortions: Int32Array;
  /** Portions per candidate that no day can eat in time (only where covering a day needed the unit). */
  uneaten: Int32Array;
  uneatenPortions: number;
  shortfalls: { day: number; missingPortions: number; reason: UncoveredReason }[];
  missingPortions: number;
  costFen: number;
  /** Distinct fruit packed. */
  kinds: number;
  /** Per candidate: packed fruit it reacts with (by ethylene); in a box that keeps them apart, it may not join while any. */
  reactingPacked: Int32Array;
}

/**
 * Plans one box:
 * 1. Cover at the highest price level: walk the period day by day and cover each day with the most valuable
 *    fruit whose portion costs at most the level (the dearest level first, then lower ones), keeping the
 *    box that covers as many portions as the cheapest box would, with nothing more going off.
 * 2. Spend the rest of the budget on extra portions, most valuable first, as far as the household can eat them.
 * Pure and deterministic: candidates are ordered by fruit id and every tie goes to the earlier one.
 */
export function planBox(request: BoxRequest): PlannedBox {
  const deliveryMs = parseDay(request.deliveryDate);
  const period = periodOf(request);
  const candidates = candidatesFor(request, period.days);

  // Keep ethylene producers and sensitive fruit apart; mix them only when that covers more portions.
  let ladder = ladderOf(candidates, period, false);
  let box = atHighestLevel(ladder);
  if (box.missingPortions > 0 && candidates.some((c) => c.reactsWith.length > 0)) {
    const mixedLadder = ladderOf(candidates, period, true);
    const mixed = atHighestLevel(mixedLadder);
    if (mixed.missingPortions < box.missingPortions) [ladder, box] = [mixedLadder, mixed];
  }
  return boxOf(ladder, withExtras(ladder, box), deliveryMs);
}

function periodOf(request: BoxRequest): Period {
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
function candidatesFor(request: BoxRequest, periodDays: number): Candidate[] {
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

function ladderOf(candidates: Candidate[], period: Period, mixed: boolean): Ladder {
  const ladder: Ladder = { candidates, period, mixed, first: new Int32Array(candidates.length), last: new Int32Array(candidates.length), until: new Int32Array(candidates.length) };
  candidates.forEach((c, index) => {
    const window = mixed ? c.mixedWindow : c.apartWindow;
    ladder.first[index] = window.from;
    ladder.last[index] = Math.min(window.until, period.days - 1);
    ladder.until[index] = window.until;
  });
  return ladder;
}

/** In a box that keeps them apart, a fruit may not join a fruit it reacts with. */
const shutOut = (ladder: Ladder, box: Box, index: number) => !ladder.mixed && box.reactingPacked[index] > 0;

/** Packs one more unit of candidate `index` (its portions are placed by the caller). */
function addUnit(ladder: Ladder, box: Box, index: number): void {
  if (box.units[index] === 0) {
    box.kinds += 1;
    for (const other of ladder.candidates[index].reactsWith) box.reactingPacked[other] += 1;
  }
  box.units[index] += 1;
  box.costFen += ladder.candidates[index].unitFen;
}

/** Whether one more unit keeps a fruit within MAX_SHARE of the period's need (one unit always does). */
function withinShare(ladder: Ladder, index: number, units: Int32Array): boolean {
  return units[index] === 0 || (units[index] + 1) * ladder.candidates[index].portionsPerUnit <= MAX_SHARE * ladder.period.periodNeed;
}

/**
 * What one more unit of a candidate is worth in the box: its portion value ÷ (1 + recent penalty + the
 * portions of it the box would hold ÷ a fair share of the period's portions, the need ÷ the variety target).
 */
function upgradeValue(ladder: Ladder, index: number, units: Int32Array): number {
  const c = ladder.candidates[index];
  return c.portionValue / (1 + c.recentPenalty + ((units[index] + 1) * c.portionsPerUnit) / ladder.period.fairShare);
}

/**
 * The box at the highest price level: the candidates' portion costs are the levels; a level's box is kept if
 * it covers as many portions as the cheapest box and leaves no more uneaten. The dearest level is tried
 * first (a small household's budget usually allows it), then the lower ones by bisection; the cheapest box
 * if no level does.
 */
function atHighestLevel(ladder: Ladder): Box {
  const levels = [...new Set(ladder.candidates.map((c) => c.portionFen))].sort((a, b) => b - a);
  let cheapest: Box | undefined;
  const keeps = (box: Box) => {
    if (box.missingPortions === 0 && box.uneatenPortions === 0) return true;
    cheapest ??= walk(ladder);
    return box.missingPortions <= cheapest.missingPortions && box.uneatenPortions <= cheapest.uneatenPortions;
  };
  if (levels.length === 0) return walk(ladder);
  const dearest = walk(ladder, levels[0]);
  if (keeps(dearest)) return dearest;
  let best: Box | undefined;
  for (let [high, low] = [1, levels.length - 1]; high <= low; ) {
    const middle = (high + low) >> 1;
    const box = walk(ladder, levels[middle]);
    if (keeps(box)) {
      best = box;
      low = middle - 1;
    } else high = middle + 1;
  }
  return best ?? cheapest ?? walk(ladder);
}

/**
 * Walks the period day by day. Each day first eats what the box already holds, the fruit whose window closes
 * soonest first (earliest deadline first: no portion is eaten today that a later day needed more); while the
 * day is short it adds one unit of a candidate edible that day:
 * - at a price level, among those whose portion costs at most the level, that stay within MAX_SHARE and
 *   whose whole unit the household can eat in its window (with the extra margin): a fruit new to the box
 *   while it holds fewer kinds than the variety target, else the highest upgradeValue;
 * - otherwise (no price level, or none qualifies) the one with the lowest cost per useful portion ×
 *   (1 + recent penalty + repeat penalty), useful portions being the shortfall and the need of the later
 *   days of its window: the cheapest cover.
 * What no day needs is then eaten as extras (eatLeftovers).
 */
function walk(ladder: Ladder, priceLevel?: number): Box {
  const { candidates, period, first, last, until } = ladder;
  const { days, dailyNeed } = period;
  const count = candidates.length;
  const box = emptyBox(count, days);
  const { units, eaten, dayPortions } = box;
  const unEaten = new Int32Array(count);

  /** Eats from the box's unallocated portions, soonest window end first; returns the portions still short. */
  const eat = (day: number, short: number): number => {
    while (short > 0) {
      let next = -1;
      for (let i = 0; i < count; i++) {
        if (unEaten[i] > 0 && first[i] <= day && day <= last[i] && (next < 0 || until[i] < until[next])) next = i;
      }
      if (next < 0) break;
      const portions = Math.min(short, unEaten[next]);
      unEaten[next] -= portions;
      short -= portions;
      eaten[next * days + day] += portions;
      dayPortions[day] += portions;
    }
    return short;
  };

  /** Portions the household can still eat from today to `lastDay` within the day limit, besides what the box holds for those days. */
  const appetite = (day: number, short: number, lastDay: number): number => {
    let waiting = 0;
    for (let i = 0; i < count; i++) if (unEaten[i] > 0 && last[i] > day && first[i] <= lastDay) waiting += unEaten[i];
    return short + period.dayLimit - dailyNeed + period.dayLimit * (lastDay - day) - waiting;
  };

  /** The unit to add for a short day, or why there is none. */
  const choose = (day: number, short: number): number | UncoveredReason => {
    const budgetLeft = period.budgetFen - box.costFen;
    let cheapest = -1;
    let cheapestScore = Number.POSITIVE_INFINITY;
    let valued = -1;
    let valuedIsNew = false;
    let valuedScore = 0;
    let anyEdible = false;
    let stoppedBySupply = false;
    for (let i = 0; i < count; i++) {
      if (day < first[i] || day > last[i] || shutOut(ladder, box, i)) continue;
      anyEdible = true;
      const c = candidates[i];
      if (units[i] >= c.unitLimit) {
        stoppedBySupply ||= c.unitFen <= budgetLeft;
        continue;
      }
      if (c.unitFen > budgetLeft) continue;
      const useful = Math.min(c.portionsPerUnit, short + dailyNeed * (last[i] - day));
      const score = (c.unitFen / useful) * (1 + c.recentPenalty + (REPEAT_PENALTY * (units[i] + 1) * c.portionsPerUnit) / period.periodNeed);
      if (score < cheapestScore) {
        cheapest = i;
        cheapestScore = score;
      }
      if (priceLevel !== undefined && c.portionFen <= priceLevel && withinShare(ladder, i, units)) {
        const isNew = box.kinds < period.varietyTarget && units[i] === 0;
        const value = upgradeValue(ladder, i, units);
        if ((valued < 0 || (isNew && !valuedIsNew) || (isNew === valuedIsNew && value > valuedScore)) && c.portionsPerUnit <= appetite(day, short, last[i])) {
          valued = i;
          valuedIsNew = isNew;
          valuedScore = value;
        }
      }
    }
    if (valued >= 0) return valued;
    if (cheapest >= 0) return cheapest;
    return !anyEdible ? 'nothing_ready' : stoppedBySupply ? 'supply' : 'budget';
  };

  for (let day = 0; day < days; day++) {
    let short = eat(day, dailyNeed);
    while (short > 0) {
      const choice = choose(day, short);
      if (typeof choice === 'string') {
        box.shortfalls.push({ day, missingPortions: short, reason: choice });
        break;
      }
      addUnit(ladder, box, choice);
      unEaten[choice] += candidates[choice].portionsPerUnit;
      short = eat(day, short);
    }
  }
  eatLeftovers(ladder, box, unEaten);
  return box;
}

function emptyBox(count: number, days: number): Box {
  return {
    units: new Int32Array(count), eaten: new Int32Array(count * days), dayPortions: new Int32Array(days), uneaten: new Int32Array(count),
    uneatenPortions: 0, shortfalls: [], missingPortions: 0, costFen: 0, kinds: 0, reactingPacked: new Int32Array(count),
  };
}

/**
 * Eats the portions no day needed as extras, at most the day limit: first earliest deadline first, day by
 * day, then by moving portions already placed to make room (shiftToRoom). What is still left is uneaten.
 * A day's portions only grow, so covered days stay covered, and a short day that gets portions here (bought
 * for a later day, edible earlier too) is short by that much less.
 */
function eatLeftovers(ladder: Ladder, box: Box, unEaten: Int32Array): void {
  const { first, last, until, period } = ladder;
  const days = period.days;
  for (let day = 0; day < days; day++) {
    while (box.dayPortions[day] < period.dayLimit) {
      let next = -1;
      for (let i = 0; i < unEaten.length; i++) {
        if (unEaten[i] > 0 && first[i] <= day && day <= last[i] && (next < 0 || until[i] < until[next])) next = i;
      }
      if (next < 0) break;
      const portions = Math.min(period.dayLimit - box.dayPortions[day], unEaten[next]);
      unEaten[next] -= portions;
      box.eaten[next * days + day] += portions;
      box.dayPortions[day] += portions;
    }
  }
  for (let i = 0; i < unEaten.length; i++) {
    if (unEaten[i] > 0) box.uneaten[i] = unEaten[i] - shiftToRoom(ladder, box, i, unEaten[i]);
    box.uneatenPortions += box.uneaten[i];
  }
  countShortfalls(period, box);
}

/** The days still short, and by how much, once everything is placed. */
function countShortfalls(period: Period, box: Box): void {
  if (box.shortfalls.length === 0) return;
  box.missingPortions = 0;
  box.shortfalls = box.shortfalls.flatMap((shortfall) => {
    const missingPortions = period.dailyNeed - Math.min(period.dailyNeed, box.dayPortions[shortfall.day]);
    box.missingPortions += missingPortions;
    return missingPortions > 0 ? [{ ...shortfall, missingPortions }] : [];
  });
}

/**
 * Places up to `portions` more portions of candidate `index` inside its window, along chains: onto a day
 * with room, or onto a full day whose portion of another fruit moves to another day of that fruit's window,
 * and so on (an augmenting path), so a portion is placed whenever any arrangement could eat it. Days only
 * gain portions. Returns how many were placed.
 */
function shiftToRoom(ladder: Ladder, box: Box, index: number, portions: number): number {
  const { first, last, period } = ladder;
  const days = period.days;
  const reachedFrom = new Int32Array(days);
  const movedFrom = new Int32Array(first.length);
  const others = [];
  for (let j = 0; j < box.units.length; j++) if (box.units[j] > 0 && j !== index) others.push(j);
  let placed = 0;
  while (placed < portions) {
    reachedFrom.fill(-1);
    movedFrom.fill(-1);
    const queue = [index];
    let roomDay = -1;
    for (let q = 0; q < queue.length && roomDay < 0; q++) {
      const i = queue[q];
      for (let day = first[i]; day <= last[i] && roomDay < 0; day++) {
        if (reachedFrom[day] >= 0) continue;
        reachedFrom[day] = i;
        if (box.dayPortions[day] < period.dayLimit) roomDay = day;
        else {
          for (const j of others) {
            if (movedFrom[j] < 0 && box.eaten[j * days + day] > 0) {
              movedFrom[j] = day;
              queue.push(j);
            }
          }
        }
      }
    }
    if (roomDay < 0) break;
    // As many portions as the chain allows: the room on its last day, and what each fruit on it can give up.
    let amount = Math.min(portions - placed, period.dayLimit - box.dayPortions[roomDay]);
    for (let i = reachedFrom[roomDay]; i !== index; i = reachedFrom[movedFrom[i]]) amount = Math.min(amount, box.eaten[i * days + movedFrom[i]]);
    // Back along the chain: each fruit gains the day it was reached on and gives up the day it moved from.
    box.dayPortions[roomDay] += amount;
    for (let day = roomDay; ; ) {
      const i = reachedFrom[day];
      box.eaten[i * days + day] += amount;
      if (i === index) break;
      day = movedFrom[i];
      box.eaten[i * days + day] -= amount;
    }
    placed += amount;
  }
  return placed;
}

/**
 * Spends what is left of the budget on extra portions, one unit at a time, of the candidate that fits the
 * budget and whose whole unit the household can eat on the days of its window within the day limit (moving
 * other portions to days with room where they can go); preferred: a fruit new to the box while it holds
 * fewer kinds than the variety target, then one within MAX_SHARE, then the highest upgradeValue. A fruit
 * that does not fit is not tried again: the box only gets fuller. Stops when none fits.
 */
function withExtras(ladder: Ladder, box: Box): Box {
  const { candidates, period } = ladder;
  const count = candidates.length;
  const doesNotFit = candidates.map((c) => c.unitFen === 0); // a free fruit adds nothing to spend the budget on
  const values = candidates.map((_, i) => upgradeValue(ladder, i, box.units));
  /** Whether candidate a goes before b (ties go to the earlier). */
  const before = (a: number, b: number): boolean => {
    if (box.kinds < period.varietyTarget && (box.units[a] === 0) !== (box.units[b] === 0)) return box.units[a] === 0;
    const [shareA, shareB] = [withinShare(ladder, a, box.units), withinShare(ladder, b, box.units)];
    return shareA !== shareB ? shareA : values[a] > values[b];
  };
  for (;;) {
    let best = -1;
    for (let i = 0; i < count; i++) {
      if (doesNotFit[i] || box.units[i] >= candidates[i].unitLimit || candidates[i].unitFen > period.budgetFen - box.costFen || shutOut(ladder, box, i)) continue;
      if (best < 0 || before(i, best)) best = i;
    }
    if (best < 0) return box;
    const withUnit = placeUnit(ladder, box, best);
    if (!withUnit) {
      doesNotFit[best] = true;
      continue;
    }
    box = withUnit;
    addUnit(ladder, box, best);
    values[best] = upgradeValue(ladder, best, box.units);
    countShortfalls(period, box);
  }
}

/** The box with one more unit of candidate `index` eaten in its window (changed in place when its days have room), or undefined if it cannot all be eaten. */
function placeUnit(ladder: Ladder, box: Box, index: number): Box | undefined {
  const { first, last, period } = ladder;
  const portions = ladder.candidates[index].portionsPerUnit;
  let room = 0;
  let roomInWindow = 0;
  for (let day = 0; day < period.days; day++) {
    room += period.dayLimit - box.dayPortions[day];
    if (first[index] <= day && day <= last[index]) roomInWindow += period.dayLimit - box.dayPortions[day];
  }
  if (room < portions) return undefined;
  if (roomInWindow >= portions) {
    // Room on its own days: eaten as early as it can be.
    for (let day = first[index], left = portions; left > 0; day++) {
      const here = Math.min(left, period.dayLimit - box.dayPortions[day]);
      box.eaten[index * period.days + day] += here;
      box.dayPortions[day] += here;
      left -= here;
    }
    return box;
  }
  // Only by moving other portions to days with room: tried on a copy, kept if the whole unit is eaten.
  const moved: Box = { ...box, units: box.units.slice(), eaten: box.eaten.slice(), dayPortions: box.dayPortions.slice(), reactingPacked: box.reactingPacked.slice() };
  return shiftToRoom(ladder, moved, index, portions) === portions ? moved : undefined;
}

/** The planned box as the callers see it: items by the day they become edible, dates, decimal costs. */
function boxOf(ladder: Ladder, box: Box, deliveryMs: number): PlannedBox {
  const { candidates, period } = ladder;
  const dates: string[] = [];
  const dateOf = (offset: number) => (dates[offset] ??= dayAfter(deliveryMs, offset));
  const packed = candidates.flatMap((c, index) => (box.units[index] > 0 ? [{ c, index, units: box.units[index] }] : []));
  const items = packed
    .map(({ c, index, units }) => {
      const ripensFaster = ladder.mixed && packed.some((other) => isHastenedBy(c.fruit, other.c.fruit));
      return { fruit: c.fruit, index, units, ripensFaster, window: guaranteedWindow(c.fruit, ripensFaster) };
    })
    .sort((a, b) => a.window.from - b.window.from) // a stable sort: ties stay in fruit id order
    .map(({ fruit, index, units, ripensFaster, window }) => ({
      fruitId: fruit.id,
      units,
      portions: units * fruit.portionsPerUnit,
      uneatenPortions: box.uneaten[index],
      edibleFrom: dateOf(window.from),
      edibleUntil: dateOf(window.until),
      cost: fruit.unitCost.times(units),
      ripensFaster,
    }));

  // A day's portions in the order they are to be eaten (soonest over first): the first cover the need, the rest are extra.
  const eatingOrder = packed.map(({ index }) => index).sort((a, b) => ladder.until[a] - ladder.until[b] || a - b);
  const coverage = Array.from({ length: period.days }, (_, day): CoverageDay => {
    const row: CoverageDay = { date: dateOf(day), neededPortions: period.dailyNeed, plannedPortions: 0, fruits: [], extraPortions: 0, extras: [] };
    for (const index of eatingOrder) {
      const portions = box.eaten[index * period.days + day];
      if (portions === 0) continue;
      const fruitId = candidates[index].fruit.id;
      const planned = Math.min(portions, period.dailyNeed - row.plannedPortions);
      if (planned > 0) row.fruits.push({ fruitId, portions: planned });
      if (portions > planned) row.extras.push({ fruitId, portions: portions - planned });
      row.plannedPortions += planned;
      row.extraPortions += portions - planned;
    }
    return row;
  });
  return {
    items,
    cost: fromFen(box.costFen),
    coverage,
    uncoveredDays: box.shortfalls.map(({ day, missingPortions, reason }) => ({ date: coverage[day].date, missingPortions, reason })),
  };
}
