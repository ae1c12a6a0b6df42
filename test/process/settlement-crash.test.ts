import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NotificationRow } from '../../src/notifications';
import { RefundRow } from '../../src/payments';
import { PledgeRow } from '../../src/pledges';
import { startTestApp, type TestApp } from '../support/app';
import { aFactory, anOperator } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles } from '../support/campaigns';
import { TestClock } from '../support/clock';
import { freshDatabase } from '../support/database';
import { startService, type RunningService } from '../support/process';
import { waitFor } from '../support/wait';

/**
 * A campaign's settlement killed half way (the worker process gets SIGKILL between two batches) and
 * run again by another worker: every pledge is settled exactly once.
 */
const PLEDGES = 800;
let t: TestApp;
let env: Record<string, string>;
const workers: RunningService[] = [];

beforeAll(async () => {
  const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'c2m-settle-')), 'data');
  mkdirSync(dataDir, { recursive: true });
  const fresh = await freshDatabase();
  // The worker processes must open the same database: on SQLite, the file in their DATA_DIR.
  const database = fresh.config.kind === 'sqlite' ? { config: { kind: 'sqlite' as const, file: path.join(dataDir, 'c2m.sqlite') }, drop: fresh.drop } : fresh;
  t = await startTestApp({ database });
  env = {
    DATA_DIR: dataDir,
    SEED_DEMO_DATA: 'false',
    SANDBOX_AUTO_CONFIRM: 'false',
    JOBS_POLL_INTERVAL_MS: '100',
    JOBS_LOCK_LIFETIME_MS: '20000',
    LOG_LEVEL: 'info',
    ...(database.config.kind === 'mysql' ? { DATABASE_URL: database.config.url } : {}),
  };
}, 240_000);
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await t.close();
}, 240_000);

test(`a settlement killed half way and run again settles each of ${PLEDGES} pledges exactly once`, async () => {
  const clock = new TestClock();
  const operator = await anOperator(t);
  const factory = await aFactory(t, operator);
  // A threshold no one reaches: the campaign fails and every deposit must be refunded.
  const c = await anOpenCampaign(t, operator, factory.id, clock, { tiers: [{ minUnits: 100_000, unitPrice: '899.00' }] });
  const { pledges, payments, sandbox } = t.app.services;
  for (let i = 0; i < PLEDGES; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async (_, j) => {
        const { payment } = await pledges.placement.create({ role: 'consumer', userId: `00000000-0000-4000-8000-${String(i + j).padStart(12, '0')}` }, c.id, {
          variant: { colour: 'black', size: 'M' },
          quantity: 1,
        });
        const signed = sandbox.notification(payment, 'succeeded', clock.now());
        await payments.handleNotification(sandbox.name, signed.headers, signed.body);
      }),
    );
  }
  await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
  const refunded = () => t.db.read((tx) => tx.countBy(PledgeRow, { campaignId: c.id, status: 'refunded' }));

  const doomed = await startService(env, ['--role=worker']);
  workers.push(doomed);
  await waitFor(async () => (await refunded()) > 0, 60_000, 'the settlement to start');
  doomed.child.kill('SIGKILL');
  await doomed.exited;
  const settledBeforeTheCrash = await refunded();
  expect(settledBeforeTheCrash).toBeGreaterThan(0);
  expect(settledBeforeTheCrash).toBeLessThan(PLEDGES);

  const rescuer = await startService(env, ['--role=worker']);
  workers.push(rescuer);
  // Liveness bounds, not speed checks: a refund is one job (gateway call, then its ledger entry), and on a
  // loaded two-core machine with SQLite's single writer 800 of them take minutes.
  await waitFor(async () => (await refunded()) === PLEDGES, 240_000, 'every pledge to be refunded');
  await waitFor(
    async () => (await t.db.read((tx) => tx.countBy(RefundRow, { campaignId: c.id, status: 'succeeded' }))) === PLEDGES,
    240_000,
    'every refund to be sent',
  );
  rescuer.child.kill('SIGTERM');
  await rescuer.exited;

  // Exactly once: one refund and one "campaign failed" message per pledge, and the ledger agrees.
  const refunds = await t.db.read((tx) => tx.find(RefundRow, { where: { campaignId: c.id } }));
  expect(refunds).toHaveLength(PLEDGES);
  expect(new Set(refunds.map((r) => r.pledgeId)).size).toBe(PLEDGES);
  expect(refunds.every((r) => r.amount.toFixed(2) === '100.00')).toBe(true);
  const failedNotices = await t.db.read((tx) => tx.countBy(NotificationRow, { campaignId: c.id, kind: 'campaign_failed' }));
  expect(failedNotices).toBe(PLEDGES);
  expect((await t.http.get(`/v1/campaigns/${c.id}`)).body.status).toBe('failed');
  await expectLedgerReconciles(t);
}, 600_000);
