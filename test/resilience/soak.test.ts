import { benchSoak } from '../bench/soak';

/**
 * A short soak in CI (SOAK_MINUTES, default 2, in 30 s windows; `npm run bench -- soak` runs 10 minutes
 * and reports memory and p99): mixed load on the real service, no request answered 5xx or dropped in
 * any window, and the ledger reconciles afterwards. On MariaDB, like every benchmark.
 */
test('mixed load for a while: no 5xx, no dropped request, the ledger reconciles', async () => {
  const result = await benchSoak(Number(process.env.SOAK_MINUTES ?? 2), 30);
  expect(result.windows.length).toBeGreaterThanOrEqual(2);
  for (const w of result.windows) {
    expect(w.requests).toBeGreaterThan(0);
    expect({ window: w.window, serverErrors: w.serverErrors, transportErrors: w.transportErrors }).toEqual({
      window: w.window,
      serverErrors: 0,
      transportErrors: 0,
    });
  }
  for (const kind of ['pledges', 'campaign reads', 'forecast', 'subscription changes'])
    expect(Object.keys(result.totals.statuses[kind] ?? {}).some((s) => s.startsWith('2'))).toBe(true);
  expect(result.violations).toEqual([]);
  expect(result.ledgerReconciles).toBe(true);
});
