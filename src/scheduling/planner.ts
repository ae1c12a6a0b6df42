import { fromFen } from '../platform/money';
import type { BoxRequest, CoverageDay, PlannedBox } from './box-plan';
import { candidatesFor, periodOf } from './candidates';
import { atHighestLevel } from './coverage';
import { dayAfter, parseDay } from './dates';
import { withExtras } from './extras';
import { guaranteedWindow, isHastenedBy } from './fruit';
import { type Box, type Ladder, ladderOf } from './ladder';

// The fruit-box planner, pure and deterministic: a box is planned in two steps, each day's need covered
// (coverage.ts) then the rest of the budget spent on extras (extras.ts), over the candidates of candidates.ts
// packed on a ladder (ladder.ts); what it is asked and answers is in box-plan.ts.

export {
  extraPortionsPerDay,
  varietyTarget,
  type BoxRequest,
  type CoverageDay,
  type PlannedBox,
  type PlannedItem,
  type UncoveredDay,
  type UncoveredReason,
} from './box-plan';

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
