/**
 * The 潘多拉-style product index (docs/selection.md § The index): pure, unit-tested in test/unit/concept-index.test.ts.
 *
 * A rating's score is the mean of its four dimensions (0–10). A concept's index is the Bayesian average of its
 * scores toward the platform mean m, weighted as C ratings of m: (C·m + Σx) / (C + n). A few enthusiastic
 * ratings move it little; many ratings move it to their own mean. m is the mean of the rated concepts' own
 * means (each concept counts once, so one much-rated concept does not set everyone's prior), `defaultMean`
 * while no concept has a rating.
 */

export interface IndexSettings {
  /** C: how many ratings of the platform mean every concept starts with. */
  priorWeight: number;
  /** m while no concept has been rated. */
  defaultMean: number;
}

/** The four dimensions, 0–10 each. */
export interface Dimensions {
  performance: number;
  priceAcceptance: number;
  design: number;
  packaging: number;
}

/** 95% two-sided, normal approximation. */
export const BAND_Z = 1.96;
/**
 * The spread assumed for a concept with fewer than two ratings (no spread of its own to measure yet): 2.5 points,
 * a little under the 2.89 of scores spread evenly over 0–10.
 */
export const PRIOR_SPREAD = 2.5;

export interface ProductIndex {
  /** The Bayesian average, to two decimals: what is shown and what the launch gate compares. */
  value: number;
  /** n: how many ratings it rests on. */
  ratings: number;
  /** ± BAND_Z · s / √(C + n), clipped to 0–10 (s: the spread of the concept's scores; PRIOR_SPREAD below two ratings). */
  low: number;
  high: number;
  platformMean: number;
  priorWeight: number;
}

export const scoreOf = (d: Dimensions): number => (d.performance + d.priceAcceptance + d.design + d.packaging) / 4;

const round2 = (x: number) => Math.round(x * 100) / 100;
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** m: the mean of the rated concepts' mean scores, or the default while none is rated. */
export function platformMean(conceptMeans: readonly number[], settings: IndexSettings): number {
  return conceptMeans.length === 0 ? settings.defaultMean : mean(conceptMeans);
}

export function productIndex(scores: readonly number[], m: number, settings: IndexSettings): ProductIndex {
  const n = scores.length;
  const c = settings.priorWeight;
  const value = (c * m + scores.reduce((a, b) => a + b, 0)) / (c + n);
  const spread = n >= 2 ? Math.sqrt(scores.reduce((a, x) => a + (x - mean(scores)) ** 2, 0) / (n - 1)) : PRIOR_SPREAD;
  const half = (BAND_Z * spread) / Math.sqrt(c + n);
  return {
    value: round2(value),
    ratings: n,
    low: round2(Math.max(0, value - half)),
    high: round2(Math.min(10, value + half)),
    platformMean: round2(m),
    priorWeight: c,
  };
}

export interface LaunchGate {
  minIndex: number;
  minRatings: number;
}

/** Whether a concept may be launched without an operator's override: its index and its number of ratings both reach the gate. */
export const passesGate = (index: ProductIndex, gate: LaunchGate): boolean => index.value >= gate.minIndex && index.ratings >= gate.minRatings;
