/**
 * The 潘多拉-style product index (docs/selection.md § The index): pure, unit-tested in test/unit/concept-index.test.ts.
 *
 * A rating's score is the mean of its four dimensions (0–10). A concept's index is the Bayesian average of its
 * scores toward the platform mean m, weighted as C ratings of m: (C·m + Σx) / (C + n). A few enthusiastic
 * ratings move it little; many ratings move it to their own mean. m is the mean of the rated concepts' own
 * means (each concept counts once, so one much-rated concept does not set everyone's prior), `defaultMean`
 * while no concept has a rating.
 *
 * The value and m are computed exactly (fraction.js, from the integer dimensions) and rounded half up to two
 * decimals: in floating point a mean of exactly 4.975 is 4.97499…, shown as 4.97, and the launch gate compares
 * what is shown. The band involves a square root, so its half-width is floating point, rounded the same way.
 */
import { type Exact, Fraction } from '../platform/exact';

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

export const scoreOf = (d: Dimensions): Exact => new Fraction(d.performance + d.priceAcceptance + d.design + d.packaging, 4);

/** A figure as shown: rounded half up to two decimals. */
export const shown2 = (x: Exact): number => x.round(2).valueOf();

const sum = (xs: readonly Exact[]): Exact => xs.reduce((a, b) => a.add(b), new Fraction(0));

/** m: the mean of the rated concepts' mean scores, or the default while none is rated. */
export function platformMean(conceptMeans: readonly Exact[], settings: IndexSettings): Exact {
  return conceptMeans.length === 0 ? new Fraction(settings.defaultMean) : sum(conceptMeans).div(conceptMeans.length);
}

export function productIndex(scores: readonly Exact[], m: Exact, settings: IndexSettings): ProductIndex {
  const n = scores.length;
  const c = settings.priorWeight;
  const value = m
    .mul(c)
    .add(sum(scores))
    .div(c + n);
  const own = n === 0 ? 0 : sum(scores).div(n).valueOf();
  const spread = n >= 2 ? Math.sqrt(scores.reduce((a, x) => a + (x.valueOf() - own) ** 2, 0) / (n - 1)) : PRIOR_SPREAD;
  const half = new Fraction((BAND_Z * spread) / Math.sqrt(c + n));
  const low = value.sub(half);
  const high = value.add(half);
  return {
    value: shown2(value),
    ratings: n,
    low: shown2(low.compare(0) < 0 ? new Fraction(0) : low),
    high: shown2(high.compare(10) > 0 ? new Fraction(10) : high),
    platformMean: shown2(m),
    priorWeight: c,
  };
}

export interface LaunchGate {
  minIndex: number;
  minRatings: number;
}

/** Whether a concept may be launched without an operator's override: its index and its number of ratings both reach the gate. */
export const passesGate = (index: ProductIndex, gate: LaunchGate): boolean => index.value >= gate.minIndex && index.ratings >= gate.minRatings;
