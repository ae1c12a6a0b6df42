import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { CampaignRow } from '../../src/campaigns';
import { businessDay } from '../../src/platform/calendar';
import type { Database } from '../../src/platform/database';
import { PledgeRow } from '../../src/pledges';
import { type ProfileSummary, summariseProfileFile } from './cpu-profile';
import { describeGrowth, formatNumber, writeGrowthChart } from './growth';
import {
  BENCH_OPERATOR,
  type LoadResult,
  type Machine,
  benchApp,
  benchDatabase,
  call,
  cpuMs,
  freePort,
  load,
  ensureBufferPool,
  localDatabasePid,
  serviceCounters,
  settleDatabase,
  startBenchService,
} from './support';

/**
 * A spike of pledges on one hot campaign over HTTP, on MySQL/MariaDB, with the sandbox confirming deposits; and, in
 * the same run, the same database writes through raw node:http + mysql2 in two ways (baseline-server.ts): one
 * transaction per pledge, and coalesced into group transactions (the ceiling of this machine). The load comes from a
 * second process. Measured with 10k, 100k and 1M existing pledges in the database (PLEDGE_SIZES), then a short
 * profiled spike says where the service's time goes.
 */
const REGISTER = path.join(__dirname, '../support/register-ts.js');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 256);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SIZES = (process.env.PLEDGE_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const WARMUP_SECONDS = 3;
const PROFILE_SECONDS = 8;
const CONSUMERS = 200;
const HISTORY_VARIANT = 'colour=navy;size=L';
const BUFFER_POOL_MIB = Number(process.env.PLEDGE_BUFFER_POOL_MIB ?? 4096);

export interface Summary {
  acceptedPerSecond: number;
  requests: number;
  accepted: number;
  refused: number;
  serverErrors: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** CPU time (user + system) of the server process per accepted pledge, over the measured run. */
  cpuMsPerPledge: number;
  /** The same for the database server, when it runs on this machine: which of the two a run was short of. */
  databaseCpuMsPerPledge: number | null;
}

export interface SizeResult {
  /** Pledges in the database before this size's runs (seeded history plus every earlier run's). */
  existingPledges: number;
  raw: Summary;
  grouped: Summary;
  /** The service making the same writes as the baselines: deposits left pending during the spike. */
  service: Summary;
  /** The service with the sandbox confirming every deposit as it comes (a payment notification per pledge, as at a launch). */
  serviceConfirming: Summary;
  ratioToRaw: number;
  ratioToGrouped: number;
  /** Pledges per transaction in the service's measured run (its counters pledges_placed_total / pledge_batches_total). */
  meanBatch: number;
  correctness: Correctness[];
}

interface Correctness {
  server: string;
  acceptedResponses: number;
  pledgesInDatabase: number;
  reservedUnits: number;
  inFlightAtStop: number;
  consistent: boolean;
}

export interface PledgeBenchResult {
  name: 'pledges';
  measuredAt: string;
  machine: Machine;
  connections: number;
  seconds: number;
  sizes: SizeResult[];
  ledgerReconciles: boolean;
  violations: string[];
  growth: { chart: string; service: string; raw: string; grouped: string };
  profile: ProfileSummary;
}

export async function benchPledges(): Promise<PledgeBenchResult> {
  const { db, url, machine } = await benchDatabase('c2m_bench');
  // Sized as docs/operations.md says for production, so that growth measures our writes and not MariaDB's default pool.
  machine.bufferPoolMiB = await ensureBufferPool(db, BUFFER_POOL_MIB);
  const cpu = cpuMeter(localDatabasePid(url));
  const app = benchApp(db, url, { SANDBOX_AUTO_CONFIRM: 'false' });
  const factory = await app.services.factories.create({ name: 'Bench factory', kind: 'manufacturer', contactEmail: 'bench@example.com' });
  // The baselines write into campaign rows of their own, of the same schema; the history into another.
  const rawCampaign = await app.services.campaigns.create(campaignInput(factory.id));
  const groupedCampaign = await app.services.campaigns.create(campaignInput(factory.id));
  const history = await app.services.campaigns.create(campaignInput(factory.id));
  for (const c of [rawCampaign, groupedCampaign, history]) await app.services.campaigns.publish(c.id);

  // Two services on the same database, each with its hot campaign: one leaves deposits pending during the spike (the
  // same writes as the baselines), one has the sandbox confirm every deposit as it comes.
  const service = await HotService.start(url, factory.id, { SANDBOX_AUTO_CONFIRM: 'false' }, 'same writes', cpu);
  const confirming = await HotService.start(url, factory.id, { SANDBOX_AUTO_CONFIRM: 'true' }, 'confirming deposits', cpu);
  const sizes: SizeResult[] = [];
  try {
    let seeded = 0;
    for (const size of SIZES) {
      const existing = await countPledges(db);
      if (existing < size) {
        console.error(`seeding ${formatNumber(size - existing)} pledges of history (to ${formatNumber(size)} in the database)`);
        seeded += await seedHistory(db, history.id, size - existing, seeded);
      }
      const existingPledges = await countPledges(db);
      console.error(
        `== ${formatNumber(existingPledges)} pledges in the database: raw baseline, grouped baseline, service, service confirming deposits; ${CONNECTIONS} connections, ${SECONDS} s each`,
      );
      // Each run starts on a quiet database: InnoDB flushing the last run's writes would slow the next one down.
      await settleDatabase(db);
      const raw = await baselineRun(url, 'raw', rawCampaign.id, cpu);
      await settleDatabase(db);
      const grouped = await baselineRun(url, 'grouped', groupedCampaign.id, cpu);
      await settleDatabase(db);
      const same = await service.run();
      await settleDatabase(db);
      const withConfirmations = await confirming.run();
      await waitUntilConfirmed(db, confirming.campaignId, 300_000);
      const correctness = [await service.check(db, sizes.length + 1), await confirming.check(db, sizes.length + 1)];
      sizes.push({
        existingPledges,
        raw,
        grouped,
        service: same.summary,
        serviceConfirming: withConfirmations.summary,
        ratioToRaw: ratio(same.summary.acceptedPerSecond, raw.acceptedPerSecond),
        ratioToGrouped: ratio(same.summary.acceptedPerSecond, grouped.acceptedPerSecond),
        meanBatch: same.meanBatch,
        correctness,
      });
      console.error(
        `   raw ${raw.acceptedPerSecond}/s, grouped ${grouped.acceptedPerSecond}/s, service ${same.summary.acceptedPerSecond}/s (p99 ${same.summary.latencyMs.p99} ms), confirming ${withConfirmations.summary.acceptedPerSecond}/s`,
      );
    }
  } finally {
    await service.stop();
    await confirming.stop();
  }
  console.error('checking the ledger');
  const report = await app.reconcile();
  const profile = await profiledSpike(url, factory.id);
  await db.close();

  const points = (pick: (s: SizeResult) => Summary) => sizes.map((s) => ({ x: s.existingPledges, y: pick(s).acceptedPerSecond }));
  const costs = (pick: (s: SizeResult) => Summary) => sizes.map((s) => ({ x: s.existingPledges, y: 1000 / Math.max(1, pick(s).acceptedPerSecond) }));
  const chart = writeGrowthChart('pledges', {
    title: `Pledges accepted per second on one hot campaign (${CONNECTIONS} connections)`,
    xLabel: 'pledges already in the database',
    yLabel: 'accepted pledges per second',
    series: [
      { name: 'service', points: points((s) => s.service) },
      { name: 'baseline: grouped transactions (raw)', points: points((s) => s.grouped) },
      { name: 'baseline: one transaction per pledge (raw)', points: points((s) => s.raw) },
    ],
  });
  const growthOf = (pick: (s: SizeResult) => Summary) => (sizes.length >= 2 ? describeGrowth(costs(pick)) : 'one size only');
  return {
    name: 'pledges',
    measuredAt: new Date().toISOString(),
    machine,
    connections: CONNECTIONS,
    seconds: SECONDS,
    sizes,
    ledgerReconciles: report.ok,
    violations: report.violations.slice(0, 20),
    growth: { chart, service: growthOf((s) => s.service), raw: growthOf((s) => s.raw), grouped: growthOf((s) => s.grouped) },
    profile,
  };
}

/** A service process with its hot campaign: a warm-up and a measured spike per size, and the check of its campaign after. */
class HotService {
  private accepted = 0;

  private constructor(
    private readonly process: Awaited<ReturnType<typeof startBenchService>>,
    private readonly hot: Awaited<ReturnType<typeof hotCampaign>>,
    readonly name: string,
    private readonly cpu: CpuMeter,
  ) {}

  static async start(url: string, factoryId: string, env: Record<string, string>, name: string, cpu: CpuMeter): Promise<HotService> {
    const process = await startBenchService(url, env);
    return new HotService(process, await hotCampaign(process.api, factoryId), name, cpu);
  }

  get campaignId(): string {
    return this.hot.campaignId;
  }

  async run(): Promise<{ summary: Summary; meanBatch: number }> {
    const { api, target, tokens } = this.hot;
    const warm = await spike(api, target, tokens, WARMUP_SECONDS);
    const before = { counters: await serviceCounters(api) };
    const used = this.cpu(this.process.child.pid!);
    const run = await spike(api, target, tokens, SECONDS);
    const summary = summarise(run, used());
    const after = await serviceCounters(api);
    const grew = (name: string) => (after.get(name) ?? 0) - (before.counters.get(name) ?? 0);
    this.accepted += (warm.statuses['201'] ?? 0) + (run.statuses['201'] ?? 0);
    return { summary, meanBatch: Math.round((grew('pledges_placed_total') / Math.max(1, grew('pledge_batches_total'))) * 10) / 10 };
  }

  /**
   * Every pledge answered 201 is in the database and holds exactly its units. The load generator stops with up to one
   * request in flight per connection, twice per size (warm-up, run); those may commit after their client stopped
   * listening, so the database may hold up to that many more pledges than 201s were counted: never fewer.
   */
  async check(db: Database, runs: number): Promise<Correctness> {
    const campaignId = this.hot.campaignId;
    const { pledgesInDatabase, reservedUnits } = await db.transaction(async (tx) => ({
      pledgesInDatabase: await tx.countBy(PledgeRow, { campaignId }),
      reservedUnits: (await tx.findOneByOrFail(CampaignRow, { id: campaignId })).reservedUnits,
    }));
    const inFlightAtStop = pledgesInDatabase - this.accepted;
    return {
      server: this.name,
      acceptedResponses: this.accepted,
      pledgesInDatabase,
      reservedUnits,
      inFlightAtStop,
      consistent: reservedUnits === pledgesInDatabase && inFlightAtStop >= 0 && inFlightAtStop <= 2 * CONNECTIONS * runs,
    };
  }

  stop(): Promise<number> {
    return this.process.stop();
  }
}

/** The hot campaign, created and published through the API, and the tokens of the consumers who pledge on it. */
async function hotCampaign(api: string, factoryId: string) {
  const token = await call('POST', `${api}/v1/auth/login`, BENCH_OPERATOR).then((r) => r.token as string);
  const campaign = (await call('POST', `${api}/v1/campaigns`, campaignBody(factoryId), token)) as { id: string };
  await call('POST', `${api}/v1/campaigns/${campaign.id}/publish`, {}, token);
  const tokens: string[] = [];
  for (let i = 0; i < CONSUMERS; i += 20) {
    const batch = Array.from({ length: 20 }, (_, j) =>
      call('POST', `${api}/v1/auth/register`, { email: `bench-${randomUUID()}-${i + j}@example.com`, password: 'bench consumer password' }),
    );
    tokens.push(...(await Promise.all(batch)).map((r) => r.token as string));
  }
  return { api, tokens, target: `/v1/campaigns/${campaign.id}/pledges`, campaignId: campaign.id };
}

/** One baseline server (its own process) for a warm-up and a measured run. */
async function baselineRun(databaseUrl: string, mode: 'raw' | 'grouped', campaignId: string, cpu: CpuMeter): Promise<Summary> {
  const port = await freePort();
  const server: ChildProcess = fork(path.join(__dirname, 'baseline-server.ts'), [], {
    execArgv: ['-r', REGISTER],
    env: { ...process.env, PORT: String(port), BENCH_DATABASE_URL: databaseUrl, BASELINE_CAMPAIGN_ID: campaignId, BASELINE_MODE: mode },
  });
  try {
    await once(server, 'message');
    const base = `http://127.0.0.1:${port}`;
    await spike(base, '/pledge', [undefined], WARMUP_SECONDS);
    const used = cpu(server.pid!);
    const run = await spike(base, '/pledge', [undefined], SECONDS);
    return summarise(run, used());
  } finally {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
}

/** A short spike on a fresh service started with a CPU profile; the profile's summary over the spike's window. */
async function profiledSpike(databaseUrl: string, factoryId: string): Promise<ProfileSummary> {
  console.error(`profiling the service: a ${PROFILE_SECONDS} s spike on a new hot campaign`);
  const dir = mkdtempSync(path.join(tmpdir(), 'c2m-pledge-profile-'));
  const service = await startBenchService(databaseUrl, {}, { cpuProfileDir: dir });
  let window: { fromMs: number; toMs: number };
  try {
    const { api, tokens, target } = await hotCampaign(service.api, factoryId);
    await spike(api, target, tokens, WARMUP_SECONDS);
    const from = Date.now() - service.startedAt;
    await spike(api, target, tokens, PROFILE_SECONDS);
    window = { fromMs: from, toMs: Date.now() - service.startedAt };
  } finally {
    await service.stop();
  }
  const [file] = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  return summariseProfileFile(path.join(dir, file), window);
}

/**
 * History: `count` pledges of earlier days on one campaign, each with its deposit payment, as a consumer who let the
 * deposit lapse leaves them (expired pledge, cancelled payment; no money moved), with the tallies and daily series
 * that count them, so the ledger still reconciles. Raw multi-row INSERTs, 2,000 rows a statement.
 */
async function seedHistory(db: Database, campaignId: string, count: number, offset: number): Promise<number> {
  const CHUNK = 2000;
  const at = new Date(Date.now() - 3 * 86_400_000);
  for (let done = 0; done < count; done += CHUNK) {
    const n = Math.min(CHUNK, count - done);
    // Ids in insert order: each chunk is appended to the B-trees instead of spread over them, which with the default
    // 128 MiB buffer pool took minutes per 100,000. The tree the measured pledges go into is as large either way.
    const pledges = Array.from({ length: n }, (_, i) => {
      const serial = (offset + done + i).toString(16).padStart(12, '0');
      return { id: `a0000000-0000-4000-8000-${serial}`, paymentId: `b0000000-0000-4000-8000-${serial}`, userId: `c0000000-0000-4000-8000-${serial}` };
    });
    await db.transaction(async (tx) => {
      await db.insertRows(
        tx,
        'payments',
        pledges.map((p) => ({
          id: p.paymentId,
          kind: 'deposit',
          provider: 'sandbox',
          pledge_id: p.id,
          campaign_id: campaignId,
          user_id: p.userId,
          amount_fen: 10000,
          status: 'cancelled',
          created_at: at,
          settled_at: at,
        })),
      );
      await db.insertRows(
        tx,
        'pledges',
        pledges.map((p) => ({
          id: p.id,
          campaign_id: campaignId,
          user_id: p.userId,
          variant_key: HISTORY_VARIANT,
          quantity: 1,
          status: 'expired',
          deposit_per_unit_fen: 10000,
          deposit_fen: 10000,
          deposit_payment_id: p.paymentId,
          expires_at: at,
          created_at: at,
          updated_at: at,
        })),
      );
    });
  }
  await db.transaction(async (tx) => {
    await db.addToCounters(
      tx,
      'pledge_tallies',
      ['campaign_id', 'variant_key'],
      ['expired_units'],
      [{ campaign_id: campaignId, variant_key: HISTORY_VARIANT, expired_units: count }],
    );
    await db.addToCounters(
      tx,
      'pledge_days',
      ['campaign_id', 'day'],
      ['pledged_units', 'pledges'],
      [{ campaign_id: campaignId, day: businessDay(at), pledged_units: count, pledges: count }],
    );
  });
  return offset + count;
}

async function countPledges(db: Database): Promise<number> {
  const { rows } = await db.read((tx) => db.sql<{ n: number | string }>(tx, 'SELECT COUNT(*) AS n FROM pledges'));
  return Number(rows[0].n);
}

export function campaignBody(factoryId: string) {
  const now = Date.now();
  return {
    factoryId,
    title: 'Bench: hot campaign',
    productName: 'Down jacket',
    options: [
      { name: 'colour', values: ['black', 'navy'] },
      { name: 'size', values: ['M', 'L'] },
    ],
    referencePrice: '1000.00',
    depositRate: '0.10',
    tiers: [
      { minUnits: 500, unitPrice: '900.00' },
      { minUnits: 1000, unitPrice: '700.00' },
    ],
    maxUnits: 10_000_000,
    opensAt: new Date(now - 60_000).toISOString(),
    closesAt: new Date(now + 86_400_000).toISOString(),
    balanceWindowHours: 72,
    expectedShipDate: new Date(now + 30 * 86_400_000).toISOString().slice(0, 10),
  };
}

function campaignInput(factoryId: string) {
  const b = campaignBody(factoryId);
  return { ...b, description: '', depositCreditRate: '1', opensAt: new Date(b.opensAt), closesAt: new Date(b.closesAt) };
}

/** Every request a new pledge of one unit, from CONNECTIONS connections, cycling through the tokens. */
async function spike(base: string, pledgePath: string, tokens: (string | undefined)[], durationSeconds: number): Promise<LoadResult> {
  const body = JSON.stringify({ variant: { colour: 'black', size: 'M' }, quantity: 1 });
  const requests = tokens.map((token) => ({ method: 'POST' as const, path: pledgePath, token, body }));
  return (await load({ base, durationSeconds, scenarios: [{ name: 'pledges', connections: CONNECTIONS, requests }] })).pledges;
}

/** Starts counting the CPU time of a server and of the local database; the count stops when read. */
type CpuMeter = (serverPid: number) => () => { serverMs: number; databaseMs: number | null };

function cpuMeter(databasePid: number | undefined): CpuMeter {
  return (serverPid) => {
    const start = { server: cpuMs(serverPid), database: databasePid === undefined ? 0 : cpuMs(databasePid) };
    return () => ({ serverMs: cpuMs(serverPid) - start.server, databaseMs: databasePid === undefined ? null : cpuMs(databasePid) - start.database });
  };
}

function summarise(run: LoadResult, used: { serverMs: number; databaseMs: number | null }): Summary {
  const accepted = run.statuses['201'] ?? 0;
  const perPledge = (ms: number) => (accepted > 0 ? Math.round((ms / accepted) * 1000) / 1000 : 0);
  const serverErrors = Object.entries(run.statuses)
    .filter(([s]) => Number(s) >= 500)
    .reduce((n, [, c]) => n + c, 0);
  return {
    acceptedPerSecond: Math.round(accepted / run.durationSeconds),
    requests: run.requests,
    accepted,
    refused: run.requests - accepted - serverErrors,
    serverErrors: serverErrors + run.errors,
    latencyMs: run.latencyMs,
    cpuMsPerPledge: perPledge(used.serverMs),
    databaseCpuMsPerPledge: used.databaseMs === null ? null : perPledge(used.databaseMs),
  };
}

async function waitUntilConfirmed(db: Database, campaignId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await db.read((tx) => tx.countBy(PledgeRow, { campaignId, status: 'awaiting_deposit' }))) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

export function pledgesMarkdown(r: PledgeBenchResult): string {
  const row = (name: string, s: Summary) =>
    `| ${name} | ${s.acceptedPerSecond.toLocaleString('en')} | ${s.latencyMs.p50} | ${s.latencyMs.p95} | ${s.latencyMs.p99} | ${s.requests.toLocaleString('en')} | ${s.refused} | ${s.serverErrors} | ${s.cpuMsPerPledge} | ${s.databaseCpuMsPerPledge ?? '–'} |`;
  const sizes = r.sizes
    .map(
      (s) => `### ${formatNumber(s.existingPledges)} pledges already in the database

| server | accepted pledges/s | p50 ms | p95 ms | p99 ms | requests | refused (4xx) | 5xx / errors | server CPU ms per pledge | MariaDB CPU ms per pledge |
|---|---|---|---|---|---|---|---|---|---|
${row('baseline: raw node:http + mysql2, one transaction per pledge', s.raw)}
${row('baseline: raw node:http + mysql2, grouped transactions (ceiling)', s.grouped)}
${row('service: Express + TypeORM, POST /v1/campaigns/:id/pledges (the same writes: deposits left pending)', s.service)}
${row('service, the sandbox confirming every deposit as it comes (a notification per pledge)', s.serviceConfirming)}

**Service / one-transaction baseline: ${s.ratioToRaw}×** (target ≥ 3: ${s.ratioToRaw >= 3 ? 'met' : 'missed'}); **service / grouped ceiling: ${s.ratioToGrouped}**;
p99 ${s.service.latencyMs.p99} ms (target ≤ 150 ms: ${s.service.latencyMs.p99 <= 150 ? 'met' : 'missed'}); ${s.service.serverErrors} × 5xx;
the service's group commit wrote ${s.meanBatch} pledges per transaction on average.
Correctness: ${s.correctness
        .map(
          (c) =>
            `${c.server}: ${c.acceptedResponses.toLocaleString('en')} answered 201 so far, ${c.pledgesInDatabase.toLocaleString('en')} in the database, ${c.reservedUnits.toLocaleString('en')} units reserved (${c.consistent ? 'no oversell, nothing lost' : '**MISMATCH**'}; ${c.inFlightAtStop} in flight when the load stopped)`,
        )
        .join('; ')}.
`,
    )
    .join('\n');
  const share = (items: { name: string; percent: number }[]) => items.map((i) => `| ${i.percent} % | \`${i.name}\` |`).join('\n');
  return `# Benchmark: a spike of pledges on one hot campaign

Measured ${r.measuredAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.database} (InnoDB buffer pool ${r.machine.bufferPoolMiB} MiB, grown to PLEDGE_BUFFER_POOL_MIB as docs/operations.md says to size it; the CPU columns are each process's user + system time over the run, MariaDB's read from /proc when it runs on this machine).
${r.connections} connections for ${r.seconds} s after a ${WARMUP_SECONDS} s warm-up per server, load from a second process (autocannon),
every request a new pledge of one unit with a fresh Idempotency-Key (the service rotates ${CONSUMERS} consumers' tokens).
Four servers at each size, one after the other, on the same database, each starting once InnoDB has written out the last one's pages: two baselines doing the pledge's writes with raw
node:http + mysql2 and no auth (test/bench/baseline-server.ts): one transaction per pledge, and the pledges arriving
together coalesced into one transaction with one multi-row statement per table (the ceiling of this machine for these
writes); then the service (its own process: API and job worker, production mode), making the same writes with every
guarantee (auth, rate limits, idempotency key, cap, tallies, expiry job); then a second service process whose sandbox
confirms every deposit as it comes, as a launch's payments would (a signed notification per pledge, recorded with its
ledger entries, moving the tallies): more writes than the baselines make, on the same hot rows.
Command: \`npm run bench -- pledges\` (MariaDB at BENCH_DATABASE_URL, default mysql://root@127.0.0.1:3306/test; PLEDGE_SIZES, BENCH_SECONDS).

${sizes}
At the end the ledger ${r.ledgerReconciles ? 'reconciles' : `**does not reconcile**: ${r.violations.join('; ')}`} (checked once, over every pledge in the database: the confirmed ones, the pending ones and the history; hot-campaign pledges and the history).

## Growth

![accepted pledges per second against pledges already in the database](${r.growth.chart})

Cost per pledge (the inverse of the accepted rate) as the database grows: service ${r.growth.service}; one-transaction
baseline ${r.growth.raw}; grouped baseline ${r.growth.grouped}. A pledge's writes are inserts at the end of
time-ordered or random-key B-trees and one update of the campaign row by primary key; nothing on the path reads more
rows as the table grows (the cap is the campaign row, the tallies are running totals, the shop binding is one
indexed read per batch), so the expected curve is flat until the tables outgrow the buffer pool.

## Where the time goes (CPU profile of the service)

A ${PROFILE_SECONDS} s spike on a fresh hot campaign, with the service started under \`node --cpu-prof\`; ${r.profile.sampledMs.toLocaleString('en')} ms
sampled in the spike's window, ${r.profile.idlePercent} % of it idle. The profile before the changes of issue #21, and what
each of its findings became, is in [pledges-profile.md](pledges-profile.md).

| self time | function |
|---|---|
${share(r.profile.topFunctions)}

| inclusive | package or source folder |
|---|---|
${share(r.profile.topAreas)}
`;
}
