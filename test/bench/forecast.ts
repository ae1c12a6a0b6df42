import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { In } from 'typeorm';
import { FactoryWebhooks } from '../../src/factories';
import { ForecastBatchRow, ForecastLineRow, ForecastService } from '../../src/forecasts';
import { type DayTally, PledgeTallies, type VariantTally } from '../../src/pledges';
import { PLEDGE_STATUSES, type PledgeStatus } from '../../src/pledges/pledge.entity';
import { type Clock, systemClock } from '../../src/platform/clock';
import { Metrics } from '../../src/platform/http';
import { Jobs } from '../../src/platform/jobs';
import { SecretBox } from '../../src/platform/secret-box';
import type { Tx } from '../../src/platform/database';
import { createLogger } from '../../src/platform/logger';
import { type Machine, aBenchCampaign, benchApp, benchDatabase, percentile, timeRepeated } from './support';

/**
 * A factory with 1,000,000 pledges over 50 campaigns of 40 variants: the live forecast and a batch
 * publish read the running tallies; the same code fed by a full scan of the pledges (the naive way)
 * is measured in the same run, and both must give the same forecast.
 */
const CAMPAIGNS = Number(process.env.BENCH_CAMPAIGNS ?? 50);
const PLEDGES_PER_CAMPAIGN = Number(process.env.BENCH_PLEDGES_PER_CAMPAIGN ?? 20_000);
const COLOURS = ['black', 'navy', 'olive', 'sand', 'red'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL', '3XL', '4XL'];
const DAY = 86_400_000;

export interface ForecastBenchResult {
  name: 'forecast';
  measuredAt: string;
  machine: Machine;
  size: { campaigns: number; variantsPerCampaign: number; pledges: number; seedSeconds: number };
  live: { httpMs: Latency; serviceMs: Latency; naiveServiceMs: Latency; naiveOverIncrementalP95: number };
  publish: { incrementalMs: number; naiveMs: number; unchangedMs: number; lines: number };
  targets: { liveP95Under50Ms: boolean; publishUnder5s: boolean };
  sameForecast: boolean;
}

interface Latency {
  runs: number;
  p50: number;
  p95: number;
}

/** The tallies the naive way: every request scans the factory's pledges. */
class ScanningTallies extends PledgeTallies {
  override async byVariant(tx: Tx, campaignIds: readonly string[]): Promise<Map<string, VariantTally[]>> {
    const result = new Map<string, VariantTally[]>(campaignIds.map((id) => [id, []]));
    if (campaignIds.length === 0) return result;
    const rows = (await tx.query(
      `SELECT campaign_id, variant_key, status, SUM(quantity) AS units FROM pledges WHERE campaign_id IN (${campaignIds.map(() => '?').join(',')})
       GROUP BY campaign_id, variant_key, status ORDER BY campaign_id, variant_key`,
      [...campaignIds],
    )) as { campaign_id: string; variant_key: string; status: PledgeStatus; units: string }[];
    for (const row of rows) {
      const list = result.get(row.campaign_id)!;
      let tally = list.find((t) => t.variantKey === row.variant_key);
      if (!tally)
        list.push((tally = { variantKey: row.variant_key, ...(Object.fromEntries(PLEDGE_STATUSES.map((s) => [s, 0])) as Record<PledgeStatus, number>) }));
      tally[row.status] = Number(row.units);
    }
    return result;
  }

  override async byDay(tx: Tx, campaignIds: readonly string[]): Promise<Map<string, DayTally[]>> {
    const result = new Map<string, DayTally[]>(campaignIds.map((id) => [id, []]));
    if (campaignIds.length === 0) return result;
    const rows = (await tx.query(
      `${DAYS_SQL} WHERE campaign_id IN (${campaignIds.map(() => '?').join(',')}) GROUP BY campaign_id, day ORDER BY campaign_id, day`,
      [...campaignIds],
    )) as {
      campaign_id: string;
      day: string;
      pledged: string;
      pledges: string;
      paid: string;
    }[];
    for (const r of rows)
      result.get(r.campaign_id)!.push({ day: r.day, pledgedUnits: Number(r.pledged), pledges: Number(r.pledges), depositPaidUnits: Number(r.paid) });
    return result;
  }
}

// China has no daylight saving: a fixed +08:00 is Asia/Shanghai. Seeded deposits are paid on the day of the pledge.
const DAYS_SQL = `SELECT campaign_id, DATE_FORMAT(CONVERT_TZ(created_at, '+00:00', '+08:00'), '%Y-%m-%d') AS day, SUM(quantity) AS pledged, COUNT(*) AS pledges,
  SUM(CASE WHEN status IN ('active', 'awaiting_balance', 'paid', 'forfeited', 'refunded') THEN quantity ELSE 0 END) AS paid FROM pledges`;

export async function benchForecast(): Promise<ForecastBenchResult> {
  const { db, url, machine } = await benchDatabase('c2m_bench_forecast');
  const app = benchApp(db, url, { PASSWORD_HASH_MEMORY_KIB: '64', PASSWORD_HASH_ITERATIONS: '1' });
  const { config } = app;
  const { campaigns, factories, forecasts } = app.services;

  const seedStarted = performance.now();
  const factory = await factories.create({ name: 'Bench factory', kind: 'manufacturer', contactEmail: 'bench@example.com' });
  await factories.addUser(factory.id, { email: 'planner@bench.example', password: 'bench password 1' });
  const now = Date.now();
  const campaignIds: string[] = [];
  for (let i = 0; i < CAMPAIGNS; i++) {
    const campaign = await aBenchCampaign(campaigns, {
      factoryId: factory.id,
      title: `Bench campaign ${i + 1}`,
      options: [
        { name: 'colour', values: COLOURS },
        { name: 'size', values: SIZES },
      ],
      tiers: [
        { minUnits: 1000, unitPrice: '900.00' },
        { minUnits: 10_000, unitPrice: '700.00' },
      ],
      opensAt: new Date(now - 20 * DAY),
      closesAt: new Date(now + 10 * DAY),
      expectedShipDate: new Date(now + (30 + (i % 8) * 7) * DAY).toISOString().slice(0, 10),
    });
    campaignIds.push(campaign.id);
  }
  console.error(`seeding ${CAMPAIGNS * PLEDGES_PER_CAMPAIGN} pledges…`);
  await seedPledges(db, campaignIds, now);
  await db.statement((tx) =>
    tx.query(
      `INSERT INTO pledge_tallies (campaign_id, variant_key, ${PLEDGE_STATUSES.map((s) => `${s}_units`).join(', ')})
     SELECT campaign_id, variant_key, ${PLEDGE_STATUSES.map((s) => `SUM(CASE WHEN status = '${s}' THEN quantity ELSE 0 END)`).join(', ')} FROM pledges GROUP BY campaign_id, variant_key`,
    ),
  );
  await db.statement((tx) =>
    tx.query(`INSERT INTO pledge_days (campaign_id, day, pledged_units, pledges, deposit_paid_units) ${DAYS_SQL} GROUP BY campaign_id, day`),
  );
  const seedSeconds = Math.round((performance.now() - seedStarted) / 100) / 10;
  console.error(`seeded in ${seedSeconds} s`);

  // The same service, fed by a scan of the pledges: its own job registry, as a second process would have.
  const forecastService = (tallies: PledgeTallies, clock: Clock) =>
    new ForecastService({
      db,
      clock,
      campaigns,
      factories,
      tallies,
      sources: [],
      config: config.forecasts,
      jobs: new Jobs(db, createLogger('silent'), new Metrics({ processMetrics: false }), config.jobs),
      webhooks: new FactoryWebhooks({
        db,
        clock,
        box: new SecretBox('bench-auth-secret-0123456789-0123456789', 'factory-webhook-secrets'),
        allowPrivateAddresses: false,
        timeoutMs: config.forecasts.webhookTimeoutMs,
      }),
    });
  const naive = forecastService(new ScanningTallies(db), systemClock);

  // The two must agree before their speed means anything. The clock is pinned so that the projections match.
  const pinned: Clock = { now: () => new Date(now) };
  const [fromTallies, fromScan] = await Promise.all([
    forecastService(new PledgeTallies(db), pinned).live(factory.id),
    forecastService(new ScanningTallies(db), pinned).live(factory.id),
  ]);
  const sameForecast = JSON.stringify(fromTallies) === JSON.stringify(fromScan);

  const server = app.http.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const login = await fetch(`${base}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'planner@bench.example', password: 'bench password 1' }),
  });
  const { token } = (await login.json()) as { token: string };
  const get = async () => {
    const res = await fetch(`${base}/v1/factory/forecast`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`forecast answered ${res.status}`);
    await res.arrayBuffer();
  };
  await timeRepeated(5, get);
  const http = await timeRepeated(100, get);
  const service = await timeRepeated(100, () => forecasts.live(factory.id));
  const scan = await timeRepeated(10, () => naive.live(factory.id));
  server.close();

  const timeOnce = async (fn: () => Promise<unknown>) => (await timeRepeated(1, fn))[0];
  const clearBatches = () =>
    db.transaction(async (tx) => {
      const ids = (await tx.find(ForecastBatchRow, { select: { id: true }, where: { factoryId: factory.id } })).map((b) => b.id);
      if (ids.length > 0) await tx.delete(ForecastLineRow, { batchId: In(ids) });
      await tx.delete(ForecastBatchRow, { factoryId: factory.id });
    });
  const naiveMs = await timeOnce(() => naive.publish(factory.id, 'operator'));
  await clearBatches();
  const incrementalMs = await timeOnce(() => forecasts.publish(factory.id, 'operator'));
  const unchangedMs = await timeOnce(() => forecasts.publish(factory.id, 'operator'));
  const lines = (await db.read((tx) => tx.findOneByOrFail(ForecastBatchRow, { factoryId: factory.id }))).lineCount;
  await db.close();

  const latency = (sorted: number[]): Latency => ({ runs: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95) });
  const result: ForecastBenchResult = {
    name: 'forecast',
    measuredAt: new Date().toISOString(),
    machine,
    size: { campaigns: CAMPAIGNS, variantsPerCampaign: COLOURS.length * SIZES.length, pledges: CAMPAIGNS * PLEDGES_PER_CAMPAIGN, seedSeconds },
    live: {
      httpMs: latency(http),
      serviceMs: latency(service),
      naiveServiceMs: latency(scan),
      naiveOverIncrementalP95: Math.round((percentile(scan, 95) / percentile(service, 95)) * 10) / 10,
    },
    publish: { incrementalMs: Math.round(incrementalMs), naiveMs: Math.round(naiveMs), unchangedMs: Math.round(unchangedMs), lines },
    targets: { liveP95Under50Ms: percentile(http, 95) < 50, publishUnder5s: incrementalMs < 5000 },
    sameForecast,
  };
  return result;
}

/** A million pledges in multi-row INSERTs: 20 days of pledging, mostly paid, some cancelled or expired, the last minutes awaiting deposit. */
async function seedPledges(db: Awaited<ReturnType<typeof benchDatabase>>['db'], campaignIds: string[], now: number): Promise<void> {
  const columns = [
    'id',
    'campaign_id',
    'user_id',
    'variant_key',
    'quantity',
    'status',
    'deposit_per_unit_fen',
    'deposit_fen',
    'deposit_payment_id',
    'expires_at',
    'created_at',
    'updated_at',
  ];
  const variants = COLOURS.flatMap((colour) => SIZES.map((size) => `colour=${colour};size=${size}`));
  let random = 42;
  // A fixed pseudo-random sequence: every run seeds the same shape of data.
  const next = () => (random = (random * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const CHUNK = 2000;
  for (const campaignId of campaignIds) {
    for (let offset = 0; offset < PLEDGES_PER_CAMPAIGN; offset += CHUNK) {
      const values: unknown[] = [];
      const rows = Math.min(CHUNK, PLEDGES_PER_CAMPAIGN - offset);
      for (let i = 0; i < rows; i++) {
        const createdAt = new Date(now - next() * 20 * DAY);
        const quantity = 1 + Math.floor(next() * 2);
        const roll = next();
        const status: PledgeStatus =
          now - createdAt.getTime() < 15 * 60_000 ? 'awaiting_deposit' : roll < 0.9 ? 'active' : roll < 0.96 ? 'cancelled' : 'expired';
        // Popular variants sell more: a skew toward the first ones.
        const variant = variants[Math.floor(next() ** 2 * variants.length)];
        values.push(
          randomUUID(),
          campaignId,
          `u-${Math.floor(next() * 50_000)}`,
          variant,
          quantity,
          status,
          10_000,
          10_000 * quantity,
          randomUUID(),
          new Date(createdAt.getTime() + 15 * 60_000),
          createdAt,
          createdAt,
        );
      }
      const placeholders = Array.from({ length: rows }, () => `(${columns.map(() => '?').join(',')})`).join(',');
      await db.statement((tx) => tx.query(`INSERT INTO pledges (${columns.join(',')}) VALUES ${placeholders}`, values));
    }
  }
}

export function forecastMarkdown(r: ForecastBenchResult): string {
  return `# Benchmark: live forecast and batch publish at ${r.size.pledges.toLocaleString('en')} pledges

Measured ${r.measuredAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.database}.
One factory, ${r.size.campaigns} open campaigns × ${r.size.variantsPerCampaign} variants, ${r.size.pledges.toLocaleString('en')} pledges (seeded in ${r.size.seedSeconds} s).
The baseline is the same forecast code fed by a full scan of the pledges (GROUP BY over the factory's pledges on every request) instead of the running tallies.
Command: \`npm run bench -- forecast\` (MariaDB at BENCH_DATABASE_URL, default mysql://root@127.0.0.1:3306/test).

| measure | tallies (as built) | full scan (naive) | naive / tallies |
|---|---|---|---|
| live forecast, service call, p50 ms | ${r.live.serviceMs.p50} | ${r.live.naiveServiceMs.p50} | |
| live forecast, service call, p95 ms | ${r.live.serviceMs.p95} | ${r.live.naiveServiceMs.p95} | ${r.live.naiveOverIncrementalP95} |
| live forecast over HTTP (GET /v1/factory/forecast), p50 / p95 ms | ${r.live.httpMs.p50} / ${r.live.httpMs.p95} | | |
| batch publish (${r.publish.lines} lines), ms | ${r.publish.incrementalMs} | ${r.publish.naiveMs} | ${Math.round((r.publish.naiveMs / r.publish.incrementalMs) * 10) / 10} |
| publish when nothing changed (no new version), ms | ${r.publish.unchangedMs} | | |

Runs: ${r.live.httpMs.runs} HTTP requests, ${r.live.serviceMs.runs} service calls, ${r.live.naiveServiceMs.runs} naive calls, one after another.
Targets (issue #4): live forecast p95 under 50 ms: **${r.targets.liveP95Under50Ms ? 'met' : 'missed'}**; a batch published in under 5 s: **${r.targets.publishUnder5s ? 'met' : 'missed'}**.
Both ways give the same forecast: **${r.sameForecast ? 'yes' : 'NO'}**.
`;
}
