import fc from 'fast-check';
import { Decimal, allocate, formatMoney, fromFen, parseMoney, roundToFen, sum, toFen } from '../../src/platform/money';

describe('money', () => {
  test('parses and formats amounts as two-decimal strings', () => {
    expect(formatMoney(parseMoney('1000'))).toBe('1000.00');
    expect(formatMoney(parseMoney('0.5'))).toBe('0.50');
    expect(formatMoney(parseMoney('9999999999999.99'))).toBe('9999999999999.99');
  });

  // 14 digits of yuan: more fen than 2^53 is reachable there, which better-sqlite3 would read back rounded.
  test.each(['-1', '1.234', '1e3', '', ' 1', '01', 'NaN', 'Infinity', '1.', '.5', '10000000000000', '99999999999999.99'])(
    'refuses %p as a money amount',
    (text) => {
      expect(() => parseMoney(text)).toThrow(RangeError);
    },
  );

  test('rounds half up to the fen, once', () => {
    expect(roundToFen(new Decimal('0.005')).toFixed(2)).toBe('0.01');
    expect(roundToFen(new Decimal('0.004999')).toFixed(2)).toBe('0.00');
    expect(roundToFen(new Decimal('899').times('0.10')).toFixed(2)).toBe('89.90');
    expect(roundToFen(new Decimal('33.335')).toFixed(2)).toBe('33.34');
  });

  test('refuses to format or store an amount that was never rounded', () => {
    expect(() => formatMoney(new Decimal('1.005'))).toThrow(/not a whole number of fen/);
    expect(() => toFen(new Decimal(1).dividedBy(3))).toThrow(/not a whole number of fen/);
  });

  test('fen round trip is exact on both drivers (string from mysql2, number from better-sqlite3)', () => {
    expect(toFen(parseMoney('9999999999999.99'))).toBe('999999999999999');
    expect(fromFen(999999999999999).toFixed(2)).toBe('9999999999999.99');
    expect(fromFen('999999999999999').toFixed(2)).toBe('9999999999999.99');
    expect(fromFen(1999).toFixed(2)).toBe('19.99');
    expect(() => fromFen('12.5')).toThrow(RangeError);
  });

  test('0.1 + 0.2 is 0.30, not 0.30000000000000004', () => {
    expect(formatMoney(sum([parseMoney('0.1'), parseMoney('0.2')]))).toBe('0.30');
  });
});

describe('allocate (largest remainder)', () => {
  test('splits 100.00 over three equal parts as 33.34 + 33.33 + 33.33', () => {
    expect(allocate(parseMoney('100'), [1, 1, 1]).map(formatMoney)).toEqual(['33.34', '33.33', '33.33']);
  });

  test('splits in proportion to the weights', () => {
    expect(allocate(parseMoney('10'), [1, 2, 2]).map(formatMoney)).toEqual(['2.00', '4.00', '4.00']);
    expect(allocate(parseMoney('0.05'), [1, 1]).map(formatMoney)).toEqual(['0.03', '0.02']);
    expect(allocate(parseMoney('1'), [0, 1]).map(formatMoney)).toEqual(['0.00', '1.00']);
  });

  test('refuses weights it cannot split by', () => {
    expect(() => allocate(parseMoney('1'), [])).toThrow(RangeError);
    expect(() => allocate(parseMoney('1'), [0, 0])).toThrow(RangeError);
    expect(() => allocate(parseMoney('1'), [-1, 2])).toThrow(RangeError);
  });

  test('property: the parts always sum exactly to the whole, each within one fen of its exact share', () => {
    const fen = fc.bigInt({ min: -10_000_000_000n, max: 10_000_000_000n });
    const weights = fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 40 }).filter((ws) => ws.some((w) => w > 0));
    fc.assert(
      fc.property(fen, weights, (totalFen, ws) => {
        const total = fromFen(totalFen);
        const parts = allocate(total, ws);
        expect(parts).toHaveLength(ws.length);
        expect(sum(parts).equals(total)).toBe(true);
        const weightSum = ws.reduce((a, b) => a + b, 0);
        parts.forEach((part, i) => {
          const exact = total.times(ws[i]).dividedBy(weightSum);
          expect(part.minus(exact).abs().lessThan('0.01')).toBe(true);
          expect(part.equals(roundToFen(part))).toBe(true);
        });
      }),
      { numRuns: 500 },
    );
  });
});
