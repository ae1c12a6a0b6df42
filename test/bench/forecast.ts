import { fork } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import path from 'node:path';
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
import { describeGrowth, writeGrowthChart } from './growth';
import {
  type LoadResult,
  type Machine,
  type PeakRss,
  aBenchCampaign,
  benchApp,
  benchDatabase,
  call,
  freePort,
  load,
  peakRssMiB,
  percentile,
  DAYS_SQL,
  resetPeakRss,
  seedPledges,
  startBenchService,
  timeRepeated,
} from './support';

/**
 * A factory with 50 campaigns of 40 variants, its pledges grown 10× at a time (10,000, 100,000 and
 * 1,000,000 by default; BENCH_FORECAST_PLEDGES=100000,1000000,10000000 adds ten million: seeding the last
 * nine million took 12 minutes on a 2-core machine, and the scans at that size minutes each). At each size: the live forecast and a batch publish read
 * the running tallies; the same code fed by a full scan of the pledges (the naive way) is measured in the
 * same run, and both must give the same forecast; GET /v1/factory/forecast is loaded at CONNECTIONS
 * connections against the real service (its own process) and against raw node:http + mysql2 making the
 * same reads (forecast-baseline-server.ts).
 */
const REGISTER = path.join(__dirname, '../support/register-ts.js');
const CAMPAIGNS = Number(process.env.BENCH_CAMPAIGNS ?? 50);
const SIZES_PLEDGES = (process.env.BENCH_FORECAST_PLEDGES ?? '10000,100000,1000000').split(',').map(Number);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const COLOURS = ['black', 'navy', 'olive', 'sand', 'red'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL', '3XL', '4XL'];
const DAY = 86_400_000;
const PLANNER = { email: 'planner@bench.example', password: 'bench password 1' };

export interface ForecastBenchResult {
  name: 'forecast';
  measuredAt: string;
  machine: Machine;
  campaigns: number;
  variantsPerCampaign: number;
  connections: number;
  seconds: number;
  sizes: ForecastAtSize[];
  growth: Record<GrowthSeries, string>;
  chart: string;
}

type GrowthSeries = 'live' | 'naive' | 'httpLoad' | 'baselineLoad' | 'publish' | 'naivePublish';

export interface ForecastAtSize {
  pledges: number;
  seedSeconds: number;
  /** The machine's 1-minute load average when this size's measurements began (2 cores shared with other work: above 2, everything waits). */
  loadAverage: number;
  live: { httpMs: Latency; serviceMs: Latency; naiveServiceMs: Latency; naiveOverIncrementalP95: number };
  /** GET /v1/factory/forecast at CONNECTIONS connections: the service, and raw node:http + mysql2 making the same reads. */
  load: { service: LoadSide; baseline: LoadSide; ratio: number };
  publish: { incrementalMs: number; naiveMs: number; unchangedMs: number; lines: number };
  targets: { liveP95Under50Ms: boolean; publishUnder5s: boolean };
  sameForecast: boolean;
  /** While this size was seeded and measured. */
  peakRssMiB: PeakRss;
}

interface Latency {
  runs: number;
  p50: number;
  p95: number;
}

interface LoadSide {
  requestsPerSecond: number;
  requests: number;
  notOk: number;
  statuses: Record<string, number>;
  latencyMs: LoadResult['latencyMs'];
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

export async function benchForecast(): Promise<ForecastBenchResult> {
  const { db, url, machine } = await benchDatabase('c2m_bench_forecast');
  const app = benchApp(db, url, { PASSWORD_HASH_MEMORY_KIB: '64', PASSWORD_HASH_ITERATIONS: '1' });
  const { config } = app;
  const { campaigns, factories, forecasts } = app.services;

  const factory = await factories.create({ name: 'Bench factory', kind: 'manufacturer', contactEmail: 'bench@example.com' });
  await factories.addUser(factory.id, PLANNER);
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
  // The clock is pinned for the comparison, so that the two projections match.
  const pinned: Clock = { now: () => new Date(now) };

  const service = await startBenchService(url);
  const baselinePort = await freePort();
  const baseline = fork(path.join(__dirname, 'forecast-baseline-server.ts'), [], {
    execArgv: ['-r', REGISTER],
    env: { ...process.env, PORT: String(baselinePort), BENCH_DATABASE_URL: url, BASELINE_FACTORY_ID: factory.id },
  });
  await once(baseline, 'message');
  const sizes: ForecastAtSize[] = [];
  try {
    const token = (await call('POST', `${service.api}/v1/auth/login`, PLANNER)).token as string;
    const get = async () => {
      const res = await fetch(`${service.api}/v1/factory/forecast`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`forecast answered ${res.status}`);
      await res.arrayBuffer();
    };
    let seeded = 0;
    for (const pledges of [...SIZES_PLEDGES].sort((a, b) => a - b)) {
      resetPeakRss();
      resetPeakRss(service.child.pid);
      console.error(`seeding pledges ${seeded + 1} to ${pledges}…`);
      const seedStarted = performance.now();
      await seedPledges(db, {
        campaignIds,
        variants: COLOURS.flatMap((colour) => SIZES.map((size) => `colour=${colour};size=${size}`)),
        from: seeded + 1,
        to: pledges,
        now,
      });
      seeded = pledges;
      const seedSeconds = Math.round((performance.now() - seedStarted) / 100) / 10;
      console.error(`seeded in ${seedSeconds} s; measuring at ${pledges} pledges`);
      const loadAverage = Math.round(loadavg()[0] * 10) / 10;

      // The two must agree before their speed means anything; the scan's time is the first naive run.
      const fromTallies = await forecastService(new PledgeTallies(db), pinned).live(factory.id);
      let fromScan: unknown;
      const checkMs = (await timeRepeated(1, async () => (fromScan = await forecastService(new ScanningTallies(db), pinned).live(factory.id))))[0];
      const sameForecast = JSON.stringify(fromTallies) === JSON.stringify(fromScan);
      // A scan of 10M pledges takes minutes: fewer runs the larger the table (p95 of one run is that run).
      const scan = [checkMs, ...(await timeRepeated(pledges <= 100_000 ? 9 : pledges <= 1_000_000 ? 2 : 0, () => naive.live(factory.id)))].sort(
        (a, b) => a - b,
      );

      await timeRepeated(5, get);
      const http = await timeRepeated(100, get);
      const serviceCalls = await timeRepeated(100, () => forecasts.live(factory.id));

      const loadOf = async (base: string, route: string, bearer?: string) => {
        const scenarios = [{ name: 'forecast', connections: CONNECTIONS, requests: [{ method: 'GET' as const, path: route, token: bearer }] }];
        await load({ base, durationSeconds: WARMUP_SECONDS, scenarios });
        return loadSide((await load({ base, durationSeconds: SECONDS, scenarios })).forecast);
      };
      console.error(`GET forecast at ${CONNECTIONS} connections: baseline, then the service`);
      const baselineLoad = await loadOf(`http://127.0.0.1:${baselinePort}`, '/forecast');
      const serviceLoad = await loadOf(service.api, '/v1/factory/forecast', token);

      const timeOnce = async (fn: () => Promise<unknown>) => (await timeRepeated(1, fn))[0];
      const clearBatches = () =>
        db.transaction(async (tx) => {
          const ids = (await tx.find(ForecastBatchRow, { select: { id: true }, where: { factoryId: factory.id } })).map((b) => b.id);
          if (ids.length > 0) await tx.delete(ForecastLineRow, { batchId: In(ids) });
          await tx.delete(ForecastBatchRow, { factoryId: factory.id });
        });
      await clearBatches();
      const naiveMs = await timeOnce(() => naive.publish(factory.id, 'operator'));
      await clearBatches();
      const incrementalMs = await timeOnce(() => forecasts.publish(factory.id, 'operator'));
      const unchangedMs = await timeOnce(() => forecasts.publish(factory.id, 'operator'));
      const lines = (await db.read((tx) => tx.findOneByOrFail(ForecastBatchRow, { factoryId: factory.id }))).lineCount;

      const latency = (sorted: number[]): Latency => ({ runs: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95) });
      sizes.push({
        pledges,
        seedSeconds,
        loadAverage,
        live: {
          httpMs: latency(http),
          serviceMs: latency(serviceCalls),
          naiveServiceMs: latency(scan),
          naiveOverIncrementalP95: Math.round((percentile(scan, 95) / percentile(serviceCalls, 95)) * 10) / 10,
        },
        load: { service: serviceLoad, baseline: baselineLoad, ratio: Math.round((serviceLoad.requestsPerSecond / baselineLoad.requestsPerSecond) * 100) / 100 },
        publish: { incrementalMs: Math.round(incrementalMs), naiveMs: Math.round(naiveMs), unchangedMs: Math.round(unchangedMs), lines },
        targets: { liveP95Under50Ms: percentile(http, 95) < 50, publishUnder5s: incrementalMs < 5000 },
        sameForecast,
        peakRssMiB: { benchProcess: peakRssMiB(), service: peakRssMiB(service.child.pid) },
      });
      console.error(JSON.stringify(sizes.at(-1)));
    }
  } finally {
    baseline.kill('SIGTERM');
    await service.stop();
    await db.close();
  }

  const points = (y: (s: ForecastAtSize) => number) => sizes.map((s) => ({ x: s.pledges, y: Math.max(0.1, y(s)) }));
  const series: Record<GrowthSeries, { name: string; points: { x: number; y: number }[] }> = {
    live: { name: 'live forecast, tallies: p95 of a service call', points: points((s) => s.live.serviceMs.p95) },
    naive: { name: 'live forecast, full scan: p95', points: points((s) => s.live.naiveServiceMs.p95) },
    httpLoad: { name: `GET /v1/factory/forecast at ${CONNECTIONS} conn.: p95`, points: points((s) => s.load.service.latencyMs.p95) },
    baselineLoad: { name: `raw node:http + mysql2 at ${CONNECTIONS} conn.: p95`, points: points((s) => s.load.baseline.latencyMs.p95) },
    publish: { name: 'batch publish, tallies', points: points((s) => s.publish.incrementalMs) },
    naivePublish: { name: 'batch publish, full scan', points: points((s) => s.publish.naiveMs) },
  };
  const chart = writeGrowthChart('forecast', {
    title: 'Factory forecast: cost by pledges in the database',
    xLabel: 'pledges',
    yLabel: 'milliseconds',
    logY: true,
    series: Object.values(series),
  });
  return {
    name: 'forecast',
    measuredAt: new Date().toISOString(),
    machine,
    campaigns: CAMPAIGNS,
    variantsPerCampaign: COLOURS.length * SIZES.length,
    connections: CONNECTIONS,
    seconds: SECONDS,
    sizes,
    growth: Object.fromEntries(Object.entries(series).map(([key, s]) => [key, sizes.length > 1 ? describeGrowth(s.points) : 'one size only'])) as Record<
      GrowthSeries,
      string
    >,
    chart,
  };
}

function loadSide(r: LoadResult): LoadSide {
  const ok = r.statuses['200'] ?? 0;
  return {
    requestsPerSecond: Math.round(ok / r.durationSeconds),
    requests: r.requests,
    notOk: r.requests - ok + r.errors,
    statuses: { ...r.statuses, ...(r.errors > 0 ? { errors: r.errors } : {}), ...(r.timeouts > 0 ? { timeouts: r.timeouts } : {}) },
    latencyMs: r.latencyMs,
  };
}

export function forecastMarkdown(r: ForecastBenchResult): string {
  const n = (x: number) => x.toLocaleString('en');
  const all = (pass: (s: ForecastAtSize) => boolean) =>
    r.sizes.every(pass)
      ? 'met at every size'
      : `missed at ${r.sizes
          .filter((s) => !pass(s))
          .map((s) => n(s.pledges))
          .join(', ')} pledges`;
  return `# Benchmark: the factory forecast at ${r.sizes.map((s) => n(s.pledges)).join(', ')} pledges

Measured ${r.measuredAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.database}.
One factory, ${r.campaigns} open campaigns × ${r.variantsPerCampaign} variants; its pledges grown 10× at a time, measured at each size.
Baselines, measured in the same run at each size: for the forecast itself, the same code fed by a full scan of the pledges
(GROUP BY over the factory's pledges on every request) instead of the running tallies; for GET /v1/factory/forecast at
${r.connections} connections (${r.seconds} s after a 3 s warm-up, from a second process), raw node:http + mysql2 making the same reads
and answering the rows (no auth, no projection). The service runs as its own process in production mode.
Command: \`npm run bench -- forecast\` (BENCH_FORECAST_PLEDGES, 10000,100000,1000000 by default; MariaDB at BENCH_DATABASE_URL).

![forecast cost by pledges](${r.chart})

| pledges | load average | seeded in s | live p95 ms, tallies (service call) | live p95 ms, full scan | full scan / tallies | GET forecast one at a time, p50 / p95 ms | GET forecast at ${r.connections} conn.: service req/s (p95 ms) | baseline req/s (p95 ms) | service / baseline | publish ms: tallies / full scan / unchanged | peak RSS MiB: service, bench process |
|---|---|---|---|---|---|---|---|---|---|---|---|
${r.sizes
  .map(
    (s) =>
      `| ${n(s.pledges)} | ${s.loadAverage} | ${s.seedSeconds} | ${s.live.serviceMs.p95} | ${s.live.naiveServiceMs.p95} (${s.live.naiveServiceMs.runs} runs) | ${s.live.naiveOverIncrementalP95} | ${s.live.httpMs.p50} / ${s.live.httpMs.p95} | ${n(s.load.service.requestsPerSecond)} (${s.load.service.latencyMs.p95}) | ${n(s.load.baseline.requestsPerSecond)} (${s.load.baseline.latencyMs.p95}) | ${s.load.ratio} | ${n(s.publish.incrementalMs)} / ${n(s.publish.naiveMs)} / ${n(s.publish.unchangedMs)} (${n(s.publish.lines)} lines) | ${s.peakRssMiB.service}, ${s.peakRssMiB.benchProcess} |`,
  )
  .join('\n')}

How each cost grows (the slope of log cost against log size, test/bench/growth.ts: under 0.2 flat, under 0.8 sub-linear, to 1.2 linear):
- Live forecast from the tallies: **${r.growth.live}**. It reads a row per campaign and variant and a row per campaign and day
  (at most ${n(r.campaigns * r.variantsPerCampaign)} + ${r.campaigns} × 21 here), however many pledges there are: the pledges never enter it.
- The same from a full scan: **${r.growth.naive}**. Every request reads every pledge of the factory's campaigns, twice (by variant and
  by day): linear in the pledges once they dominate. At the small size the forecast's own fixed cost (what the tallies path costs in all)
  is most of the time, which bends the fitted slope below 1: the last step is the one to read. At a million pledges the table (about
  500 MiB with its indexes) is already larger than the database's buffer pool${r.machine.bufferPoolMiB ? ` (${r.machine.bufferPoolMiB} MiB here)` : ''}.
- GET /v1/factory/forecast at ${r.connections} connections, p95: **${r.growth.httpLoad}**; the raw baseline making the same reads: **${r.growth.baselineLoad}**.
  Both read only the tallies; the service's gap to the baseline is the projection it computes from them and the HTTP stack, not the data.
- Batch publish from the tallies: **${r.growth.publish}**; from a full scan: **${r.growth.naivePublish}**.

Answers under load by status: ${r.sizes.map((s) => `${n(s.pledges)}: service ${JSON.stringify(s.load.service.statuses)}, baseline ${JSON.stringify(s.load.baseline.statuses)}`).join('; ')}.
The load average is the machine's when each size's measurements began: with 2 cores, above 2 every process waited for a core.
A scan of millions of pledges takes many seconds, so the full scan runs fewer times the larger the table (its runs are in the table; the
first is the check that both ways give the same forecast); with one run its p95 is that run. Peak RSS is each size's own (the kernel's high-water
mark, reset before the size was seeded): the service process, and the bench process (seeding, the full-scan forecast, the service calls).
Targets (issue #4): live forecast p95 over HTTP under 50 ms: **${all((s) => s.targets.liveP95Under50Ms)}**; a batch published in under 5 s: **${all((s) => s.targets.publishUnder5s)}**.
Both ways give the same forecast: **${r.sizes.every((s) => s.sameForecast) ? 'yes, at every size' : 'NO'}**.
`;
}
