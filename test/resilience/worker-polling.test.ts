import type { Pool } from 'mysql2';
import { startTestApp, type TestApp } from '../support/app';

/**
 * Agenda polls every job name at once, on a timer that does not wait for the last poll to end. On a loaded
 * machine the polls overlapped, their claim transactions took every connection of the pool, and the jobs they
 * had claimed and the API's requests waited behind the next polls' claims: a CI run saw jobs cancelled after
 * their lock lifetime and a ledger read hang for minutes. However often the worker polls, its claims must
 * leave the pool to the work.
 */
let t: TestApp;

beforeAll(async () => {
  // The fastest poll the configuration allows, over every job name the app defines (nothing is due).
  t = await startTestApp({ env: { JOBS_POLL_INTERVAL_MS: '50' }, runsWorker: true });
}, 120_000);
afterAll(() => t?.close(), 60_000);

test("a worker polling every 50 ms over all its job names holds at most six of the pool's connections, and a read is answered meanwhile", async () => {
  const pool = (t.db.dataSource.driver as unknown as { pool: Pool & { _allConnections: { length: number }; _freeConnections: { length: number } } }).pool;
  const inUse = () => pool._allConnections.length - pool._freeConnections.length;
  let most = 0;
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    most = Math.max(most, inUse());
    await new Promise((resolve) => setImmediate(resolve));
  }
  const jobNames = (await t.db.read((tx) => tx.query('SELECT COUNT(DISTINCT name) AS n FROM jobs'))) as { n: number | string }[];
  expect(Number(jobNames[0].n)).toBeGreaterThan(10);
  expect(most).toBeGreaterThan(0);
  // Three claims at once; a connection goes back to the pool one round trip after its COMMIT (Database.transaction).
  expect(most).toBeLessThanOrEqual(6);
  await t.http.get('/v1/campaigns').expect(200);
});
