// The practical ceiling of this machine for GET /v1/factory/forecast: raw node:http + mysql2 (a pool the
// size of the service's), no framework, no ORM, no auth, making the same reads as the live forecast (the
// factory's campaigns, its orchard fruits, the campaigns' variant tallies and day tallies) and answering the
// rows as JSON, without the projection the service computes from them.
import { createServer } from 'node:http';
import { createPool } from 'mysql2/promise';

const pool = createPool({ uri: process.env.BENCH_DATABASE_URL!, connectionLimit: 20, timezone: 'Z' });
const factoryId = process.env.BASELINE_FACTORY_ID!;

async function forecast(): Promise<string> {
  const [campaigns] = (await pool.query(
    "SELECT * FROM campaigns WHERE factory_id = ? AND status IN ('scheduled', 'open', 'succeeded', 'failed', 'cancelled', 'completed') ORDER BY closes_at, id",
    [factoryId],
  )) as unknown as [{ id: string }[]];
  const [fruits] = await pool.query('SELECT id FROM fruits WHERE orchard_id = ?', [factoryId]);
  const ids = campaigns.map((c) => c.id);
  const [tallies] = await pool.query('SELECT * FROM pledge_tallies WHERE campaign_id IN (?) ORDER BY campaign_id, variant_key', [ids]);
  const [days] = await pool.query('SELECT * FROM pledge_days WHERE campaign_id IN (?) ORDER BY campaign_id, day', [ids]);
  return JSON.stringify({ campaigns, fruits, tallies, days });
}

const server = createServer((req, res) => {
  if (req.url !== '/forecast') {
    res.writeHead(404).end();
    return;
  }
  forecast().then(
    (body) => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(body),
    (error: Error) => res.writeHead(500).end(error.message),
  );
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
