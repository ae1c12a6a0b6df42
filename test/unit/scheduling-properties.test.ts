import fc from 'fast-check';
import { DateTime } from 'luxon';
import { Decimal, fromFen, sum } from '../../src/platform/money';
import {
  type BoxRequest,
  FRUIT_CATALOGUE,
  type Fruit,
  type PlannedBox,
  extraPortionsPerDay,
  guaranteedWindow,
  isHastenedBy,
  isInSeason,
  planBox,
  varietyTarget,
} from '../../src/scheduling';

const byId = new Map(FRUIT_CATALOGUE.map((f) => [f.id, f]));
const ids = FRUIT_CATALOGUE.map((f) => f.id);
const addDays = (date: string, days: number) => DateTime.fromISO(date, { zone: 'utc' }).plus({ days }).toISODate()!;

/** Any delivery date over two years, shipped 1–4 days before. */
const dates = fc.record({ offset: fc.integer({ min: 0, max: 729 }), transit: fc.integer({ min: 1, max: 4 }) }).map(({ offset, transit }) => {
  const deliveryDate = addDays('2026-01-01', offset);
  return { deliveryDate, shipDate: addDays(deliveryDate, -transit) };
});

/** Budgets in fen: often tiny (nothing or a few fruit), sometimes plenty. */
const budgets = fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 60_000 })).map((fen) => fromFen(fen));

const requests: fc.Arbitrary<BoxRequest> = fc
  .record({
    dates,
    periodDays: fc.constantFrom(7, 14),
    householdSize: fc.integer({ min: 1, max: 6 }),
    portionsPerPersonPerDay: fc.integer({ min: 1, max: 2 }),
    exclusions: fc.subarray(ids),
    budget: budgets,
    recentBoxes: fc.array(fc.subarray(ids, { maxLength: 6 }), { maxLength: 4 }),
    unitLimits: fc.option(fc.dictionary(fc.constantFrom(...ids), fc.integer({ min: 0, max: 8 })), { nil: undefined }),
  })
  .map(({ dates: { deliveryDate, shipDate }, unitLimits, ...rest }) => ({
    deliveryDate,
    shipDate,
    ...rest,
    catalogue: FRUIT_CATALOGUE,
    ...(unitLimits ? { unitLimits: new Map(Object.entries(unitLimits)) } : {}),
  }));

const RUNS = { numRuns: 200 };

/** The portions each fruit is eaten on each date, planned and extra. */
function eatenByFruit(box: PlannedBox): Map<string, { date: string; portions: number }[]> {
  const eaten = new Map<string, { date: string; portions: number }[]>();
  for (const day of box.coverage) {
    for (const { fruitId, portions } of [...day.fruits, ...day.extras]) eaten.set(fruitId, [...(eaten.get(fruitId) ?? []), { date: day.date, portions }]);
  }
  return eaten;
}

/** The documented share of the budget a box spends unless it is full (docs/fruit-subscriptions.md). */
const SPEND_SHARE = 0.8;

/**
 * The fruit that could still join the box as it is: in season, not excluded, not free, within its unit limit
 * and the budget left, reacting by ethylene with nothing packed, and with room for a whole unit on the days
 * of the period it is surely edible (the day limit less what is planned and extra; for an ethylene-sensitive
 * fruit the days it is edible with or without the faster ripening).
 */
function fruitThatStillFits(request: BoxRequest, box: PlannedBox): Fruit[] {
  const month = Number(request.shipDate.slice(5, 7));
  const packed = box.items.map((i) => byId.get(i.fruitId) ?? request.catalogue.find((f) => f.id === i.fruitId)!);
  const dayLimit = request.householdSize * request.portionsPerPersonPerDay + extraPortionsPerDay(request.householdSize);
  const budgetLeft = request.budget.minus(box.cost);
  return request.catalogue.filter((fruit) => {
    const units = box.items.find((i) => i.fruitId === fruit.id)?.units ?? 0;
    if (!isInSeason(fruit, month) || request.exclusions.includes(fruit.id) || fruit.unitCost.isZero() || fruit.unitCost.gt(budgetLeft)) return false;
    if (units >= (request.unitLimits?.get(fruit.id) ?? Number.POSITIVE_INFINITY)) return false;
    if (packed.some((other) => isHastenedBy(fruit, other) || isHastenedBy(other, fruit))) return false;
    const from = guaranteedWindow(fruit, false).from;
    const until = Math.min(guaranteedWindow(fruit, fruit.ethylene.sensitive).until, request.periodDays - 1);
    const room = box.coverage.slice(from, until + 1).reduce((total, day) => total + dayLimit - day.plannedPortions - day.extraPortions, 0);
    return room >= fruit.portionsPerUnit;
  });
}

describe('planBox properties', () => {
  test('(1) every day of the period is covered or listed as uncovered with its missing portions, never both', () => {
    fc.assert(
      fc.property(requests, (request) => {
        const box = planBox(request);
        const need = request.householdSize * request.portionsPerPersonPerDay;
        expect(box.coverage.map((d) => d.date)).toEqual(Array.from({ length: request.periodDays }, (_, i) => addDays(request.deliveryDate, i)));
        const uncovered = new Map(box.uncoveredDays.map((d) => [d.date, d]));
        expect(uncovered.size).toBe(box.uncoveredDays.length);
        for (const day of box.coverage) {
          expect(day.neededPortions).toBe(need);
          expect(day.plannedPortions).toBe(day.fruits.reduce((total, f) => total + f.portions, 0));
          expect(day.fruits.every((f) => f.portions > 0)).toBe(true);
          const gap = uncovered.get(day.date);
          if (day.plannedPortions >= need) expect(gap).toBeUndefined();
          else expect(gap?.missingPortions).toBe(need - day.plannedPortions);
        }
        for (const gap of box.uncoveredDays) expect(['nothing_ready', 'budget', 'supply']).toContain(gap.reason);
      }),
      RUNS,
    );
  });

  test('(2) nothing out of season on the ship date, excluded or beyond its unit limit is ever packed', () => {
    fc.assert(
      fc.property(requests, (request) => {
        const month = Number(request.shipDate.slice(5, 7));
        for (const item of planBox(request).items) {
          expect(isInSeason(byId.get(item.fruitId)!, month)).toBe(true);
          expect(request.exclusions).not.toContain(item.fruitId);
          expect(item.units).toBeLessThanOrEqual(request.unitLimits?.get(item.fruitId) ?? Number.POSITIVE_INFINITY);
        }
      }),
      RUNS,
    );
  });

  test('(3) the cost never exceeds the budget and is the sum of units × unit cost', () => {
    fc.assert(
      fc.property(requests, (request) => {
        const box = planBox(request);
        expect(box.cost.lte(request.budget)).toBe(true);
        expect(box.cost.equals(sum(box.items.map((i) => i.cost)))).toBe(true);
        for (const item of box.items) {
          const fruit = byId.get(item.fruitId)!;
          expect(item.units).toBeGreaterThan(0);
          expect(item.cost.equals(fruit.unitCost.times(item.units))).toBe(true);
          expect(item.portions).toBe(item.units * fruit.portionsPerUnit);
        }
      }),
      RUNS,
    );
  });

  test('(4) each item is eaten (planned or extra) plus its uneaten portions exactly its portions, only inside its (possibly faster) guaranteed window', () => {
    fc.assert(
      fc.property(requests, (request) => {
        const box = planBox(request);
        const eaten = eatenByFruit(box);
        const packed = box.items.map((i) => byId.get(i.fruitId)!);
        expect(new Set(eaten.keys()).size).toBeLessThanOrEqual(box.items.length);
        for (const item of box.items) {
          const fruit = byId.get(item.fruitId)!;
          // Faster exactly when a sensitive fruit shares the box with another fruit that gives off ethylene.
          expect(item.ripensFaster).toBe(packed.some((other) => isHastenedBy(fruit, other)));
          const window = guaranteedWindow(fruit, item.ripensFaster);
          expect(item.edibleFrom).toBe(addDays(request.deliveryDate, window.from));
          expect(item.edibleUntil).toBe(addDays(request.deliveryDate, window.until));
          const days = eaten.get(item.fruitId) ?? [];
          expect(item.uneatenPortions).toBeGreaterThanOrEqual(0);
          expect(days.reduce((total, d) => total + d.portions, 0) + item.uneatenPortions).toBe(item.portions);
          for (const { date } of days) {
            expect(date >= item.edibleFrom && date <= item.edibleUntil).toBe(true);
          }
        }
        for (const fruitId of eaten.keys()) expect(box.items.some((i) => i.fruitId === fruitId)).toBe(true);
      }),
      RUNS,
    );
  });

  test('(5) the same request gives the same box', () => {
    fc.assert(
      fc.property(requests, (request) => {
        expect(planBox(request)).toEqual(planBox({ ...request, exclusions: [...request.exclusions], recentBoxes: request.recentBoxes.map((b) => [...b]) }));
      }),
      RUNS,
    );
  });

  test('(6) no exclusions, a generous budget, in-season ready-to-eat fruit: every day is covered', () => {
    const generous = fc.record({
      dates,
      periodDays: fc.constantFrom(7, 14),
      householdSize: fc.integer({ min: 1, max: 6 }),
      portionsPerPersonPerDay: fc.integer({ min: 1, max: 2 }),
      recentBoxes: fc.array(fc.subarray(ids, { maxLength: 6 }), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(generous, ({ dates: { deliveryDate, shipDate }, ...rest }) => {
        const month = Number(shipDate.slice(5, 7));
        fc.pre(FRUIT_CATALOGUE.some((f) => f.ripeningDays[1] === 0 && isInSeason(f, month)));
        const box = planBox({ deliveryDate, shipDate, ...rest, exclusions: [], budget: new Decimal(10_000), catalogue: FRUIT_CATALOGUE });
        expect(box.uncoveredDays).toEqual([]);
      }),
      RUNS,
    );
  });

  test('(7) no day holds more than the household can eat: its need, plus at most extraPortionsPerDay extras on a covered day', () => {
    fc.assert(
      fc.property(requests, (request) => {
        const box = planBox(request);
        for (const day of box.coverage) {
          expect(day.plannedPortions).toBeLessThanOrEqual(day.neededPortions);
          expect(day.extraPortions).toBe(day.extras.reduce((total, f) => total + f.portions, 0));
          expect(day.extras.every((f) => f.portions > 0)).toBe(true);
          expect(day.extraPortions).toBeLessThanOrEqual(extraPortionsPerDay(request.householdSize));
          if (day.extraPortions > 0) expect(day.plannedPortions).toBe(day.neededPortions);
        }
      }),
      RUNS,
    );
  });

  test('(8) a box spends at least 80 % of its budget, or it is full: no fruit that may go in fits on its days or in the budget left', () => {
    fc.assert(
      fc.property(requests, (request) => {
        const box = planBox(request);
        if (box.cost.lt(request.budget.times(SPEND_SHARE))) expect(fruitThatStillFits(request, box).map((f) => f.id)).toEqual([]);
      }),
      RUNS,
    );
  });

  test('(9) a box holds at least varietyTarget distinct fruit, or no fruit new to it fits', () => {
    fc.assert(
      fc.property(requests, (request) => {
        const box = planBox(request);
        if (box.items.length < varietyTarget(request.periodDays, request.householdSize)) {
          const packed = new Set(box.items.map((i) => i.fruitId));
          expect(
            fruitThatStillFits(request, box)
              .filter((f) => !packed.has(f.id))
              .map((f) => f.id),
          ).toEqual([]);
        }
      }),
      RUNS,
    );
  });

  test('(10) a season with enough fruit and a budget the household can eat: ≥ 80 % spent, ≥ varietyTarget fruit', () => {
    // Five to eight fruits in season all year, ready to eat, good all period, one portion a unit, ¥3.00–3.60
    // each; a budget that covers every day with the dearest and at most what the household can eat of the cheapest.
    const season = fc.record({
      costs: fc.array(fc.integer({ min: 300, max: 360 }), { minLength: 5, maxLength: 8 }),
      periodDays: fc.constantFrom(7, 14),
      householdSize: fc.integer({ min: 1, max: 6 }),
      portionsPerPersonPerDay: fc.integer({ min: 1, max: 2 }),
      budgetShare: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(season, ({ costs, periodDays, householdSize, portionsPerPersonPerDay, budgetShare }) => {
        const catalogue = costs.map((fen, i): Fruit => ({
          id: `fruit-${i}`,
          nameZh: `果${i}`,
          nameEn: `fruit ${i}`,
          unit: 'piece',
          portionsPerUnit: 1,
          ripeningDays: [0, 0],
          goodDays: periodDays,
          seasons: [{ origin: 'anywhere', months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }],
          ethylene: { producer: false, sensitive: false },
          unitCost: fromFen(fen),
        }));
        const eatable = periodDays * (householdSize * portionsPerPersonPerDay + extraPortionsPerDay(householdSize)) * Math.min(...costs);
        const least = periodDays * householdSize * portionsPerPersonPerDay * Math.max(...costs);
        const budget = fromFen(Math.round(least + budgetShare * (eatable - least)));
        const request: BoxRequest = {
          deliveryDate: '2027-03-01',
          shipDate: '2027-02-27',
          periodDays,
          householdSize,
          portionsPerPersonPerDay,
          exclusions: [],
          budget,
          recentBoxes: [],
          catalogue,
        };
        const box = planBox(request);
        expect(box.uncoveredDays).toEqual([]);
        expect(box.cost.gte(budget.times(SPEND_SHARE))).toBe(true);
        expect(box.items.length).toBeGreaterThanOrEqual(varietyTarget(periodDays, householdSize));
      }),
      RUNS,
    );
  });
});
