import { passesGate, platformMean, productIndex, scoreOf } from '../../src/concepts/concept-index';

/** The product index (docs/selection.md § The index) on worked numbers. */
const settings = { priorWeight: 10, defaultMean: 6 };
const times = (n: number, score: number) => Array.from({ length: n }, () => score);

test("a rating's score is the mean of its four dimensions", () => {
  expect(scoreOf({ performance: 8, priceAcceptance: 7, design: 9, packaging: 6 })).toBe(7.5);
});

test('3 ratings of 10 do not beat 200 ratings of 8: (10·6 + 30)/13 = 6.92 against (10·6 + 1600)/210 = 7.90', () => {
  const few = productIndex(times(3, 10), 6, settings);
  const many = productIndex(times(200, 8), 6, settings);
  expect(few.value).toBe(6.92);
  expect(many.value).toBe(7.9);
  expect(few.value).toBeLessThan(many.value);
});

test('with no ratings the index is the platform mean, with the prior spread as its band: 6 ± 1.96 · 2.5 / √10', () => {
  expect(productIndex([], 6, settings)).toEqual({ value: 6, ratings: 0, low: 4.45, high: 7.55, platformMean: 6, priorWeight: 10 });
});

test('the band is ± 1.96 · s / √(C + n) with s the ratings’ own spread, clipped to 0–10', () => {
  // Scores 7.5, 6, 9: s = 1.5; m = 4.75 → (47.5 + 22.5) / 13 = 5.385, ± 1.96 · 1.5 / √13 = 0.815.
  expect(productIndex([7.5, 6, 9], 4.75, settings)).toEqual({ value: 5.38, ratings: 3, low: 4.57, high: 6.2, platformMean: 4.75, priorWeight: 10 });
  expect(productIndex([10, 10], 10, settings).high).toBe(10);
});

test('the platform mean is the mean of the rated concepts’ means, the default while none is rated', () => {
  expect(platformMean([], settings)).toBe(6);
  expect(platformMean([7.5, 2], settings)).toBe(4.75);
});

test('the gate needs both the index and the number of ratings', () => {
  const gate = { minIndex: 5, minRatings: 20 };
  expect(passesGate(productIndex(times(20, 5), 5, settings), gate)).toBe(true);
  expect(passesGate(productIndex(times(19, 9), 6, settings), gate)).toBe(false);
  expect(passesGate(productIndex(times(40, 4), 6, settings), gate)).toBe(false);
});
