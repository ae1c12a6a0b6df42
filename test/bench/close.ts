import { randomUUID } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { balancePerUnit } from '../../src/campaigns';
import { NotificationRow } from '../../src/notifications';
import { PledgeRow } from '../../src/pledges';
import { PLEDGE_STATUSES } from '../../src/pledges/pledge.entity';
import { toFen } from '../../src/platform/money';
import { type Machine, aBenchCampaign, benchApp, benchDatabase } from './support';

/**
 * Closing a campaign with 100,000 paid pledges: the close job decides it (success at the top tier),
 * then the settle job moves every pledge to awaiting_balance at the final price with its balance and
 * due time, and tells each consumer. The baseline, measured in the same run on a second campaign of
 * the same size, makes the same writes with raw mysql2 and no framework: batches of 100, each locked,
 * moved with one UPDATE, its tallies with one upsert and its notifications with one multi-row INSERT.
 */
const PLEDGES = Number(process.env.BENCH_CLOSE_PLEDGES ?? 100_000);
const BATCH = 100;
const COLOURS = ['black', 'navy', 'olive', 'sand'];
const SIZES = ['S', 'M', 'L', 'XL', 'XXL'];
const HOUR = 3_600_000;

export interface CloseBenchResult {
  name: 'close';
  measuredAt: string;
  machine: Machine;
  pledges: number;
  service: { seconds: number; pledgesPerSecond: number };
  baseline: { seconds: number; pledgesPerSecond: number };
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

export async function benchClose(): Promise<CloseBenchResult> {
  const { db, url, machine } = await benchDatabase('c2m_bench_close');
  let now = Date.now();
  const app = benchApp(db, url, {}, { now: () => new Date(now) });
  const { campaigns, decisions, factories, settlement } = app.services;
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
        { minUnits: 50_000, unitPrice: '700.00' },
      ],
      opensAt: new Date(now - 10 * 24 * HOUR),
      closesAt: new Date(now + HOUR),
      expectedShipDate: new Date(now + 60 * 24 * HOUR).toISOString().slice(0, 10),
    });
    await seedPaidPledges(campaign.id);
    return campaign;
  };
  const seedPaidPledges = async (campaignId: string) => {
    const variants = COLOURS.flatMap((colour) => SIZES.map((size) => `colour=${colour};size=${size}`));
    for (let offset = 0; offset < PLEDGES; offset += 2000) {
      const rows = Array.from({ length: Math.min(2000, PLEDGES - offset) }, (_, i) => {
        const quantity = 1 + ((offset + i) % 2);
        const at = new Date(now - HOUR - (offset + i) * 1000);
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
  };
  console.error(`seeding 2 × ${PLEDGES} paid pledges…`);
  const serviceCampaign = await aCampaign('Bench campaign (service)');
  const baselineCampaign = await aCampaign('Bench campaign (baseline)');
  now += 2 * HOUR;

  console.error('baseline: raw mysql2…');
  const baselineSeconds = await timed(() => rawClose(url, baselineCampaign.id, new Date(now)));
  console.error('service: the close and settle jobs…');
  const serviceSeconds = await timed(async () => {
    await decisions.close(serviceCampaign.id);
    await settlement.settle(serviceCampaign.id);
  });

  const decided = await db.read((tx) => campaigns.find(tx, serviceCampaign.id));
  const expectedPerUnit = toFen(balancePerUnit(decided!, decided!.finalUnitPrice!));
  const correctness = await db.read(async (tx) => {
    const settled = (campaignId: string) => tx.countBy(PledgeRow, { campaignId, status: 'awaiting_balance' });
    const [{ balance, units }] = (await tx.query('SELECT SUM(balance_fen) AS balance, SUM(quantity) AS units FROM pledges WHERE campaign_id = ?', [
      serviceCampaign.id,
    ])) as { balance: string; units: string }[];
    const tallies = (await tx.query('SELECT SUM(awaiting_balance_units) AS units, SUM(active_units) AS active FROM pledge_tallies WHERE campaign_id = ?', [
      serviceCampaign.id,
    ])) as { units: string; active: string }[];
    return {
      settledService: await settled(serviceCampaign.id),
      settledBaseline: await settled(baselineCampaign.id),
      notificationsService: await tx.countBy(NotificationRow, { campaignId: serviceCampaign.id, kind: 'campaign_succeeded' }),
      balanceFenService: String(balance),
      balanceFenExpected: String(BigInt(expectedPerUnit) * BigInt(units)),
      talliesMatch: Number(tallies[0].units) === Number(units) && Number(tallies[0].active) === 0,
    };
  });
  await db.close();
  return {
    name: 'close',
    measuredAt: new Date().toISOString(),
    machine,
    pledges: PLEDGES,
    service: { seconds: serviceSeconds, pledgesPerSecond: Math.round(PLEDGES / serviceSeconds) },
    baseline: { seconds: baselineSeconds, pledgesPerSecond: Math.round(PLEDGES / baselineSeconds) },
    ratio: Math.round((baselineSeconds / serviceSeconds) * 100) / 100,
    correctness,
  };
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
  for (;;) {
    await conn.beginTransaction();
    const [batch] = (await conn.query("SELECT id, user_id, variant_key, quantity FROM pledges WHERE campaign_id = ? AND status = 'active' LIMIT ? FOR UPDATE", [
      campaignId,
      BATCH,
    ])) as unknown as [{ id: string; user_id: string; variant_key: string; quantity: number }[]];
    if (batch.length === 0) {
      await conn.commit();
      break;
    }
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

export function closeMarkdown(r: CloseBenchResult): string {
  const c = r.correctness;
  const ok =
    c.settledService === r.pledges &&
    c.settledBaseline === r.pledges &&
    c.notificationsService === r.pledges &&
    c.balanceFenService === c.balanceFenExpected &&
    c.talliesMatch;
  return `# Benchmark: closing a campaign with ${r.pledges.toLocaleString('en')} paid pledges

Measured ${r.measuredAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.database}.
A campaign with ${r.pledges.toLocaleString('en')} paid pledges (1 or 2 units, 20 variants) reaches its top tier: the close job decides it, the settle job
moves every pledge to awaiting_balance with its price, balance and due time, moves the tallies and writes one notification per consumer.
The baseline makes the same writes on a second campaign of the same size with raw mysql2 (batches of ${BATCH}: lock, one UPDATE, one tally upsert, one multi-row INSERT).
Command: \`npm run bench -- close\` (MariaDB at BENCH_DATABASE_URL, default mysql://root@127.0.0.1:3306/test).

| | seconds | pledges settled per second |
|---|---|---|
| baseline: raw mysql2, same writes | ${r.baseline.seconds} | ${r.baseline.pledgesPerSecond.toLocaleString('en')} |
| service: close + settle jobs (TypeORM) | ${r.service.seconds} | ${r.service.pledgesPerSecond.toLocaleString('en')} |

**Service / baseline throughput: ${r.ratio}** (measured in the same run; compare ratios, not absolute numbers).

Correctness: ${c.settledService.toLocaleString('en')} pledges awaiting their balance (baseline ${c.settledBaseline.toLocaleString('en')}), ${c.notificationsService.toLocaleString('en')} consumers told,
balances ${c.balanceFenService} fen (expected ${c.balanceFenExpected}), tallies ${c.talliesMatch ? 'match the pledges' : '**do not match**'}: ${ok ? 'every pledge settled exactly once' : '**MISMATCH**'}.
`;
}
