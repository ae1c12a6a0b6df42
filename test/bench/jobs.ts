import { PledgeRow } from '../../src/pledges';
import { RefundRow } from '../../src/payments';
import { mapLimit } from '../resilience/support/http';
import { type Machine, aBenchCampaign, benchApp, benchDatabase, percentile } from './support';

/**
 * Due work against its due time: 5,000 deposit refunds (a failed campaign) and 5,000 pledge expiries
 * (a spike of unpaid pledges, their units held on a capped campaign) all come due at the same instant,
 * and one job worker (the service's own, in this process) works them off. Each row's lateness is when
 * it was done (refund sent, units released) minus when it was due. The baseline, on a second pair of
 * campaigns of the same size in the same run, calls the same service methods directly, a hundred rows
 * at a time, one after the other, with no job platform: the rate the database allows this work.
 */
const ROWS = Number(process.env.BENCH_JOBS_ROWS ?? 5000);
const HOUR = 3_600_000;
const EXPIRE_JOB = 'pledges.expire-unpaid';
const REFUND_JOB = 'payments.send-refund';

export interface JobsBenchResult {
  name: 'jobs';
  measuredAt: string;
  machine: Machine;
  rows: number;
  service: { refunds: Lateness; expiries: Lateness };
  baseline: { refundsPerSecond: number; expiriesPerSecond: number };
  targetMet: boolean;
}

interface Lateness {
  done: number;
  perSecond: number;
  lateMs: { p50: number; p99: number; max: number };
}

export async function benchJobs(): Promise<JobsBenchResult> {
  const { db, url, machine } = await benchDatabase('c2m_bench_jobs');
  // Business time runs two hours ahead of the worker's: every campaign has closed and every deposit's TTL has passed.
  let offset = 0;
  const clock = { now: () => new Date(Date.now() + offset) };
  const app = benchApp(db, url, { SANDBOX_AUTO_CONFIRM: 'false', JOBS_POLL_INTERVAL_MS: '2000' }, clock);
  const { campaigns, decisions, factories, pledges, payments, sandbox, settlement } = app.services;
  const factory = await factories.create({ name: 'Bench factory', kind: 'manufacturer', contactEmail: 'bench@example.com' });
  const aCampaign = async (title: string, maxUnits: number | undefined) => {
    const now = Date.now();
    const c = await aBenchCampaign(campaigns, {
      factoryId: factory.id,
      title,
      options: [{ name: 'size', values: ['M', 'L'] }],
      maxUnits,
      tiers: [{ minUnits: 1_000_000, unitPrice: '900.00' }],
      opensAt: new Date(now - HOUR),
      closesAt: new Date(now + HOUR),
      expectedShipDate: new Date(now + 60 * 24 * HOUR).toISOString().slice(0, 10),
    });
    return c.id;
  };
  const place = (campaignId: string, paid: boolean) =>
    mapLimit(
      Array.from({ length: ROWS }, (_, i) => i),
      50,
      async (i) => {
        const { pledge, payment } = await pledges.placement.create({ role: 'consumer', userId: `u-${campaignId.slice(0, 8)}-${i}` }, campaignId, {
          variant: { size: i % 2 ? 'M' : 'L' },
          quantity: 1,
        });
        if (paid) {
          const signed = sandbox.notification(payment, 'succeeded', clock.now());
          await payments.handleNotification(sandbox.name, signed.headers, signed.body);
        }
        return pledge.id;
      },
    );
  console.error(`seeding 2 × ${ROWS} unpaid pledges on capped campaigns and 2 × ${ROWS} paid pledges on campaigns that fail…`);
  const expiring = { service: await aCampaign('Expiries (service)', 2 * ROWS), baseline: await aCampaign('Expiries (baseline)', 2 * ROWS) };
  const failing = { service: await aCampaign('Refunds (service)', undefined), baseline: await aCampaign('Refunds (baseline)', undefined) };
  const unpaid = { service: await place(expiring.service, false), baseline: await place(expiring.baseline, false) };
  await place(failing.service, true);
  await place(failing.baseline, true);
  offset = 2 * HOUR;
  for (const campaignId of [failing.service, failing.baseline]) {
    await decisions.close(campaignId);
    await settlement.settle(campaignId);
  }
  const refundIds = async (campaignId: string) => (await db.read((tx) => tx.find(RefundRow, { where: { campaignId }, select: { id: true } }))).map((r) => r.id);
  const refunds = { service: await refundIds(failing.service), baseline: await refundIds(failing.baseline) };

  // The baseline's rows are worked by hand: their jobs are put aside.
  const jobKeys = (name: string, ids: string[]) => ids.map((id) => `${name}:${id}`);
  const setJobs = (keys: string[], values: string, params: unknown[]) =>
    db.statement((tx) => tx.query(`UPDATE jobs SET ${values} WHERE dedupe_key IN (${keys.map(() => '?').join(', ')})`, [...params, ...keys]));
  await setJobs([...jobKeys(EXPIRE_JOB, unpaid.baseline), ...jobKeys(REFUND_JOB, refunds.baseline)], 'disabled = 1', []);

  console.error('baseline: the same service methods called directly, 100 rows at a time…');
  const expiriesSeconds = await timed(async () => {
    for (let i = 0; i < ROWS; i += 100) await pledges.moves.expire(unpaid.baseline.slice(i, i + 100));
  });
  const refundsSeconds = await timed(async () => {
    for (let i = 0; i < ROWS; i += 100) await payments.sendRefunds(refunds.baseline.slice(i, i + 100));
  });

  console.error('service: every refund and expiry due at one instant, one job worker…');
  const dueAt = new Date(Date.now() + 3000);
  await setJobs([...jobKeys(EXPIRE_JOB, unpaid.service), ...jobKeys(REFUND_JOB, refunds.service)], 'next_run_at = ?', [dueAt]);
  await app.jobs.startWorker();
  const outstanding = () =>
    db.read(
      async (tx) =>
        (await tx.countBy(PledgeRow, { campaignId: expiring.service, status: 'awaiting_deposit' })) +
        (await tx.countBy(RefundRow, { campaignId: failing.service, status: 'pending' })),
    );
  const deadline = Date.now() + 15 * 60_000;
  while ((await outstanding()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
  await app.jobs.stopWorker();

  // Done when the refund was recorded sent, and when the pledge expired (its units released in that transaction); in business time, two hours ahead.
  const lateness = (doneAt: Date[]): Lateness => {
    const late = doneAt.map((at) => at.getTime() - offset - dueAt.getTime()).sort((a, b) => a - b);
    const max = late.at(-1) ?? 0;
    return {
      done: late.length,
      perSecond: Math.round(late.length / Math.max(0.001, max / 1000)),
      lateMs: { p50: percentile(late, 50), p99: percentile(late, 99), max: Math.round(max) },
    };
  };
  const sent = await db.read((tx) => tx.find(RefundRow, { where: { campaignId: failing.service, status: 'succeeded' }, select: { succeededAt: true } }));
  const expired = await db.read((tx) => tx.find(PledgeRow, { where: { campaignId: expiring.service, status: 'expired' }, select: { updatedAt: true } }));
  await db.close();
  const service = { refunds: lateness(sent.map((r) => r.succeededAt!)), expiries: lateness(expired.map((p) => p.updatedAt)) };
  return {
    name: 'jobs',
    measuredAt: new Date().toISOString(),
    machine,
    rows: ROWS,
    service,
    baseline: { refundsPerSecond: Math.round(ROWS / refundsSeconds), expiriesPerSecond: Math.round(ROWS / expiriesSeconds) },
    targetMet: [service.refunds, service.expiries].every((l) => l.done === ROWS && l.lateMs.max <= 60_000),
  };
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return Math.round((performance.now() - started) / 10) / 100;
}

export function jobsMarkdown(r: JobsBenchResult): string {
  const row = (what: string, l: Lateness, baseline: number) =>
    `| ${what} | ${l.done.toLocaleString('en')} | ${l.lateMs.p50} | ${l.lateMs.p99} | ${l.lateMs.max} | ${l.perSecond.toLocaleString('en')} | ${baseline.toLocaleString('en')} |`;
  return `# Benchmark: ${r.rows.toLocaleString('en')} refunds and ${r.rows.toLocaleString('en')} expiries due at one instant

Measured ${r.measuredAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.database}.
A failed campaign's ${r.rows.toLocaleString('en')} deposit refunds and a capped campaign's ${r.rows.toLocaleString('en')} unpaid pledges all come due at the same instant;
one job worker (the default settings: poll every 2 s, 20 jobs at once) works them off. Lateness is when each row was done (refund recorded
sent; pledge expired and its units released) minus its due time. The baseline calls the same service methods directly on a second pair of
campaigns of the same size, 100 rows at a time, one after the other, with no job platform.
Command: \`npm run bench -- jobs\` (MariaDB at BENCH_DATABASE_URL, default mysql://root@127.0.0.1:3306/test).

| due work | done | late p50 ms | late p99 ms | late max ms | rows/s (service) | rows/s (baseline: direct calls) |
|---|---|---|---|---|---|---|
${row('refunds sent', r.service.refunds, r.baseline.refundsPerSecond)}
${row('expiries (units released)', r.service.expiries, r.baseline.expiriesPerSecond)}

**Target: every row done within 60 s of its due time: ${r.targetMet ? 'met' : 'MISSED'}.**
`;
}
