/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/**
 * The lower bound of the Wilson score interval (95%) of a share: `part` of `total` marks. What the 红黑榜 rank by
 * (docs/selection.md § Ranking): 1 red of 1 gives 0.21, 8 of 10 gives 0.49, 80 of 100 gives 0.71, so a few
 * marks never outrank many that say the same. 0 for no marks.
 */
export function wilsonLowerBound(part: number, total: number): number {
  if (total === 0) return 0;
  const share = part / total;
  const z2 = Z95 * Z95;
  const centre = share + z2 / (2 * total);
  const margin = Z95 * Math.sqrt((share * (1 - share)) / total + z2 / (4 * total * total));
  return (centre - margin) / (1 + z2 / total);
}
