import { wilsonLowerBound } from '../../src/marks';

/** The 红黑榜's ranking (docs/selection.md § Ranking): the Wilson lower bound (95%) on worked numbers. */
describe('wilsonLowerBound', () => {
  test('8 red of 10: p = 0.8, z = 1.96: (0.8 + 0.19207 − 1.96 × √(0.016 + 0.00960)) / 1.38415 = 0.4902', () => {
    // centre 0.8 + z²/2n = 0.99207; margin z·√(p(1−p)/n + z²/4n²) = 1.95996 × 0.16001 = 0.31362; divided by 1 + z²/n = 1.38415.
    expect(wilsonLowerBound(8, 10)).toBeCloseTo(0.4902, 4);
  });

  test('one mark is weak evidence: 1 of 1 ranks below 8 of 10, which ranks below 80 of 100', () => {
    expect(wilsonLowerBound(1, 1)).toBeCloseTo(0.2065, 4);
    expect(wilsonLowerBound(80, 100)).toBeCloseTo(0.7112, 4);
  });

  test('none of some is 0, all of many nears 1, no marks is 0', () => {
    expect(wilsonLowerBound(0, 5)).toBe(0);
    expect(wilsonLowerBound(1000, 1000)).toBeCloseTo(0.9962, 4);
    expect(wilsonLowerBound(0, 0)).toBe(0);
  });

  test('none of 3, 6, 7 or 12 is exactly 0 (the formula leaves ~3e-17 in floating point), so ties at 0 really tie', () => {
    for (const total of [3, 6, 7, 12]) expect(wilsonLowerBound(0, total)).toBe(0);
  });
});
