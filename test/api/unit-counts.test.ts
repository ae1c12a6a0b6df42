import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, paidPledge, payBalance, pledge } from '../support/campaigns';
import { TestClock, advance, runDue } from '../support/clock';

/**
 * One meaning per count field (the glossary in docs/domain.md), whichever route shows it: the public
 * progress, the factory's live forecast and a consumer's own pledges agree with each other and with
 * what happened to the pledges.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factory: { id: string; user: Caller };
const black = { colour: 'black', size: 'M' };
const navy = { colour: 'navy', size: 'L' };
const HOUR = 3600_000;

beforeAll(async () => {
  clock = new TestClock();
  t = await startTestApp({ clock });
  operator = await anOperator(t);
  factory = await aFactory(t, operator);
});
afterEach(() => expectLedgerReconciles(t));
afterAll(() => t.close());

const progressOf = (id: string) =>
  t.http
    .get(`/v1/campaigns/${id}`)
    .expect(200)
    .then((r) => r.body.progress);
const forecastOf = async (id: string) =>
  (await t.http.get('/v1/factory/forecast').set(factory.user.auth).expect(200)).body.campaigns.find((c: { campaignId: string }) => c.campaignId === id);
const closeAndSettle = async (id: string) => {
  await t.http.post(`/v1/campaigns/${id}/close`).set(operator.auth).expect(200);
  await runDue(t, clock);
};

test('a failed campaign whose deposits are all refunded shows nothing paid, nothing reserved and nothing left to pledge', async () => {
  const c = await anOpenCampaign(t, operator, factory.id, clock, { maxUnits: 10 });
  const [a, b] = await Promise.all([aConsumer(t), aConsumer(t)]);
  await paidPledge(t, a, c.id, black, 1);
  await paidPledge(t, b, c.id, navy, 1);
  expect(await progressOf(c.id)).toMatchObject({ paidUnits: 2, reservedUnits: 2, remainingUnits: 8 });

  await closeAndSettle(c.id);
  const campaign = (await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body;
  expect(campaign.status).toBe('failed');
  expect(campaign.progress).toMatchObject({ paidUnits: 0, reservedUnits: 0, pledgers: 0, remainingUnits: 0 });
  expect(campaign.progress.variants).toEqual(
    expect.arrayContaining([
      { variant: 'colour=black;size=M', paidUnits: 0, reservedUnits: 0 },
      { variant: 'colour=navy;size=L', paidUnits: 0, reservedUnits: 0 },
    ]),
  );
});

test('the progress and the factory forecast count paid and unpaid units the same way, through payment, a forfeit and completion', async () => {
  const c = await anOpenCampaign(t, operator, factory.id, clock, { maxUnits: 20, tiers: [{ minUnits: 2, unitPrice: '899.00' }], balanceWindowHours: 48 });
  const [a, b, d] = await Promise.all([aConsumer(t), aConsumer(t), aConsumer(t)]);
  const pa = await paidPledge(t, a, c.id, black, 2);
  await paidPledge(t, b, c.id, black, 1);
  await pledge(t, d, c.id, black, 3).expect(201);

  // Open: 3 black units paid, 3 awaiting their deposit; 6 reserved against the cap of 20.
  const agree = async (expected: { paidUnits: number; reservedUnits: number; awaitingDepositUnits: number }) => {
    const progress = await progressOf(c.id);
    const forecast = await forecastOf(c.id);
    const variant = forecast.variants.find((v: { variant: string }) => v.variant === 'colour=black;size=M');
    expect({ paidUnits: progress.paidUnits, reservedUnits: progress.reservedUnits }).toEqual({
      paidUnits: expected.paidUnits,
      reservedUnits: expected.reservedUnits,
    });
    expect(progress.variants).toEqual([{ variant: 'colour=black;size=M', paidUnits: expected.paidUnits, reservedUnits: expected.reservedUnits }]);
    expect(variant).toMatchObject({ paidUnits: expected.paidUnits, awaitingDepositUnits: expected.awaitingDepositUnits });
    expect(variant.paidUnits + variant.awaitingDepositUnits).toBe(progress.reservedUnits);
    expect(forecast.totals).toMatchObject({ paidUnits: expected.paidUnits, awaitingDepositUnits: expected.awaitingDepositUnits });
    expect(forecast.totals).not.toHaveProperty('reservedUnits');
    expect(variant).not.toHaveProperty('reservedUnits');
    return { progress, variant };
  };
  expect((await agree({ paidUnits: 3, reservedUnits: 6, awaitingDepositUnits: 3 })).progress.remainingUnits).toBe(14);

  // The unpaid pledge expires; the campaign succeeds; A pays the balance, B forfeits.
  await advance(t, clock, 20 * 60_000);
  await closeAndSettle(c.id);
  const asked = await t.http.post(`/v1/pledges/${pa.id}/balance-payment`).set(a.auth).set('Idempotency-Key', randomUUID()).expect(201);
  expect(asked.body.payments.map((p: { kind: string }) => p.kind)).toEqual(['deposit', 'balance']);
  await payBalance(t, a, pa.id);
  await advance(t, clock, 49 * HOUR);
  const { progress, variant } = await agree({ paidUnits: 3, reservedUnits: 3, awaitingDepositUnits: 0 });
  expect((await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body.status).toBe('completed');
  expect(progress).toMatchObject({ currentTier: { minUnits: 2 }, remainingUnits: 0 });
  expect(variant).toMatchObject({ awaitingBalanceUnits: 0, paidBalanceUnits: 2 });
});

test("a consumer's list of pledges shows each pledge's payments, as the pledge itself does", async () => {
  const c = await anOpenCampaign(t, operator, factory.id, clock);
  const consumer = await aConsumer(t);
  const paid = await paidPledge(t, consumer, c.id, black, 1);
  const unpaid = (await pledge(t, consumer, c.id, navy, 2).expect(201)).body;

  const mine = (await t.http.get('/v1/me/pledges').set(consumer.auth).expect(200)).body.items as { id: string; payments: { id: string; status: string }[] }[];
  expect(mine.map((p) => p.id)).toEqual([unpaid.id, paid.id]);
  for (const listed of mine) {
    const one = (await t.http.get(`/v1/pledges/${listed.id}`).set(consumer.auth).expect(200)).body;
    expect(listed.payments).toEqual(one.payments);
  }
  expect(mine[1].payments).toEqual([expect.objectContaining({ id: paid.depositPayment.id, kind: 'deposit', status: 'succeeded' })]);
  expect(mine[0].payments).toEqual([expect.objectContaining({ id: unpaid.depositPayment.id, kind: 'deposit', status: 'pending' })]);
});
