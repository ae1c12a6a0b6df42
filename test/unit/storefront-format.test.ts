import fc from 'fast-check';
import { addDays, countdown, dateTime, day, timeLeft, yuan } from '../../storefront/src/lib/format';

/**
 * How the storefront writes money and time (storefront/src/lib/format.ts). Money is only reformatted from
 * the API's strings, never computed: the digits a buyer reads must be exactly the API's.
 */
describe('storefront money', () => {
  test('yuan with thousands separators, cents only when there are some', () => {
    expect(yuan('100.00')).toBe('¥100');
    expect(yuan('1400.50')).toBe('¥1,400.50');
    expect(yuan('1234567.05')).toBe('¥1,234,567.05');
    expect(yuan('0.00')).toBe('¥0');
    expect(yuan('-20.00')).toBe('-¥20');
    expect(yuan(null)).toBe('—');
  });

  test('every amount reads back to the same digits (nothing rounded, nothing lost)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), (cents) => {
        const amount = `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
        const shown = yuan(amount).slice(1).replace(/,/g, '');
        expect(shown.includes('.') ? shown : `${shown}.00`).toBe(amount);
      }),
    );
  });
});

describe('storefront time, always China time', () => {
  const now = new Date('2026-12-04T23:00:00Z'); // 07:00 on 5 December in Shanghai

  test('an instant is written in Shanghai time whatever the zone of the machine', () => {
    expect(dateTime('2026-12-09T12:00:00Z', 'zh', now)).toBe('12月9日 20:00');
    expect(dateTime('2026-12-09T12:00:00Z', 'en', now)).toBe('Dec 9, 20:00');
    // The year only when it is not this year (in China): 31 Dec 17:00 UTC is already 2027 there.
    expect(dateTime('2026-12-31T17:00:00Z', 'zh', now)).toBe('2027年1月1日 01:00');
  });

  test('a calendar day with its weekday', () => {
    expect(day('2026-12-12', 'zh')).toBe('12月12日 周六');
    expect(day('2026-12-12', 'en')).toBe('Sat, Dec 12');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2027-03-01', -1)).toBe('2027-02-28');
  });

  test('countdowns in days and a clock, zero once passed', () => {
    const at = now.getTime();
    expect(countdown(new Date(at + (2 * 86400 + 3 * 3600 + 4 * 60 + 5) * 1000).toISOString(), at, 'zh')).toBe('2天 03:04:05');
    expect(countdown(new Date(at + 59_000).toISOString(), at, 'en')).toBe('00:00:59');
    expect(timeLeft(new Date(at - 1000).toISOString(), at)).toEqual({ days: 0, hours: 0, minutes: 0, seconds: 0, over: true });
  });
});
