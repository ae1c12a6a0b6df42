// `npm run bench`: runs every benchmark (`npm run bench -- pledges`: one) and writes each result as JSON and
// Markdown to docs/benchmarks/, then the table of them all (docs/benchmarks/README.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchClose, closeMarkdown } from './close';
import { benchForecast, forecastMarkdown } from './forecast';
import { benchJobs, jobsMarkdown } from './jobs';
import { benchPledges, type PledgeBenchResult } from './pledges';
import { benchmarkReport, peakRssSentence } from './report';
import { benchSoak, soakMarkdown } from './soak';
import { benchStorefront, storefrontMarkdown } from './storefront';
import { benchSubscriptions, subscriptionsMarkdown } from './subscriptions';
import { type PeakRss, peakRssMiB, resetPeakRss, takeServicePeaksMiB } from './support';

/** Each benchmark: its result (written as JSON) and its report (Markdown). */
const BENCHES: Record<string, () => Promise<{ result: object; report: string }>> = {
  pledges: async () => {
    const result = await benchPledges();
    return { result, report: markdown(result) };
  },
  forecast: async () => {
    const result = await benchForecast();
    return { result, report: forecastMarkdown(result) };
  },
  close: async () => {
    const result = await benchClose();
    return { result, report: closeMarkdown(result) };
  },
  soak: async () => {
    const result = await benchSoak();
    return { result, report: soakMarkdown(result) };
  },
  subscriptions: async () => {
    const result = await benchSubscriptions();
    return { result, report: subscriptionsMarkdown(result) };
  },
  jobs: async () => {
    const result = await benchJobs();
    return { result, report: jobsMarkdown(result) };
  },
  storefront: async () => {
    const result = await benchStorefront();
    return { result, report: storefrontMarkdown(result) };
  },
};

function markdown(r: PledgeBenchResult): string {
  const row = (name: string, s: PledgeBenchResult['service']) =>
    `| ${name} | ${s.acceptedPerSecond} | ${s.latencyMs.p50} | ${s.latencyMs.p95} | ${s.latencyMs.p99} | ${s.requests} | ${s.accepted} | ${s.refused} | ${s.serverErrors} |`;
  return `# Benchmark: a spike of pledges on one hot campaign

Measured ${r.measuredAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, ${r.machine.database}.
${r.connections} connections for ${r.seconds} s after a 3 s warm-up, load from a second process (autocannon),
every request a new pledge of one unit with a fresh Idempotency-Key (the service rotates 200 consumers' tokens).
Command: \`npm run bench -- pledges\` (MariaDB at BENCH_DATABASE_URL, default mysql://root@127.0.0.1:3306/test).

| server | accepted pledges/s | p50 ms | p95 ms | p99 ms | requests | accepted (201) | refused (4xx) | 5xx / errors |
|---|---|---|---|---|---|---|---|---|
${row('baseline: raw node:http + mysql2, same writes, no auth', r.baseline)}
${row('service: Express + TypeORM, POST /v1/campaigns/:id/pledges, sandbox auto-confirm on', r.service)}

**Service / baseline throughput: ${r.ratio}** (measured in the same run; the machine is shared, so compare ratios, not absolute numbers).

Correctness after the spike: ${r.correctness.acceptedResponses} pledges answered 201, ${r.correctness.pledgesInDatabase} in the database, ${r.correctness.reservedUnits} units reserved on the campaign row
(${r.correctness.oversold ? '**MISMATCH**' : 'no oversell, nothing lost'}). The ${r.correctness.inFlightAtStop} pledges more than answered were in flight when the load generator
stopped (after the warm-up and after the run: at most 2 × ${r.connections} connections) and committed after their client stopped listening; after the sandbox confirmed every deposit the ledger ${r.correctness.ledgerReconciles ? 'reconciles' : `**does not reconcile**: ${r.correctness.violations.join('; ')}`}.
`;
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  const dir = path.join(__dirname, '../../docs/benchmarks');
  mkdirSync(dir, { recursive: true });
  for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
    console.error(`== ${name}`);
    resetPeakRss();
    takeServicePeaksMiB();
    const { result: measured, report: measuredReport } = await BENCHES[name]();
    const servicePeaks = takeServicePeaksMiB();
    const peakRss: PeakRss = { benchProcess: peakRssMiB(), ...(servicePeaks.length > 0 ? { service: Math.max(...servicePeaks) } : {}) };
    const result = { ...measured, peakRssMiB: peakRss };
    const report = `${measuredReport}\nPeak resident memory (VmHWM): ${peakRssSentence(peakRss)}.\n`;
    writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(path.join(dir, `${name}.md`), report);
    writeFileSync(path.join(dir, 'README.md'), benchmarkReport(dir));
    console.log(report);
  }
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
