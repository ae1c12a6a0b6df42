/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/**
 * The lower bound of the Wilson score interval (95%) of a share: `part` of `total` marks. What the 红黑榜 rank by
 * (docs/selection.md § Ranking): 1 red of 1 gives 0.21, 8 of 10 gives 0.49, 80 of 100 gives 0.71, so a few
 * marks never outrank many that say the same. 0 for no marks.
 *
 * Exactly 0 when `part` is 0: in floating point the formula leaves ~3e-17 for some totals (3, 6, 7, 12), which
 * would order subjects tied at 0 by noise instead of by the board's tie-breaks.
 */
export function wilsonLowerBound(part: number, total: number): number {
  if (part === 0) return 0;
  const share = part / total;
  const z2 = Z95 * Z95;
  const centre = share + z2 / (2 * total);
  const margin = Z95 * Math.sqrt((share * (1 - share)) / total + z2 / (4 * total * total));
  return Math.min(1, Math.max(0, (centre - margin) / (1 + z2 / total)));
}

/** A bound as shown and ranked by: four decimals, enough to rank by and to read; subjects shown tied are tied. */
export function shownBound(bound: number): number {
  return Math.round(bound * 10_000) / 10_000;
}
