import Fraction from 'fraction.js';
import { passesGate, platformMean, productIndex, scoreOf } from '../../src/concepts/concept-index';

/** The product index (docs/selection.md § The index) on worked numbers. */
const settings = { priorWeight: 10, defaultMean: 6 };
const exact = (x: number) => new Fraction(x);
const times = (n: number, score: number) => Array.from({ length: n }, () => exact(score));

test("a rating's score is the mean of its four dimensions", () => {
  expect(scoreOf({ performance: 8, priceAcceptance: 7, design: 9, packaging: 6 }).valueOf()).toBe(7.5);
});

test('3 ratings of 10 do not beat 200 ratings of 8: (10·6 + 30)/13 = 6.92 against (10·6 + 1600)/210 = 7.90', () => {
  const few = productIndex(times(3, 10), exact(6), settings);
  const many = productIndex(times(200, 8), exact(6), settings);
  expect(few.value).toBe(6.92);
  expect(many.value).toBe(7.9);
  expect(few.value).toBeLessThan(many.value);
});

test('with no ratings the index is the platform mean, with the prior spread as its band: 6 ± 1.96 · 2.5 / √10', () => {
  expect(productIndex([], exact(6), settings)).toEqual({ value: 6, ratings: 0, low: 4.45, high: 7.55, platformMean: 6, priorWeight: 10 });
});

test('the band is ± 1.96 · s / √(C + n) with s the ratings’ own spread, clipped to 0–10', () => {
  // Scores 7.5, 6, 9: s = 1.5; m = 4.75 → (47.5 + 22.5) / 13 = 5.385, ± 1.96 · 1.5 / √13 = 0.815.
  expect(productIndex([7.5, 6, 9].map(exact), exact(4.75), settings)).toEqual({
    value: 5.38,
    ratings: 3,
    low: 4.57,
    high: 6.2,
    platformMean: 4.75,
    priorWeight: 10,
  });
  expect(productIndex(times(2, 10), exact(10), settings).high).toBe(10);
});

test('the platform mean is the mean of the rated concepts’ means, the default while none is rated', () => {
  expect(platformMean([], settings).valueOf()).toBe(6);
  expect(platformMean([7.5, 2].map(exact), settings).valueOf()).toBe(4.75);
});

test('exact halves round up: ten ratings averaging 4.975 (4.97499… in floating point) show 4.98, value and platform mean', () => {
  // Dimension sums 199 of 40 dimensions: each concept mean 199/40 = 4.975; index (10·4.975 + 49.75)/20 = 4.975.
  const scores = [scoreOf({ performance: 5, priceAcceptance: 5, design: 5, packaging: 4 }), ...times(9, 5)];
  const m = platformMean([new Fraction(199, 40)], settings);
  expect(productIndex(scores, m, settings)).toMatchObject({ value: 4.98, platformMean: 4.98 });
  expect(passesGate(productIndex(scores, m, settings), { minIndex: 4.98, minRatings: 10 })).toBe(true);
});

test('the gate needs both the index and the number of ratings', () => {
  const gate = { minIndex: 5, minRatings: 20 };
  expect(passesGate(productIndex(times(20, 5), exact(5), settings), gate)).toBe(true);
  expect(passesGate(productIndex(times(19, 9), exact(6), settings), gate)).toBe(false);
  expect(passesGate(productIndex(times(40, 4), exact(6), settings), gate)).toBe(false);
});
