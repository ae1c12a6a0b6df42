// docs/benchmarks/README.md: one table over every benchmark's last result (its JSON file), rewritten
// after each run, so the report is always what the files say.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CloseBenchResult } from './close';
import type { ForecastBenchResult } from './forecast';
import type { JobsBenchResult } from './jobs';
import type { PledgeBenchResult } from './pledges';
import type { SoakResult } from './soak';
import type { StorefrontBenchResult } from './storefront';
import type { SubscriptionBenchResult } from './subscriptions';
import type { Machine, PeakRss } from './support';

interface Row {
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
}

type Results = {
  pledges?: PledgeBenchResult;
  close?: CloseBenchResult;
  forecast?: ForecastBenchResult;
  subscriptions?: SubscriptionBenchResult;
  jobs?: JobsBenchResult;
  storefront?: StorefrontBenchResult;
  soak?: SoakResult;
};

const n = (x: number) => x.toLocaleString('en');

/** Each benchmark's rows: the figure, the same figure for its baseline measured in the same run, and their ratio. */
const ROWS: { [K in keyof Results]-?: (r: NonNullable<Results[K]>) => Row[] } = {
  pledges: (r) => {
    const s = r.sizes[0];
    const last = r.sizes.at(-1)!;
    return [
      {
        figure: `pledges accepted per second, spike on one hot campaign (${r.connections} connections, ${n(s.existingPledges)} pledges in the database)`,
        value: n(s.service.acceptedPerSecond),
        baseline: `${n(s.raw.acceptedPerSecond)} (raw, one transaction per pledge); ${n(s.grouped.acceptedPerSecond)} (raw, grouped transactions)`,
        ratio: `${s.ratioToRaw}× / ${s.ratioToGrouped}× throughput`,
        target: `≥ 3× the first: ${s.ratioToRaw >= 3 ? 'met' : 'missed'}; ${s.service.serverErrors} × 5xx`,
      },
      {
        figure: 'pledge latency p99 under that spike (ms)',
        value: String(s.service.latencyMs.p99),
        baseline: `${s.raw.latencyMs.p99}; ${s.grouped.latencyMs.p99}`,
        ratio: `${ratio(s.raw.latencyMs.p99, s.service.latencyMs.p99)}× faster than the first`,
        target: `≤ 150 ms: ${s.service.latencyMs.p99 <= 150 ? 'met' : 'missed'}`,
      },
      {
        figure: `the same with ${n(last.existingPledges)} pledges in the database: accepted per second`,
        value: n(last.service.acceptedPerSecond),
        baseline: `${n(last.raw.acceptedPerSecond)}; ${n(last.grouped.acceptedPerSecond)}`,
        ratio: `${last.ratioToRaw}× / ${last.ratioToGrouped}× throughput`,
        target: `cost per pledge as the data grows: ${r.growth.service}`,
      },
    ];
  },
  close: (r) =>
    r.sizes.map((s) => ({
      figure: `campaign close: ${n(s.pledges)} pledges settled per second`,
      value: n(s.service.pledgesPerSecond),
      baseline: `${n(s.baseline.pledgesPerSecond)} (raw mysql2, same writes)`,
      ratio: `${s.ratio}× throughput`,
      target: `${s.service.seconds} s in all, peak RSS ${s.service.peakRssMiB} MiB${s.pledges === 100_000 ? ` (≥ 1×: ${s.ratio >= 1 ? 'met' : 'missed'})` : ''}`,
    })),
  forecast: (r) => {
    const s = r.sizes.at(-1)!;
    return [
      {
        figure: `live forecast p95 at ${n(s.pledges)} pledges (ms, service call)`,
        value: String(s.live.serviceMs.p95),
        baseline: `${s.live.naiveServiceMs.p95} (full scan of the pledges)`,
        ratio: `${s.live.naiveOverIncrementalP95}× faster`,
        target: `HTTP p95 ${s.live.httpMs.p95} ms < 50 ms: ${s.targets.liveP95Under50Ms ? 'met' : 'missed'}`,
      },
      {
        figure: `GET /v1/factory/forecast at ${r.connections} connections, ${n(s.pledges)} pledges (requests/s)`,
        value: n(s.load.service.requestsPerSecond),
        baseline: `${n(s.load.baseline.requestsPerSecond)} (raw node:http + mysql2, the same reads)`,
        ratio: `${s.load.ratio}× throughput`,
        target: `p95 ${s.load.service.latencyMs.p95} ms (baseline ${s.load.baseline.latencyMs.p95} ms)`,
      },
      {
        figure: `forecast batch publish, ${n(s.publish.lines)} lines, ${n(s.pledges)} pledges (ms)`,
        value: n(s.publish.incrementalMs),
        baseline: `${n(s.publish.naiveMs)} (full scan)`,
        ratio: `${ratio(s.publish.naiveMs, s.publish.incrementalMs)}× faster`,
        target: `< 5 s: ${s.targets.publishUnder5s ? 'met' : 'missed'}`,
      },
      {
        figure: `growth over ${r.sizes.map((z) => n(z.pledges)).join(' / ')} pledges ([chart](${r.chart}))`,
        value: `live (tallies): ${r.growth.live}`,
        baseline: `full scan: ${r.growth.naive}`,
        ratio: '',
        target: `HTTP p95 at ${r.connections} connections: ${r.growth.httpLoad}`,
      },
    ];
  },
  subscriptions: (r) => {
    // The target is issue #5's: 100,000 subscriptions; the largest size otherwise.
    const s = r.sizes.find((z) => z.subscriptions === 100_000) ?? r.sizes.at(-1)!;
    return [
      {
        figure: `fruit boxes planned per second, 4 weeks for ${n(s.subscriptions)} subscriptions`,
        value: n(s.service.boxesPerSecond),
        baseline: `${n(s.baseline.boxesPerSecond)} (the planner alone, no database)`,
        ratio: `${s.ratio}× throughput`,
        target:
          s.subscriptions === 100_000
            ? `${s.service.seconds} s (target < 60 s): ${s.service.seconds < 60 ? 'met' : 'missed'}`
            : `${s.service.seconds} s (the target, < 60 s, is for 100,000: not measured)`,
      },
      {
        figure: `planning growth over ${r.sizes.map((z) => n(z.subscriptions)).join(' / ')} subscriptions ([chart](${r.chart}))`,
        value: `job: ${r.growth.service}`,
        baseline: `planner alone: ${r.growth.baseline}`,
        ratio: '',
        target: `job's peak RSS ${r.sizes.map((z) => `${n(z.peakRssMiB.job)}`).join(' / ')} MiB`,
      },
    ];
  },
  jobs: (r) => [
    {
      figure: `${n(r.rows)} refunds due at once: sent per second, latest sent after its due time`,
      value: `${n(r.service.refunds.perSecond)}/s, max ${r.service.refunds.lateMs.max} ms late`,
      baseline: `${n(r.baseline.refundsPerSecond)}/s (direct calls, no job platform)`,
      ratio: `${ratio(r.service.refunds.perSecond, r.baseline.refundsPerSecond)}× throughput`,
      target: `all within 60 s: ${r.service.refunds.done === r.rows && r.service.refunds.lateMs.max <= 60_000 ? 'met' : 'missed'}`,
    },
    {
      figure: `${n(r.rows)} pledge expiries due at once: units released per second, latest after its due time`,
      value: `${n(r.service.expiries.perSecond)}/s, max ${r.service.expiries.lateMs.max} ms late`,
      baseline: `${n(r.baseline.expiriesPerSecond)}/s (direct calls, no job platform)`,
      ratio: `${ratio(r.service.expiries.perSecond, r.baseline.expiriesPerSecond)}× throughput`,
      target: `all within 60 s: ${r.service.expiries.done === r.rows && r.service.expiries.lateMs.max <= 60_000 ? 'met' : 'missed'}`,
    },
  ],
  storefront: (r) => [
    {
      figure: `one hot campaign: page + progress reads per second (${r.connections} connections, cache ≤ ${r.cacheMs} ms)`,
      value: n(r.service.readsPerSecond),
      baseline: `${n(r.baseline.readsPerSecond)} (raw node:http, the same bytes from memory)`,
      ratio: `${r.ratio}× throughput`,
      target: `${r.database.cacheLoadsPerSecond} campaign reads/s from the database under that load (≤ 1 per second per key); cache off: ${n(r.withoutCache.readsPerSecond)} reads/s, ${n(r.withoutCache.databaseReadsPerSecond)} database reads/s`,
    },
    {
      figure: `growth: the same reads with the campaign's pledges at ${r.growth.map((g) => n(g.pledges)).join(' / ')} ([chart](${r.chart}))`,
      value: r.growth.map((g) => n(g.service.readsPerSecond)).join(' / '),
      baseline: r.growth.map((g) => n(g.baseline.readsPerSecond)).join(' / '),
      ratio: r.growth.map((g) => `${g.ratio}×`).join(' / '),
      target: `cost per read: service ${r.growthVerdicts.service}; baseline ${r.growthVerdicts.baseline}`,
    },
  ],
  soak: (r) => [
    {
      figure: `soak, ${r.minutes} min of mixed load: service RSS (MiB) after the warm-up, first → last window`,
      value: `${r.rssAfterWarmUp.firstMiB} → ${r.rssAfterWarmUp.lastMiB} (${r.rssAfterWarmUp.perMinuteMiB} MiB/min)`,
      baseline: `${r.rssMiB.first} after the warm-up window`,
      ratio: `${ratio(r.rssAfterWarmUp.lastMiB, r.rssAfterWarmUp.firstMiB)}×: ${r.rssAfterWarmUp.flat ? 'flat' : 'NOT flat'}`,
      target: `${r.totals.serverErrors} × 5xx in ${n(r.totals.requests)} requests; ledger ${r.ledgerReconciles ? 'reconciles' : 'does NOT reconcile'}`,
    },
    {
      figure: 'soak: p99 per kind in the last window (ms)',
      value: Object.entries(r.windows.at(-1)!.p99Ms)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      baseline: '',
      ratio: '',
      target: '',
    },
  ],
};

/** "service 212 MiB, bench process 840 MiB" */
export function peakRssSentence(peak: PeakRss): string {
  return [...(peak.service !== undefined ? [`service ${n(peak.service)} MiB`] : []), `bench process ${n(peak.benchProcess)} MiB`].join(', ');
}

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

export function benchmarkReport(dir: string): string {
  const results: Results = {};
  for (const name of Object.keys(ROWS) as (keyof Results)[]) {
    const file = path.join(dir, `${name}.json`);
    if (existsSync(file)) Object.assign(results, { [name]: JSON.parse(readFileSync(file, 'utf8')) });
  }
  const lines = (Object.keys(ROWS) as (keyof Results)[]).flatMap((name) => {
    const result = results[name] as (Results[typeof name] & { measuredAt: string; machine: Machine; peakRssMiB?: PeakRss }) | undefined;
    if (!result) return [`| ${name} | not run yet | | | | | | \`npm run bench -- ${name}\` |`];
    const m = result.machine;
    const machine = `${m.cpus} × ${m.cpuModel}${'memoryGiB' in m ? `, ${m.memoryGiB} GiB` : ''}, ${m.database}`;
    const peak = result.peakRssMiB ? peakRssSentence(result.peakRssMiB) : 'not measured';
    let rows: Row[];
    try {
      rows = (ROWS[name] as (r: typeof result) => Row[])(result);
    } catch {
      // A result written before its benchmark's format changed: the table says so rather than failing every run.
      return [`| ${name} | result in an older format (${result.measuredAt.slice(0, 10)}): re-run | | | | | | \`npm run bench -- ${name}\` |`];
    }
    // The peak belongs to the whole run, so only its first row says it.
    return rows.map(
      (row, i) =>
        `| ${row.figure} | ${row.value} | ${row.baseline} | ${row.ratio} | ${row.target} | ${i === 0 ? peak : ''} | ${machine}, ${result.measuredAt.slice(0, 10)} | \`npm run bench -- ${name}\` ([details](${name}.md)) |`,
    );
  });
  return `# Benchmarks

Every figure next to its baseline, measured in the same run on the same machine (these machines are
shared and noisy: compare the ratios, not the absolute numbers). \`npm run bench\` runs them all
(most of an hour with the growth sizes, MariaDB at BENCH_DATABASE_URL, default mysql://root@127.0.0.1:3306/test);
\`npm run bench -- <name>\` runs one. Each writes \`<name>.json\` and \`<name>.md\` here and rewrites this table.
Peak RSS is the kernel's high-water mark (VmHWM) over the benchmark's run: of the service process it started, if it
started one, and of the bench process (which seeds the data, and is the service itself where the benchmark runs it in process).

| figure | value | baseline (same run) | ratio | target / note | peak RSS (the run) | machine, date | reproduce |
|---|---|---|---|---|---|---|---|
${lines.join('\n')}
`;
}
