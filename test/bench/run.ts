// `npm run bench`: runs every benchmark (`npm run bench -- pledges`: one) and writes each result as JSON and
// Markdown to docs/benchmarks/, then the table of them all (docs/benchmarks/README.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchClose, closeMarkdown } from './close';
import { benchForecast, forecastMarkdown } from './forecast';
import { benchJobs, jobsMarkdown } from './jobs';
import { benchPledges, pledgesMarkdown } from './pledges';
import { benchmarkReport, peakRssSentence } from './report';
import { benchSoak, soakMarkdown } from './soak';
import { benchStorefront, storefrontMarkdown } from './storefront';
import { benchSubscriptions, subscriptionsMarkdown } from './subscriptions';
import { type PeakRss, peakRssMiB, resetPeakRss, takeServicePeaksMiB } from './support';

/** Each benchmark: its result (written as JSON) and its report (Markdown). */
const BENCHES: Record<string, () => Promise<{ result: object; report: string }>> = {
  pledges: async () => {
    const result = await benchPledges();
    return { result, report: pledgesMarkdown(result) };
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
