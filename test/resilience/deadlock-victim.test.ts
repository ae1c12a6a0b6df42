import { createConnection, type Connection } from 'mysql2/promise';
import { randomUUID } from 'node:crypto';
import { waitFor } from '../support/wait';
import { Fleet } from './support/fleet';
import { sqlRows } from './support/invariants';

/**
 * A transaction chosen by MariaDB as a deadlock victim, while its statements were sent back to back
 * (the hot paths pipeline a transaction's independent statements with Promise.all on its connection).
 * MariaDB rolls the victim back whole, at once; the statements already queued behind the failed one
 * then run outside any transaction and, in autocommit mode, commit on their own, before Database
 * retries the work. Nothing of a failed attempt may survive it: here, a marker row written by every
 * attempt must exist exactly once.
 */
let fleet: Fleet;
let other: Connection;
const campaignId = randomUUID();

beforeAll(async () => {
  fleet = await Fleet.start();
  const url = new URL(fleet.env.DATABASE_URL);
  other = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: fleet.schema,
  });
  // Rows to fight over: the per-consumer unit counters are a plain table with a simple key.
  const rows = Array.from({ length: 8 }, (_, i) => ({ campaign_id: campaignId, user_id: `row-${i}`, units: 0 }));
  await fleet.t.db.statement((tx) => fleet.t.db.insertRows(tx, 'campaign_consumer_units', rows));
}, 120_000);
afterAll(async () => {
  await other?.end();
  await fleet?.close();
}, 60_000);

test('a deadlock victim whose statements were pipelined leaves nothing of its failed attempt behind', async () => {
  const { db } = fleet.t;
  // The other transaction holds row-1 and has changed more rows, so MariaDB picks ours as the victim.
  await other.query('START TRANSACTION');
  // One row per statement, by its whole key: a range of keys would lock every row it scans, row-2 included.
  for (const row of ['row-1', 'row-3', 'row-4', 'row-5', 'row-6', 'row-7'])
    await other.query('UPDATE campaign_consumer_units SET units = units + 1 WHERE campaign_id = ? AND user_id = ?', [campaignId, row]);

  let attempts = 0;
  let ourConnection: number | undefined;
  const ours = db.transaction(async (tx) => {
    attempts += 1;
    ourConnection ??= Number((await db.sql<{ id: number }>(tx, 'SELECT CONNECTION_ID() AS id')).rows[0].id);
    await db.sql(tx, 'UPDATE campaign_consumer_units SET units = units + 1 WHERE campaign_id = ? AND user_id = ?', [campaignId, 'row-2']);
    // Back to back on one connection: the first waits for row-1, the marker is queued behind it.
    await Promise.all([
      db.sql(tx, 'UPDATE campaign_consumer_units SET units = units + 1 WHERE campaign_id = ? AND user_id = ?', [campaignId, 'row-1']),
      db.sql(tx, 'INSERT INTO campaign_consumer_units (campaign_id, user_id, units) VALUES (?, ?, 0)', [campaignId, `marker-${randomUUID().slice(0, 8)}`]),
    ]);
  });
  const waitingForRow1 = async () =>
    ourConnection !== undefined &&
    (
      await sqlRows(
        fleet.t,
        "SELECT 1 FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ? AND trx_state = 'LOCK WAIT' AND trx_rows_modified = 1",
        [ourConnection],
      )
    ).length === 1;
  await waitFor(waitingForRow1, 30_000, 'our transaction to wait for row-1');
  // Closing the cycle: the other transaction now waits for row-2, which ours holds. One of them dies.
  await other.query('UPDATE campaign_consumer_units SET units = units + 1 WHERE campaign_id = ? AND user_id = ?', [campaignId, 'row-2']);
  await other.query('COMMIT');
  await ours;

  // Our work ran twice (the deadlock, then the retry) and must have left exactly one attempt's writes.
  expect(attempts).toBe(2);
  const markers = await sqlRows(fleet.t, "SELECT user_id FROM campaign_consumer_units WHERE campaign_id = ? AND user_id LIKE 'marker-%'", [campaignId]);
  expect(markers).toHaveLength(1);
  const units = Object.fromEntries(
    (await sqlRows(fleet.t, "SELECT user_id, units FROM campaign_consumer_units WHERE campaign_id = ? AND user_id IN ('row-1', 'row-2')", [campaignId])).map(
      (r) => [r.user_id, Number(r.units)],
    ),
  );
  expect(units).toEqual({ 'row-1': 2, 'row-2': 2 });
}, 120_000);

test('after the victim, the connections of the pool still commit single statements on their own', async () => {
  // A transaction must hand its connection back as it found it (autocommit on), or later writes outside
  // transactions would never commit.
  const { db } = fleet.t;
  await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      db.statement((tx) => db.sql(tx, 'UPDATE campaign_consumer_units SET units = ? WHERE campaign_id = ? AND user_id = ?', [100 + i, campaignId, 'row-0'])),
    ),
  );
  const [{ units }] = await sqlRows(fleet.t, "SELECT units FROM campaign_consumer_units WHERE campaign_id = ? AND user_id = 'row-0'", [campaignId]);
  expect(Number(units)).toBeGreaterThanOrEqual(100);
  // Seen from another connection: committed, not pending in a transaction nobody will end.
  const [seen] = await other.query("SELECT units FROM campaign_consumer_units WHERE campaign_id = ? AND user_id = 'row-0'", [campaignId]);
  expect(Number((seen as { units: number }[])[0].units)).toBe(Number(units));
}, 60_000);
