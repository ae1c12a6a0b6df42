// The practical ceiling of this machine for a pledge: raw node:http + mysql2, no framework, no ORM, no
// auth, doing the same database writes as the service's pledge path, one transaction per pledge. Its job
// rows carry names no worker runs, so the service measured after it does not inherit its work.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createPool } from 'mysql2/promise';
import { businessDay } from '../../src/platform/calendar';

const pool = createPool({ uri: process.env.BENCH_DATABASE_URL!, connectionLimit: 20, timezone: 'Z' });
const campaignId = process.env.BASELINE_CAMPAIGN_ID!;
const userId = '00000000-0000-4000-8000-00000000b0b0';

async function pledge(key: string, quantity: number): Promise<number> {
  const now = new Date();
  const id = randomUUID();
  const paymentId = randomUUID();
  const idem = randomUUID();
  await pool.query(
    'INSERT INTO idempotency_keys (id, subject, idem_key, request_hash, state, locked_at, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [idem, `user:${userId}`, key, 'x'.repeat(64), 'in_flight', now, now, new Date(now.getTime() + 86_400_000)],
  );
  const conn = await pool.getConnection();
  let status = 201;
  try {
    await conn.beginTransaction();
    await conn.query(
      "INSERT INTO payments (id, kind, provider, pledge_id, campaign_id, user_id, amount_fen, status, created_at) VALUES (?, 'deposit', 'sandbox', ?, ?, ?, ?, 'pending', ?)",
      [paymentId, id, campaignId, userId, 10000 * quantity, now],
    );
    await conn.query(
      "INSERT INTO jobs (id, name, priority, next_run_at, type, dedupe_key, fail_count, data, disabled, created_at) VALUES (?, 'bench.baseline-confirm', 0, ?, 'normal', ?, 0, ?, 0, ?)",
      [randomUUID(), now, `c:${paymentId}`, JSON.stringify({ paymentId }), now],
    );
    await conn.query(
      "INSERT INTO pledges (id, campaign_id, user_id, variant_key, quantity, status, deposit_per_unit_fen, deposit_fen, deposit_payment_id, expires_at, created_at, updated_at) VALUES (?, ?, ?, 'colour=black;size=M', ?, 'awaiting_deposit', 10000, ?, ?, ?, ?, ?)",
      [id, campaignId, userId, quantity, 10000 * quantity, paymentId, new Date(now.getTime() + 900_000), now, now],
    );
    await conn.query(
      "INSERT INTO jobs (id, name, priority, next_run_at, type, dedupe_key, fail_count, data, disabled, created_at) VALUES (?, 'bench.baseline-expire', 0, ?, 'normal', ?, 0, ?, 0, ?)",
      [randomUUID(), new Date(now.getTime() + 900_000), `e:${id}`, JSON.stringify({ pledgeId: id }), now],
    );
    // The running totals the service keeps in the pledge's transaction (src/pledges/tallies.ts).
    await conn.query(
      'INSERT INTO pledge_tallies (campaign_id, variant_key, awaiting_deposit_units) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE awaiting_deposit_units = awaiting_deposit_units + VALUES(awaiting_deposit_units)',
      [campaignId, 'colour=black;size=M', quantity],
    );
    await conn.query(
      'INSERT INTO pledge_days (campaign_id, day, pledged_units, pledges) VALUES (?, ?, ?, 1) ON DUPLICATE KEY UPDATE pledged_units = pledged_units + VALUES(pledged_units), pledges = pledges + 1',
      [campaignId, businessDay(now), quantity],
    );
    const [result] = await conn.query(
      "UPDATE campaigns SET reserved_units = reserved_units + ? WHERE id = ? AND status IN ('scheduled', 'open') AND (max_units IS NULL OR reserved_units + ? <= max_units)",
      [quantity, campaignId, quantity],
    );
    if ((result as { affectedRows: number }).affectedRows !== 1) {
      status = 409;
      await conn.rollback();
    } else {
      await conn.commit();
    }
  } catch (error) {
    await conn.rollback();
    throw error;
  } finally {
    conn.release();
  }
  await pool.query("UPDATE idempotency_keys SET state = 'completed', response_status = ?, response_body = ? WHERE id = ?", [status, '{}', idem]);
  return status;
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
