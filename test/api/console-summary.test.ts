import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Decimal } from 'decimal.js';
import { PaymentRow } from '../../src/payments';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, paidPledge, pledge } from '../support/campaigns';
import { TestClock, advance } from '../support/clock';

/**
 * The business figures (docs/operator-console.md § 概览) after a scripted day: a factory whose webhook is down, a
 * campaign that succeeds (its pledge now owes its balance) and whose forecast batch goes unacknowledged for a day, then
 * a new campaign with a paid pledge charged twice (the refund of the second charge is rejected by the bank) and an
 * unpaid one. /metrics and GET /v1/console/summary show exactly those figures.
 */
const METRICS_TOKEN = 'metrics-scraper-token-0123456789abcdef';
const HOUR = 3_600_000;
const black = { colour: 'black', size: 'M' };

let t: TestApp;
const clock = new TestClock();
let operator: Caller;
let receiver: Server;
let pushes = 0;
const expected = { depositsHeld: new Decimal(0), balance: new Decimal(0) };

beforeAll(async () => {
  t = await startTestApp({ clock, env: { METRICS_TOKEN, WEBHOOK_RETRY_BASE_MS: '3600000', WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' } });
  operator = await anOperator(t);
  // The factory's ERP is down all day (its pushes are retried an hour apart, then two, four …).
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      pushes++;
      res.writeHead(503).end('down');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));

  // Day one: a campaign reaches its threshold; its forecast is pushed to a webhook that fails.
  const factory = await aFactory(t, operator);
  await t.http
    .put('/v1/factory/webhook')
    .set(factory.user.auth)
    .send({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/c2m` })
    .expect(200);
  const first = await anOpenCampaign(t, operator, factory.id, clock);
  const early = await aConsumer(t);
  const succeeded = await paidPledge(t, early, first.id, black, 3);
  await t.http.post(`/v1/factories/${factory.id}/forecast-batches`).set(operator.auth).expect(200);
  // A day and more: the campaign closes and succeeds (the pledge owes its balance), a new forecast version follows, its pushes fail, nobody acknowledges it.
  await advance(t, clock, 2 * HOUR);
  await advance(t, clock, 25 * HOUR);
  const afterClose = (await t.http.get(`/v1/pledges/${succeeded.id}`).set(early.auth).expect(200)).body as { status: string; deposit: string; balance: string };
  expect(afterClose.status).toBe('awaiting_balance');
  expected.depositsHeld = expected.depositsHeld.plus(afterClose.deposit);
  expected.balance = new Decimal(afterClose.balance);

  // The last hour: a new campaign, a paid pledge of 2 and an unpaid one of 1.
  const second = await anOpenCampaign(t, operator, factory.id, clock);
  const buyer = await aConsumer(t);
  const paid = await paidPledge(t, buyer, second.id, black, 2);
  expected.depositsHeld = expected.depositsHeld.plus(paid.deposit);
  await pledge(t, await aConsumer(t), second.id, black, 1).expect(201);
  // The buyer's bank reports the deposit twice (another transaction): the second charge is refunded, and the bank rejects that refund.
  const deposit = await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id: paid.depositPayment.id }));
  const signed = t.app.services.sandbox.notification(deposit, 'succeeded', clock.now(), { transactionId: 'txn-second-charge' });
  expect((await t.http.post('/v1/payments/notifications/sandbox').set(signed.headers).send(signed.body.toString('utf8')).expect(200)).body.outcome).toBe(
    'unexpected',
  );
  t.app.services.sandbox.failNextRefunds(1);
  // The refund's first attempt (its retry, an hour later, is not run here).
  await t.app.jobs.runDueJobs(60_000);
}, 120_000);
afterAll(async () => {
  await t.close();
  await new Promise((resolve) => receiver.close(resolve));
});

/** A metric's samples from /metrics as Prometheus reads it: `name{labels} value` lines. */
async function scrape(): Promise<Map<string, number>> {
  const res = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
  const samples = new Map<string, number>();
  for (const line of res.text.split('\n')) {
    const match = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

test('the scenario as it happened: two batches failing to push, one overdue, one refund failed', async () => {
  // What the other operator views say, against which the figures are checked.
  const overdue = (await t.http.get('/v1/forecast-batches/overdue').set(operator.auth).expect(200)).body.items as unknown[];
  expect(overdue).toHaveLength(1);
  const factories = (await t.http.get('/v1/factories?limit=100').set(operator.auth).expect(200)).body.items as {
    webhook?: { failingBatches?: number } | null;
  }[];
  expect(factories.map((f) => f.webhook?.failingBatches ?? 0).reduce((a, b) => a + b, 0)).toBe(2);
  expect(pushes).toBeGreaterThan(2);
});

test('/metrics: pledges and units placed (counters), deposits held, balances outstanding, refunds, job lag per name, failing pushes, overdue batches', async () => {
  const m = await scrape();
  expect({
    pledges: m.get('pledges_placed_total'),
    batches: m.get('pledge_batches_total'),
    units: m.get('pledged_units_total'),
    depositsHeld: m.get('deposits_held_yuan'),
    depositPledges: m.get('deposits_held_pledges'),
    balances: m.get('balances_outstanding_yuan'),
    balancePledges: m.get('balances_outstanding_pledges'),
    refundsPending: m.get('refunds_pending'),
    refundsFailed: m.get('refunds_failed'),
    webhooks: m.get('webhook_batches_failing'),
    overdue: m.get('forecast_batches_overdue'),
  }).toEqual({
    pledges: 3,
    // Placed one after the other: each its own transaction.
    batches: 3,
    units: 6,
    depositsHeld: expected.depositsHeld.toNumber(),
    depositPledges: 2,
    balances: expected.balance.toNumber(),
    balancePledges: 1,
    refundsPending: 0,
    refundsFailed: 1,
    webhooks: 2,
    overdue: 1,
  });
  // A lag for every job name the service runs.
  const lags = [...m.entries()].filter(([key]) => key.startsWith('job_lag_seconds{'));
  expect(lags.length).toBe(t.app.jobs.definedNames().length);
  for (const [, seconds] of lags) expect(seconds).toBeGreaterThanOrEqual(0);
});

test('GET /v1/console/summary: the same figures, and the last hour per minute (the last hour holds the two pledges of the new campaign)', async () => {
  const summary = (await t.http.get('/v1/console/summary').set(operator.auth).expect(200)).body;
  expect(summary).toMatchObject({
    depositsHeld: { pledges: 2, amount: expected.depositsHeld.toFixed(2) },
    balancesOutstanding: { pledges: 1, amount: expected.balance.toFixed(2) },
    refunds: { pending: 0, processing: 0, failed: 1 },
    webhookBatchesFailing: 2,
    overdueBatches: 1,
    lastHour: { pledges: 2, units: 3 },
  });
  const minutes = summary.lastHour.perMinute as { minute: string; pledges: number; units: number }[];
  expect(minutes).toHaveLength(60);
  expect(Date.parse(minutes[59]!.minute)).toBe(Math.floor(clock.now().getTime() / 60_000) * 60_000);
  expect(minutes.reduce((n, m) => n + m.pledges, 0)).toBe(2);
  expect(minutes.reduce((n, m) => n + m.units, 0)).toBe(3);
  expect((summary.jobs as { name: string }[]).map((j) => j.name).sort()).toEqual(
    t.app.jobs
      .definedNames()
      .map((d) => d.name)
      .sort(),
  );
  // Operators only.
  await t.http
    .get('/v1/console/summary')
    .set((await aConsumer(t)).auth)
    .expect(403);
});
