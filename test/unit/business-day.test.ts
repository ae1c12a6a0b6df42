import fc from 'fast-check';
import { DateTime } from 'luxon';
import { BUSINESS_TIME_ZONE, businessDay } from '../../src/platform/calendar';

/** businessDay remembers the last day it worked out: asked in any order, it must answer as if it remembered nothing. */
const uncached = (at: Date) => DateTime.fromJSDate(at, { zone: BUSINESS_TIME_ZONE }).toISODate();

describe('businessDay', () => {
  test('the day in China, on both sides of Beijing midnight (16:00 UTC)', () => {
    expect(businessDay(new Date('2026-12-04T15:59:59.999Z'))).toBe('2026-12-04');
    expect(businessDay(new Date('2026-12-04T16:00:00.000Z'))).toBe('2026-12-05');
    expect(businessDay(new Date('2026-12-04T15:59:59.999Z'))).toBe('2026-12-04');
    expect(businessDay(new Date('2026-12-31T16:00:00.000Z'))).toBe('2027-01-01');
  });

  test('any sequence of instants, near each other or years apart, gets the same days as a fresh computation', () => {
    const instant = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2060-01-01T00:00:00Z'), noInvalidDate: true });
    const nearMidnight = fc.integer({ min: -3, max: 3 }).map((ms) => new Date(Date.UTC(2026, 11, 4, 16) + ms));
    fc.assert(
      fc.property(fc.array(fc.oneof(instant, nearMidnight), { minLength: 1, maxLength: 50 }), (instants) => {
        for (const at of instants) expect(businessDay(at)).toBe(uncached(at));
      }),
    );
  });
});
