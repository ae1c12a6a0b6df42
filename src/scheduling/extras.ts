import { type Box, type Ladder, addUnit, countShortfalls, shiftToRoom, shutOut, upgradeValue, withinShare } from './ladder';

// Step 2 of a plan: spend what is left of the budget on extra portions the household can eat.

/**
 * Spends what is left of the budget on extra portions, one unit at a time, of the candidate that fits the
 * budget and whose whole unit the household can eat on the days of its window within the day limit (moving
 * other portions to days with room where they can go); preferred: a fruit new to the box while it holds
 * fewer kinds than the variety target, then one within MAX_SHARE, then the highest upgradeValue. A fruit
 * that does not fit is not tried again: the box only gets fuller. Stops when none fits.
 */
export function withExtras(ladder: Ladder, box: Box): Box {
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
      if (doesNotFit[i] || box.units[i] >= candidates[i].unitLimit || candidates[i].unitFen > period.budgetFen - box.costFen || shutOut(ladder, box, i))
        continue;
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
  const moved: Box = {
    ...box,
    units: box.units.slice(),
    eaten: box.eaten.slice(),
    dayPortions: box.dayPortions.slice(),
    reactingPacked: box.reactingPacked.slice(),
  };
  return shiftToRoom(ladder, moved, index, portions) === portions ? moved : undefined;
}
