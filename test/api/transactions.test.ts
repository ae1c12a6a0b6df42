import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/app';

/**
 * A transaction's statements are sent back to back (Promise.all on its connection), some of them in
 * chains (a read, then a write that depends on it). When one statement fails, the transaction is rolled
 * back; a chain still running beside it must not get its next statement in after the rollback, where it
 * would run outside the transaction and be committed on its own (on MySQL by the SET autocommit = 1 that
 * hands the connection back; on SQLite at once) while the rest was undone.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const campaignId = randomUUID();
const markers = async () =>
  (
    await t.db.read((tx) =>
      t.db.sql<{ user_id: string }>(tx, "SELECT user_id FROM campaign_consumer_units WHERE campaign_id = ? AND user_id LIKE 'marker-%'", [campaignId]),
    )
  ).rows;
const slowRead = () =>
  t.db.dialect === 'mysql'
    ? 'SELECT SLEEP(0.2) AS slept'
    : 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT COUNT(*) AS slept FROM n';

test('a statement that fails beside a chain of statements leaves nothing of the chain behind', async () => {
  const attempt = t.db.transaction(async (tx) => {
    await Promise.all([
      t.db.sql(tx, 'SELECT * FROM no_such_table'),
      (async () => {
        await t.db.sql(tx, slowRead());
        await t.db.sql(tx, 'INSERT INTO campaign_consumer_units (campaign_id, user_id, units) VALUES (?, ?, 0)', [
          campaignId,
          `marker-${randomUUID().slice(0, 8)}`,
        ]);
      })(),
    ]);
  });
  await expect(attempt).rejects.toThrow(/no_such_table/);
  // Long enough for the chain to have sent its INSERT, had it been let through.
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(await markers()).toEqual([]);
});

test('the connections still commit single statements and transactions afterwards', async () => {
  await t.db.transaction((tx) =>
    t.db.sql(tx, 'INSERT INTO campaign_consumer_units (campaign_id, user_id, units) VALUES (?, ?, 0)', [campaignId, 'marker-committed']),
  );
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      t.db.statement((tx) =>
        t.db.sql(tx, 'INSERT INTO campaign_consumer_units (campaign_id, user_id, units) VALUES (?, ?, 0)', [campaignId, `marker-single-${i}`]),
      ),
    ),
  );
  expect((await markers()).map((r) => r.user_id).sort()).toEqual(['marker-committed', ...Array.from({ length: 10 }, (_, i) => `marker-single-${i}`)].sort());
});
