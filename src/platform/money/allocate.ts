import { Decimal, fromFen, toFen } from './money';

/**
 * Splits `total` over parts in proportion to `weights` so that the parts sum exactly to the whole
 * (largest-remainder method, in fen). Ties in the remainder go to the earlier part, so the result is
 * deterministic.
 */
export function allocate(total: Decimal, weights: readonly (Decimal | number)[]): Decimal[] {
  if (weights.length === 0) throw new RangeError('allocate needs at least one weight');
  const ws = weights.map((w) => new Decimal(w));
  if (ws.some((w) => w.isNegative() || !w.isFinite())) throw new RangeError('weights must be finite and non-negative');
  const weightSum = ws.reduce((a, b) => a.plus(b), new Decimal(0));
  if (weightSum.isZero()) throw new RangeError('weights must not all be zero');

  const totalFen = new Decimal(toFen(total));
  const exact = ws.map((w) => totalFen.times(w).dividedBy(weightSum));
  // Round toward zero so that, for a negative total too, the leftover has the sign of the total.
  const parts = exact.map((share) => share.truncated());
  // A count of fen to hand out, smaller than the number of parts: safe as a number.
  let leftover = totalFen.minus(parts.reduce((a, b) => a.plus(b), new Decimal(0))).toNumber();
  const step = leftover >= 0 ? 1 : -1;
  const order = exact
    .map((share, index) => ({ index, remainder: share.minus(parts[index]).abs() }))
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || a.index - b.index);
  for (let i = 0; leftover !== 0; i++, leftover -= step) {
    const { index } = order[i % order.length];
    parts[index] = parts[index].plus(step);
  }
  return parts.map((fen) => fromFen(fen.toFixed(0)));
}
