import fc from 'fast-check';
import { fairShares } from '../../src/subscriptions/fair-share';

describe('sharing a shortfall fairly', () => {
  test('by hand: 10 units for needs of 6, 6 and 3 (15) → each gets 2/3 of its need, the odd unit to the largest remainder', () => {
    // Exact shares 4, 4, 2: whole already.
    expect(
      fairShares(10, [
        { id: 'a', units: 6 },
        { id: 'b', units: 6 },
        { id: 'c', units: 3 },
      ]),
    ).toEqual(
      new Map([
        ['a', 4],
        ['b', 4],
        ['c', 2],
      ]),
    );
    // 7 of 15: exact 2.8, 2.8, 1.4 → floors 2, 2, 1 (5), two units left go to the remainders .8 and .8 (a, b).
    expect(
      fairShares(7, [
        { id: 'a', units: 6 },
        { id: 'b', units: 6 },
        { id: 'c', units: 3 },
      ]),
    ).toEqual(
      new Map([
        ['a', 3],
        ['b', 3],
        ['c', 1],
      ]),
    );
    // Equal remainders: the larger need first, then the id.
    expect(
      fairShares(1, [
        { id: 'b', units: 2 },
        { id: 'a', units: 2 },
      ]),
    ).toEqual(
      new Map([
        ['a', 1],
        ['b', 0],
      ]),
    );
    // Remainders equal as fractions (3 of 9: 1/3 each) are a tie, though floating point makes 3 × 4 ÷ 9 − 1 the smaller: the larger need first.
    expect(
      fairShares(3, [
        { id: 'a', units: 1 },
        { id: 'b', units: 4 },
        { id: 'c', units: 4 },
      ]),
    ).toEqual(
      new Map([
        ['a', 0],
        ['b', 2],
        ['c', 1],
      ]),
    );
    // Ids a collation finds equal are still ordered (a case the property below found).
    expect(
      fairShares(1, [
        { id: 'a\u0001', units: 1 },
        { id: 'a', units: 1 },
      ]),
    ).toEqual(
      new Map([
        ['a', 1],
        ['a\u0001', 0],
      ]),
    );
    expect(
      fairShares(1, [
        { id: 'a', units: 1 },
        { id: 'a\u0001', units: 1 },
      ]),
    ).toEqual(
      new Map([
        ['a', 1],
        ['a\u0001', 0],
      ]),
    );
  });

  test('enough for everyone changes nothing; nothing (or less) gives nothing', () => {
    expect(
      fairShares(20, [
        { id: 'a', units: 6 },
        { id: 'b', units: 3 },
      ]),
    ).toEqual(
      new Map([
        ['a', 6],
        ['b', 3],
      ]),
    );
    expect(fairShares(0, [{ id: 'a', units: 6 }])).toEqual(new Map([['a', 0]]));
    expect(fairShares(-4, [{ id: 'a', units: 6 }])).toEqual(new Map([['a', 0]]));
  });

  test('property: never more than available or than a need, each within one unit of its exact share, deterministic', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 500 }),
        fc.uniqueArray(fc.record({ id: fc.string({ minLength: 1, maxLength: 6 }), units: fc.integer({ min: 0, max: 60 }) }), {
          selector: (n) => n.id,
          maxLength: 40,
        }),
        (available, needs) => {
          const shares = fairShares(available, needs);
          const total = needs.reduce((s, n) => s + n.units, 0);
          const given = [...shares.values()].reduce((s, v) => s + v, 0);
          expect(given).toBeLessThanOrEqual(Math.max(0, available));
          if (available >= total) expect(given).toBe(total);
          else expect(given).toBe(Math.max(0, Math.floor(available)));
          for (const n of needs) {
            const share = shares.get(n.id)!;
            expect(share).toBeLessThanOrEqual(n.units);
            // With no need at all (total 0) the exact share is 0, not 0/0.
            const exact = total === 0 ? 0 : (Math.max(0, available) * n.units) / total;
            if (available < total) expect(Math.abs(share - exact)).toBeLessThan(1);
          }
          expect(fairShares(available, [...needs].reverse())).toEqual(shares);
        },
      ),
      { numRuns: 300 },
    );
  });
});
