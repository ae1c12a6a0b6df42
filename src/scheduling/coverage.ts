import type { UncoveredReason } from './box-plan';
import { REPEAT_PENALTY } from './candidates';
import { type Box, type Ladder, addUnit, countShortfalls, emptyBox, shiftToRoom, shutOut, upgradeValue, withinShare } from './ladder';

// Step 1 of a plan: cover each day's need, at the highest price level that covers as much as the cheapest box.

/**
 * The box at the highest price level: the candidates' portion costs are the levels; a level's box is kept if
 * it covers as many portions as the cheapest box and leaves no more uneaten. The dearest level is tried
 * first (a small household's budget usually allows it), then the lower ones by bisection; the cheapest box
 * if no level does.
 */
export function atHighestLevel(ladder: Ladder): Box {
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
  for (let [high, low] = [1, levels.length - 1]; high <= low;) {
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
