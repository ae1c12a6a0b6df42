// The two baselines of the pledge benchmark: raw node:http + mysql2, no framework, no ORM, no auth, doing the
// same database writes as the service's pledge path. BASELINE_MODE=raw: one transaction per pledge (the
// obvious way). BASELINE_MODE=grouped: the pledges arriving together coalesced into one transaction with one
// multi-row statement per table, as the service's group commit does (the ceiling of this machine for these
// writes). Its job rows carry names no worker runs, so the service measured after it does not inherit its work.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createPool, type PoolConnection } from 'mysql2/promise';
import { businessDay } from '../../src/platform/calendar';

const pool = createPool({ uri: process.env.BENCH_DATABASE_URL!, connectionLimit: 20, timezone: 'Z' });
const campaignId = process.env.BASELINE_CAMPAIGN_ID!;
const grouped = process.env.BASELINE_MODE === 'grouped';
const userId = '00000000-0000-4000-8000-00000000b0b0';
const VARIANT = 'colour=black;size=M';
const MAX_BATCH = 100;

interface Pledge {
  key: string;
  quantity: number;
  at: Date;
  id: string;
  paymentId: string;
  idem: string;
}

const rows = (n: number, columns: number) => Array.from({ length: n }, () => `(${Array(columns).fill('?').join(', ')})`).join(', ');

/** The writes of a set of pledges: each statement multi-row, in the given connection's transaction; false if the cap refused them. */
async function write(conn: PoolConnection, pledges: Pledge[]): Promise<boolean> {
  const units = pledges.reduce((n, p) => n + p.quantity, 0);
  const now = pledges[0].at;
  await conn.query(
    `INSERT INTO payments (id, kind, provider, pledge_id, campaign_id, user_id, amount_fen, status, created_at) VALUES ${rows(pledges.length, 9)}`,
    pledges.flatMap((p) => [p.paymentId, 'deposit', 'sandbox', p.id, campaignId, userId, 10000 * p.quantity, 'pending', p.at]),
  );
  await conn.query(
    `INSERT INTO jobs (id, name, priority, next_run_at, type, dedupe_key, fail_count, data, disabled, created_at) VALUES ${rows(pledges.length, 10)}`,
    pledges.flatMap((p) => [
      randomUUID(),
      'bench.baseline-confirm',
      0,
      p.at,
      'normal',
      `c:${p.paymentId}`,
      0,
      JSON.stringify({ paymentId: p.paymentId }),
      0,
      p.at,
    ]),
  );
  await conn.query(
    `INSERT INTO pledges (id, campaign_id, user_id, variant_key, quantity, status, deposit_per_unit_fen, deposit_fen, deposit_payment_id, expires_at, created_at, updated_at) VALUES ${rows(pledges.length, 12)}`,
    pledges.flatMap((p) => [
      p.id,
      campaignId,
      userId,
      VARIANT,
      p.quantity,
      'awaiting_deposit',
      10000,
      10000 * p.quantity,
      p.paymentId,
      new Date(p.at.getTime() + 900_000),
      p.at,
      p.at,
    ]),
  );
  await conn.query(
    `INSERT INTO jobs (id, name, priority, next_run_at, type, dedupe_key, fail_count, data, disabled, created_at) VALUES ${rows(pledges.length, 10)}`,
    pledges.flatMap((p) => [
      randomUUID(),
      'bench.baseline-expire',
      0,
      new Date(p.at.getTime() + 900_000),
      'normal',
      `e:${p.id}`,
      0,
      JSON.stringify({ pledgeId: p.id }),
      0,
      p.at,
    ]),
  );
  // The running totals the service keeps in the pledge's transaction (src/pledges/tallies.ts).
  await conn.query(
    'INSERT INTO pledge_tallies (campaign_id, variant_key, awaiting_deposit_units) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE awaiting_deposit_units = awaiting_deposit_units + VALUES(awaiting_deposit_units)',
    [campaignId, VARIANT, units],
  );
  await conn.query(
    'INSERT INTO pledge_days (campaign_id, day, pledged_units, pledges) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE pledged_units = pledged_units + VALUES(pledged_units), pledges = pledges + VALUES(pledges)',
    [campaignId, businessDay(now), units, pledges.length],
  );
  const [result] = await conn.query(
    "UPDATE campaigns SET reserved_units = reserved_units + ? WHERE id = ? AND status IN ('scheduled', 'open') AND (max_units IS NULL OR reserved_units + ? <= max_units)",
    [units, campaignId, units],
  );
  return (result as { affectedRows: number }).affectedRows === 1;
}

/** The pledges' transaction, between their idempotency records' insert and completion (each one statement, on its own). */
async function place(pledges: Pledge[]): Promise<number> {
  await pool.query(
    `INSERT INTO idempotency_keys (id, subject, idem_key, request_hash, state, locked_at, created_at, expires_at) VALUES ${rows(pledges.length, 8)}`,
    pledges.flatMap((p) => [p.idem, `user:${userId}`, p.key, 'x'.repeat(64), 'in_flight', p.at, p.at, new Date(p.at.getTime() + 86_400_000)]),
  );
  const conn = await pool.getConnection();
  let status = 201;
  try {
    await conn.beginTransaction();
    if (await write(conn, pledges)) await conn.commit();
    else {
      status = 409;
      await conn.rollback();
    }
  } catch (error) {
    await conn.rollback();
    throw error;
  } finally {
    conn.release();
  }
  const ids = pledges.map((p) => p.idem);
  await pool.query(
    `UPDATE idempotency_keys SET state = 'completed', response_status = ?, response_body = '{}' WHERE id IN (${ids.map(() => '?').join(', ')})`,
    [status, ...ids],
  );
  return status;
}

// Grouped: one batch in flight, the next one forming behind it (as the service's GroupCommit per campaign).
const queue: { pledge: Pledge; done(status: number): void; fail(error: unknown): void }[] = [];
let draining = false;
async function drain(): Promise<void> {
  draining = true;
  while (queue.length > 0) {
    const batch = queue.splice(0, MAX_BATCH);
    await place(batch.map((b) => b.pledge)).then(
      (status) => batch.forEach((b) => b.done(status)),
      (error: unknown) => batch.forEach((b) => b.fail(error)),
    );
  }
  draining = false;
}

function pledge(key: string, quantity: number): Promise<number> {
  const p = { key, quantity, at: new Date(), id: randomUUID(), paymentId: randomUUID(), idem: randomUUID() };
  if (!grouped) return place([p]);
  return new Promise((done, fail) => {
    queue.push({ pledge: p, done, fail });
    if (!draining) void drain();
  });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { quantity?: number };
    pledge(String(req.headers['idempotency-key']), body.quantity ?? 1).then(
      (status) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status }));
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
