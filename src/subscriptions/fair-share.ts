/**
 * Sharing a shortfall fairly: when an orchard commits fewer units than the boxes of a week need, every
 * box gets the same share of what it asked for (not first come, first served), in whole units by the
 * largest-remainder method; ties go to the larger need, then to the box id, so the result is
 * deterministic and never more than is available.
 */
export function fairShares(available: number, needs: readonly { id: string; units: number }[]): Map<string, number> {
  const total = needs.reduce((sum, n) => sum + n.units, 0);
  if (available >= total) return new Map(needs.map((n) => [n.id, n.units]));
  const units = Math.max(0, Math.floor(available));
  // Each exact share is units × need ÷ total: kept as its whole part and its remainder over total, integers both,
  // so that equal remainders compare equal (in floating point 3 × 1 ÷ 9 and 3 × 4 ÷ 9 − 1 do not).
  const exact = needs.map((n) => {
    const remainder = total === 0 ? 0 : (units * n.units) % total;
    return { ...n, whole: total === 0 ? 0 : (units * n.units - remainder) / total, remainder };
  });
  const shares = new Map(exact.map((n) => [n.id, n.whole]));
  let left = units - [...shares.values()].reduce((sum, s) => sum + s, 0);
  const byRemainder = [...exact].sort((a, b) => b.remainder - a.remainder || b.units - a.units || byCodeUnits(a.id, b.id));
  for (const n of byRemainder) {
    if (left <= 0) break;
    shares.set(n.id, shares.get(n.id)! + 1);
    left -= 1;
  }
  return shares;
}

/** A total order on ids: localeCompare is not one (it finds "a" and "a\u0001" equal), and the tie-break must not depend on input order. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
