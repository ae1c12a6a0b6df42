import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { type Profiler, Session } from 'node:inspector';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { migrations } from '../../migrations';
import { entities } from '../../src/app';
import { balancePerUnit } from '../../src/campaigns';
import { NotificationRow } from '../../src/notifications';
import { PledgeRow } from '../../src/pledges';
import { PLEDGE_STATUSES } from '../../src/pledges/pledge.entity';
import { type Database, openDatabase } from '../../src/platform/database';
import { toFen } from '../../src/platform/money';
import { type ProfileShare, summariseProfile } from './cpu-profile';
import { describeGrowth, writeGrowthChart } from './growth';
import { type Machine, aBenchCampaign, benchApp, benchDatabase, ensureBufferPool, settleDatabase } from './support';

/**
 * Closing a campaign of paid pledges, at three sizes 10× apart (CLOSE_SIZES, default 10,000, 100,000 and
 * 1,000,000): the close job decides it (success at the top tier), then the settle job moves every pledge to
 * awaiting_balance at the final price with its balance and due time, and tells each consumer. The baseline,
 * measured in the same run on a second campaign of the same size, makes the same writes with raw mysql2 and
 * no framework: batches of 100, each locked (after the last id moved, as the service reads), moved with one
 * UPDATE, its tallies with one upsert and its notifications with one multi-row INSERT. Each side runs in a fresh child process, so its peak RSS
 * (process.resourceUsage().maxRSS) is its own; the service's side runs under the CPU profiler.
 */
const SIZES_ENV = process.env.CLOSE_SIZES ?? process.env.BENCH_CLOSE_PLEDGES ?? '10000,100000,1000000';
const HEADLINE = 100_000;
/** InnoDB's buffer pool, sized as docs/operations.md says (CLOSE_BUFFER_POOL_MIB). */
const BUFFER_POOL_MIB = Number(process.env.CLOSE_BUFFER_POOL_MIB ?? 4096);
const BATCH = 100;
const SEED_ROWS = 5000;
const COLOURS = ['black', 'navy', 'olive', 'sand'];
const SIZES = ['S', 'M', 'L', 'XL', 'XXL'];
const HOUR = 3_600_000;
/** MariaDB's own counters read around each side (server-wide: other databases on the server count too). */
const COUNTERS = ['Com_commit', 'Innodb_data_fsyncs', 'Innodb_buffer_pool_reads', 'Innodb_buffer_pool_read_requests'] as const;

interface SideResult {
  seconds: number;
  pledgesPerSecond: number;
  peakRssMiB: number;
  counters: Record<(typeof COUNTERS)[number], number>;
}

export interface CloseSizeResult {
  pledges: number;
  seedSeconds: number;
  service: SideResult & { profile: ProfileShare[] };
  baseline: SideResult;
  ratio: number;
  correctness: {
    settledService: number;
    settledBaseline: number;
    notificationsService: number;
    balanceFenService: string;
    balanceFenExpected: string;
    talliesMatch: boolean;
  };
}

export interface CloseBenchResult {
  name: 'close';
  measuredAt: string;
  machine: Machine;
  bufferPoolMiB: number;
  sizes: CloseSizeResult[];
  /** The charts' files in docs/benchmarks/ and how each cost grows with the pledges. */
  growth: { chart: string; rssChart: string; serviceSeconds: string; baselineSeconds: string; servicePeakRss: string };
}

export async function benchClose(): Promise<CloseBenchResult> {
  const sizes = SIZES_ENV.split(',').map(Number);
  const results: CloseSizeResult[] = [];
  let machine: Machine | undefined;
  let bufferPoolMiB = 0;
  for (const pledges of sizes) {
    const measured = await measureSize(pledges);
    results.push(measured.result);
    machine = measured.machine;
    bufferPoolMiB = measured.bufferPoolMiB;
  }
  const points = (pick: (s: CloseSizeResult) => number) => results.map((s) => ({ x: s.pledges, y: pick(s) }));
  const growthOf = (pick: (s: CloseSizeResult) => number) => (results.length >= 2 ? describeGrowth(points(pick)) : 'one size only');
  const chart = writeGrowthChart('close', {
    title: 'Closing a campaign: seconds to settle every pledge',
    xLabel: 'pledges',
    yLabel: 'seconds',
    logY: true,
    series: [
      { name: 'service (close + settle jobs)', points: points((s) => s.service.seconds) },
      { name: 'baseline (raw mysql2)', points: points((s) => s.baseline.seconds) },
    ],
  });
  const rssChart = writeGrowthChart('close-rss', {
    title: 'Closing a campaign: peak RSS of the process settling',
    xLabel: 'pledges',
    yLabel: 'MiB',
    series: [
      { name: 'service (close + settle jobs)', points: points((s) => s.service.peakRssMiB) },
      { name: 'baseline (raw mysql2)', points: points((s) => s.baseline.peakRssMiB) },
    ],
  });
  return {
    name: 'close',
    measuredAt: new Date().toISOString(),
    machine: machine!,
    bufferPoolMiB,
    sizes: results,
    growth: {
      chart,
      rssChart,
      serviceSeconds: growthOf((s) => s.service.seconds),
      baselineSeconds: growthOf((s) => s.baseline.seconds),
      servicePeakRss: growthOf((s) => s.service.peakRssMiB),
    },
  };
}

async function measureSize(pledges: number): Promise<{ result: CloseSizeResult; machine: Machine; bufferPoolMiB: number }> {
  const { db, url, machine } = await benchDatabase('c2m_bench_close');
  const bufferPoolMiB = await ensureBufferPool(db, BUFFER_POOL_MIB);
  const now = Date.now();
  const app = benchApp(db, url, {}, { now: () => new Date(now) });
  const { campaigns, factories } = app.services;
  const factory = await factories.create({ name: 'Bench factory', kind: 'manufacturer', contactEmail: 'bench@example.com' });
  const aCampaign = async (title: string) => {
    const campaign = await aBenchCampaign(campaigns, {
      factoryId: factory.id,
      title,
      options: [
        { name: 'colour', values: COLOURS },
        { name: 'size', values: SIZES },
      ],
      tiers: [
        { minUnits: 1000, unitPrice: '900.00' },
        { minUnits: 5000, unitPrice: '700.00' },
      ],
      opensAt: new Date(now - 10 * 24 * HOUR),
      closesAt: new Date(now + HOUR),
      expectedShipDate: new Date(now + 60 * 24 * HOUR).toISOString().slice(0, 10),
    });
    await seedPaidPledges(db, campaign.id, pledges, now);
    return campaign;
  };
  console.error(`seeding 2 × ${pledges} paid pledges…`);
  let serviceCampaignId = '';
  let baselineCampaignId = '';
  const seedSeconds = await timed(async () => {
    serviceCampaignId = (await aCampaign('Bench campaign (service)')).id;
    baselineCampaignId = (await aCampaign('Bench campaign (baseline)')).id;
  });
  const closesAt = new Date(now + 2 * HOUR).toISOString();

  const counters = async () => {
    const rows = (await db.read((tx) => tx.query(`SHOW GLOBAL STATUS WHERE Variable_name IN (${COUNTERS.map(() => '?').join(', ')})`, [...COUNTERS]))) as {
      Variable_name: string;
      Value: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)])) as SideResult['counters'];
  };
  const side = async <R extends object>(phase: 'baseline' | 'service', campaignId: string) => {
    // Each side starts with its campaign's pledges read into the buffer pool: seeded first and settled second, the
    // service's would otherwise start evicted by the baseline's (at 100,000 the tables outgrow the pool).
    await db.read((tx) => tx.query('SELECT SUM(deposit_fen) FROM pledges FORCE INDEX (ix_pledges_campaign_status) WHERE campaign_id = ?', [campaignId]));
    // And on a quiet database: the service's side would otherwise run while InnoDB writes out the baseline's pages.
    await settleDatabase(db);
    const before = await counters();
    const run = await inChild<R & { seconds: number; peakRssMiB: number }>(phase, url, campaignId, closesAt);
    const after = await counters();
    const delta = Object.fromEntries(COUNTERS.map((c) => [c, after[c] - before[c]])) as SideResult['counters'];
    return { ...run, pledgesPerSecond: Math.round(pledges / run.seconds), counters: delta };
  };
  console.error(`${pledges}: baseline, raw mysql2…`);
  const baseline = await side<object>('baseline', baselineCampaignId);
  console.error(`${pledges}: service, the close and settle jobs…`);
  const service = await side<{ profile: ProfileShare[] }>('service', serviceCampaignId);

  const decided = await db.read((tx) => campaigns.find(tx, serviceCampaignId));
  const expectedPerUnit = toFen(balancePerUnit(decided!, decided!.finalUnitPrice!));
  const correctness = await db.read(async (tx) => {
    const settled = (campaignId: string) => tx.countBy(PledgeRow, { campaignId, status: 'awaiting_balance' });
    const [{ balance, units }] = (await tx.query('SELECT SUM(balance_fen) AS balance, SUM(quantity) AS units FROM pledges WHERE campaign_id = ?', [
      serviceCampaignId,
    ])) as { balance: string; units: string }[];
    const tallies = (await tx.query('SELECT SUM(awaiting_balance_units) AS units, SUM(active_units) AS active FROM pledge_tallies WHERE campaign_id = ?', [
      serviceCampaignId,
    ])) as { units: string; active: string }[];
    return {
      settledService: await settled(serviceCampaignId),
      settledBaseline: await settled(baselineCampaignId),
      notificationsService: await tx.countBy(NotificationRow, { campaignId: serviceCampaignId, kind: 'campaign_succeeded' }),
      balanceFenService: String(balance),
      balanceFenExpected: String(BigInt(expectedPerUnit) * BigInt(units)),
      talliesMatch: Number(tallies[0].units) === Number(units) && Number(tallies[0].active) === 0,
    };
  });
  await db.close();
  return {
    result: { pledges, seedSeconds, service, baseline, ratio: Math.round((baseline.seconds / service.seconds) * 100) / 100, correctness },
    machine,
    bufferPoolMiB,
  };
}

/** Paid pledges (1 or 2 units, 20 variants) and their tallies, with raw multi-row INSERTs. */
async function seedPaidPledges(db: Database, campaignId: string, pledges: number, now: number): Promise<void> {
  const variants = COLOURS.flatMap((colour) => SIZES.map((size) => `colour=${colour};size=${size}`));
  for (let offset = 0; offset < pledges; offset += SEED_ROWS) {
    const rows = Array.from({ length: Math.min(SEED_ROWS, pledges - offset) }, (_, i) => {
      const quantity = 1 + ((offset + i) % 2);
      const at = new Date(now - HOUR - (offset + i) * 10);
      return {
        id: randomUUID(),
        campaign_id: campaignId,
        user_id: `u-${offset + i}`,
        variant_key: variants[(offset + i) % variants.length],
        quantity,
        status: 'active',
        deposit_per_unit_fen: 10_000,
        deposit_fen: 10_000 * quantity,
        deposit_payment_id: randomUUID(),
        expires_at: at,
        created_at: at,
        updated_at: at,
      };
    });
    await db.statement((tx) => db.insertRows(tx, 'pledges', rows));
  }
  await db.statement((tx) =>
    tx.query(
      `INSERT INTO pledge_tallies (campaign_id, variant_key, ${PLEDGE_STATUSES.map((s) => `${s}_units`).join(', ')})
       SELECT campaign_id, variant_key, ${PLEDGE_STATUSES.map((s) => `SUM(CASE WHEN status = '${s}' THEN quantity ELSE 0 END)`).join(', ')} FROM pledges WHERE campaign_id = ? GROUP BY campaign_id, variant_key`,
      [campaignId],
    ),
  );
}

/** Runs one side in a fresh process (this file, as its main module); its last line of output is the result. */
function inChild<R>(phase: 'baseline' | 'service', url: string, campaignId: string, now: string): Promise<R> {
  const child = spawn(process.execPath, ['-r', path.join(__dirname, '../support/register-ts.js'), __filename, phase, url, campaignId, now], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as R) : reject(new Error(`close bench ${phase} exited with ${code}`)),
    ),
  );
}

/** In the child: the service's close and settle job handlers, at a fixed clock, under the CPU profiler. */
async function serviceSide(url: string, campaignId: string, now: Date): Promise<{ seconds: number; profile: ProfileShare[] }> {
  const db = await openDatabase({ kind: 'mysql', url }, entities, migrations);
  const app = benchApp(db, url, {}, { now: () => now });
  const { decisions, settlement } = app.services;
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
  await post('Profiler.enable');
  await post('Profiler.start');
  const seconds = await timed(async () => {
    await decisions.close(campaignId);
    await settlement.settle(campaignId);
  });
  const { profile } = await post<{ profile: Profiler.Profile }>('Profiler.stop');
  session.disconnect();
  // For a flame graph: open the file in Chrome DevTools' Performance panel, or speedscope.
  if (process.env.CLOSE_PROFILE_DIR) writeFileSync(path.join(process.env.CLOSE_PROFILE_DIR, `close-${Date.now()}.cpuprofile`), JSON.stringify(profile));
  await db.close();
  return { seconds, profile: summariseProfile(profile).topFunctions };
}

/** The same writes as the close and settle jobs, by hand: decide, then settle in locked batches. */
async function rawClose(url: string, campaignId: string, now: Date): Promise<void> {
  const u = new URL(url);
  const conn = await createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1),
    timezone: 'Z',
  });
  const dueAt = new Date(now.getTime() + 72 * HOUR);
  // The top tier is reached (the seeded units are far above 50,000): ¥700, ¥100 deposit credited, ¥600 a unit to pay.
  const [unitPrice, credited, balance] = [70_000, 10_000, 60_000];
  await conn.beginTransaction();
  await conn.query('SELECT id FROM campaigns WHERE id = ? FOR UPDATE', [campaignId]);
  await conn.query('SELECT SUM(active_units) AS units FROM pledge_tallies WHERE campaign_id = ?', [campaignId]);
  await conn.query("UPDATE campaigns SET status = 'succeeded', final_unit_price_fen = ?, balance_due_at = ?, decided_at = ? WHERE id = ?", [
    unitPrice,
    dueAt,
    now,
    campaignId,
  ]);
  await conn.commit();
  // As the service: each batch starts after the last id moved (a scan from the start would walk again over
  // the moved pledges' index entries until InnoDB purges them), and once that runs out, from the start once more.
  let after = '';
  const lock = (from: string) =>
    conn.query(
      "SELECT id, user_id, variant_key, quantity FROM pledges FORCE INDEX (ix_pledges_campaign_status) WHERE campaign_id = ? AND status = 'active' AND id > ? ORDER BY id LIMIT ? FOR UPDATE",
      [campaignId, from, BATCH],
    ) as unknown as Promise<[{ id: string; user_id: string; variant_key: string; quantity: number }[]]>;
  for (;;) {
    await conn.beginTransaction();
    let [batch] = await lock(after);
    if (batch.length === 0 && after !== '') [batch] = await lock((after = ''));
    if (batch.length === 0) {
      await conn.commit();
      break;
    }
    after = batch.at(-1)!.id;
    await conn.query(
      "UPDATE pledges SET status = 'awaiting_balance', unit_price_fen = ?, credited_per_unit_fen = ?, balance_fen = quantity * ?, balance_due_at = ?, updated_at = ? WHERE id IN (?) AND status = 'active'",
      [unitPrice, credited, balance, dueAt, now, batch.map((p) => p.id)],
    );
    const units = new Map<string, number>();
    for (const p of batch) units.set(p.variant_key, (units.get(p.variant_key) ?? 0) + p.quantity);
    await conn.query(
      'INSERT INTO pledge_tallies (campaign_id, variant_key, active_units, awaiting_balance_units) VALUES ? ON DUPLICATE KEY UPDATE active_units = active_units + VALUES(active_units), awaiting_balance_units = awaiting_balance_units + VALUES(awaiting_balance_units)',
      [[...units].sort().map(([variant, n]) => [campaignId, variant, -n, n])],
    );
    await conn.query('INSERT INTO consumer_notifications (id, user_id, kind, campaign_id, pledge_id, message, data, created_at) VALUES ?', [
      batch.map((p) => [
        randomUUID(),
        p.user_id,
        'campaign_succeeded',
        campaignId,
        p.id,
        `The campaign succeeded at ¥700.00 a unit. Pay the balance of ¥${(p.quantity * 600).toFixed(2)} before ${dueAt.toISOString()}.`,
        JSON.stringify({ unitPrice: '700.00', balance: (p.quantity * 600).toFixed(2), dueAt: dueAt.toISOString() }),
        now,
      ]),
    ]);
    await conn.commit();
  }
  await conn.end();
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return Math.round((performance.now() - started) / 10) / 100;
}

function settledExactlyOnce(r: CloseSizeResult): boolean {
  const c = r.correctness;
  return (
    c.settledService === r.pledges &&
    c.settledBaseline === r.pledges &&
    c.notificationsService === r.pledges &&
    c.balanceFenService === c.balanceFenExpected &&
    c.talliesMatch
  );
}

const n = (value: number) => value.toLocaleString('en');

export function closeMarkdown(r: CloseBenchResult): string {
  const headline = r.sizes.find((s) => s.pledges === HEADLINE) ?? r.sizes.at(-1)!;
  const row = (s: CloseSizeResult) =>
    `| ${n(s.pledges)} | ${s.baseline.seconds} | ${n(s.baseline.pledgesPerSecond)} | ${s.service.seconds} | ${n(s.service.pledgesPerSecond)} | **${s.ratio}** | ${s.baseline.peakRssMiB} | ${s.service.peakRssMiB} | ${s.seedSeconds} | ${settledExactlyOnce(s) ? 'yes' : '**MISMATCH**'} |`;
  const counters = (s: CloseSizeResult) =>
    `| ${n(s.pledges)} | ${n(s.baseline.counters.Com_commit)} / ${n(s.service.counters.Com_commit)} | ${n(s.baseline.counters.Innodb_data_fsyncs)} / ${n(s.service.counters.Innodb_data_fsyncs)} | ${n(s.baseline.counters.Innodb_buffer_pool_reads)} / ${n(s.service.counters.Innodb_buffer_pool_reads)} | ${n(s.baseline.counters.Innodb_buffer_pool_read_requests)} / ${n(s.service.counters.Innodb_buffer_pool_read_requests)} |`;
  return `# Benchmark: closing a campaign of paid pledges (${r.sizes.map((s) => n(s.pledges)).join(' / ')})

Measured ${r.measuredAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.database} (InnoDB buffer pool ${r.bufferPoolMiB} MiB).
A campaign of paid pledges (1 or 2 units, 20 variants) reaches its top tier: the close job decides it, the settle job moves every
pledge to awaiting_balance with its price, balance and due time, moves the tallies and writes one notification per consumer.
The baseline makes the same writes on a second campaign of the same size with raw mysql2 (batches of ${BATCH}: lock, one UPDATE, one tally upsert,
one multi-row INSERT; each batch locked after the last id moved, as the service does). The pledges are seeded with raw multi-row INSERTs. Each side runs in a fresh child process: its peak RSS is
process.resourceUsage().maxRSS of that process, which runs nothing else. Before each side its campaign's pledges are read once (into the buffer pool).
Command: \`npm run bench -- close\` (MariaDB at BENCH_DATABASE_URL, default mysql://root@127.0.0.1:3306/test; CLOSE_SIZES=10000,100000 for a shorter run).

**Service / baseline throughput at ${n(headline.pledges)} pledges: ${headline.ratio}** (measured in the same run; compare ratios, not absolute numbers).

| pledges | baseline s | baseline pledges/s | service s | service pledges/s | service / baseline | baseline peak RSS MiB | service peak RSS MiB | seeding s | settled exactly once |
|---|---|---|---|---|---|---|---|---|---|
${r.sizes.map(row).join('\n')}

Settled exactly once: every pledge awaiting its balance on both sides, one notification per consumer, the balances' sum as expected
(${headline.correctness.balanceFenService} fen at ${n(headline.pledges)}) and the tallies matching the pledges.

## Growth

![Seconds to settle every pledge, service and baseline, by the number of pledges](${r.growth.chart})
![Peak RSS of the process settling, service and baseline, by the number of pledges](${r.growth.rssChart})

- Service time: ${r.growth.serviceSeconds}. Baseline time: ${r.growth.baselineSeconds}.
  Each batch does the same work whatever the campaign's size: it locks the next pledges after the last id moved through the
  (campaign, status) index (no sort, no walk over the pledges already moved), then one UPDATE by primary key, one tally upsert
  on the campaign's 20 variants and one INSERT of notices; so the time is linear in the pledges (a slope below 1: the fixed
  cost of the close, the decision and the child's connections, still weighs at the smallest size). The buffer pool is
  sized as docs/operations.md says (${r.bufferPoolMiB} MiB here); once the tables outgrow it, the pledges and notices, keyed
  by random UUIDs, are read from disk a page at a time (buffer pool reads below) and the cost per pledge rises with the
  data, for the baseline as for the service (with MariaDB's default 128 MiB, from 100,000 pledges).
- Service peak RSS: ${r.growth.servicePeakRss}. The settle holds one batch (${n(1000)} pledges and their notices) at a time, and the
  close reads the campaign's tallies (20 rows), never its pledges: memory does not grow with the campaign.

## The database's counters (baseline / service)

Server-wide (MariaDB's SHOW GLOBAL STATUS around each side: other databases on the shared server add to them).
Buffer pool reads are pages read from disk; read requests, pages read from memory.

| pledges | commits | fsyncs | buffer pool reads | buffer pool read requests |
|---|---|---|---|---|
${r.sizes.map(counters).join('\n')}

## Where the service's process spends its time (CPU profile, ${n(headline.pledges)} pledges)

The settle side's own time per function (V8's sampling profiler over the close and settle jobs; "(idle)" is time waiting, here on the database).

| function (where) | ms | share |
|---|---|---|
${headline.service.profile.map((e) => `| ${e.name} | ${n(e.ms)} | ${e.percent}% |`).join('\n')}
`;
}

// A child process of benchClose: `close.ts baseline|service URL CAMPAIGN-ID NOW` prints its side's result as JSON.
if (require.main === module) {
  const [phase, url, campaignId, now] = process.argv.slice(2);
  const side =
    phase === 'service' ? serviceSide(url, campaignId, new Date(now)) : timed(() => rawClose(url, campaignId, new Date(now))).then((seconds) => ({ seconds }));
  side
    .then((result) => {
      console.log(JSON.stringify({ ...result, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
      process.exit(0);
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
