import fc from 'fast-check';
import { DateTime } from 'luxon';
import { Decimal, fromFen, sum } from '../../src/platform/money';
import { type BoxRequest, FRUIT_CATALOGUE, type PlannedBox, guaranteedWindow, isHastenedBy, isInSeason, planBox } from '../../src/scheduling';

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

const requests: fc.Arbitrary<BoxRequest> = fc.record({
  dates,
  periodDays: fc.constantFrom(7, 14),
  householdSize: fc.integer({ min: 1, max: 6 }),
  portionsPerPersonPerDay: fc.integer({ min: 1, max: 2 }),
  exclusions: fc.subarray(ids),
  budget: budgets,
  recentBoxes: fc.array(fc.subarray(ids, { maxLength: 6 }), { maxLength: 4 }),
  unitLimits: fc.option(fc.dictionary(fc.constantFrom(...ids), fc.integer({ min: 0, max: 8 })), { nil: undefined }),
}).map(({ dates: { deliveryDate, shipDate }, unitLimits, ...rest }) => ({
  deliveryDate, shipDate, ...rest, catalogue: FRUIT_CATALOGUE,
  ...(unitLimits ? { unitLimits: new Map(Object.entries(unitLimits)) } : {}),
}));

const RUNS = { numRuns: 200 };

/** The portions each fruit is eaten on each date. */
function eatenByFruit(box: PlannedBox): Map<string, { date: string; portions: number }[]> {
  const eaten = new Map<string, { date: string; portions: number }[]>();
  for (const day of box.coverage) {
    for (const { fruitId, portions } of day.fruits) eaten.set(fruitId, [...(eaten.get(fruitId) ?? []), { date: day.date, portions }]);
  }
  return eaten;
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

  test('(4) each item is eaten at most its portions, only inside its (possibly faster) guaranteed window', () => {
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
          expect(days.reduce((total, d) => total + d.portions, 0)).toBeLessThanOrEqual(item.portions);
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
});
