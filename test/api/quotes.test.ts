import { randomUUID } from 'node:crypto';
import { CampaignRow } from '../../src/campaigns';
import { PledgeRow } from '../../src/pledges';
import { PaymentRow } from '../../src/payments';
import type { TestApp } from '../support/app';
import { aConsumer, aFactoryWorld, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, paidPledge, pledge } from '../support/campaigns';
import { type TestClock, runDue } from '../support/clock';

/** POST /v1/campaigns/:id/quote: the deal a consumer is shown, every amount worked out by hand here. */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;
const black = { colour: 'black', size: 'M' };
const navy = { colour: 'navy', size: 'L' };

beforeAll(async () => {
  ({ t, clock, operator, factoryId } = await aFactoryWorld());
});
afterEach(() => expectLedgerReconciles(t));
afterAll(() => t.close());

const quote = (campaignId: string, body: unknown) => t.http.post(`/v1/campaigns/${campaignId}/quote`).send(body as object);

describe('the deal for a variant and quantity', () => {
  test('with a deposit credit of 1.5: deposit, credit, price and balance now, at the lowest tier and per tier; the pledge then owes exactly the quoted balance', async () => {
    // Reference ¥999.99, deposit 10% = 99.999 → ¥100.00 a unit, credited ×1.5 = ¥150.00; tiers 3 → ¥899.00, 5 → ¥699.50.
    const c = await anOpenCampaign(t, operator, factoryId, clock, { depositCreditRate: '1.5' });
    const before = await quote(c.id, { variant: black, quantity: 3 }).expect(200);
    // Nothing paid yet: "now" is the first tier, the price if the campaign succeeds as it stands.
    expect(before.body).toEqual({
      quantity: 3,
      deposit: '300.00', // 100.00 × 3
      depositCredit: '450.00', // 150.00 × 3
      unitPriceNow: '899.00',
      priceNow: '2697.00', // 899.00 × 3
      balanceNow: '2247.00', // (899.00 − 150.00) × 3
      lowestUnitPrice: '699.50',
      balanceAtLowest: '1648.50', // (699.50 − 150.00) × 3
      referencePrice: '2999.97', // 999.99 × 3
      refundIfNotReached: '300.00',
      balanceWindowHours: 48,
      tiers: [
        { minUnits: 3, unitPrice: '899.00', price: '2697.00', balance: '2247.00' },
        { minUnits: 5, unitPrice: '699.50', price: '2098.50', balance: '1648.50' },
      ],
    });

    // Five paid units reach the second tier: the deal now is ¥699.50 a unit.
    const [a, b, mine] = await Promise.all([aConsumer(t), aConsumer(t), aConsumer(t)]);
    await paidPledge(t, a, c.id, black, 2);
    await paidPledge(t, b, c.id, navy, 3);
    const now = (await quote(c.id, { variant: black, quantity: 3 }).expect(200)).body;
    expect(now).toMatchObject({ unitPriceNow: '699.50', priceNow: '2098.50', depositCredit: '450.00', balanceNow: '1648.50', deposit: '300.00' });

    // The pledge made on that quote asks the quoted deposit, and at the decision owes the quoted balance.
    const placed = await paidPledge(t, mine, c.id, black, 3);
    expect(placed.deposit).toBe(now.deposit);
    await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
    await runDue(t, clock);
    const settled = (await t.http.get(`/v1/pledges/${placed.id}`).set(mine.auth).expect(200)).body;
    expect(settled).toMatchObject({ status: 'awaiting_balance', unitPrice: now.unitPriceNow, creditedPerUnit: '150.00', balance: now.balanceNow });
  });

  test('amounts are rounded to the fen once per unit, as the pledge rounds them', async () => {
    // 999.99 × 0.0333 = 33.299667 → ¥33.30 a unit; credited ×1.25 = 41.625 → ¥41.63 (half up).
    const c = await anOpenCampaign(t, operator, factoryId, clock, {
      depositRate: '0.0333',
      depositCreditRate: '1.25',
      tiers: [{ minUnits: 10, unitPrice: '899.00' }],
    });
    expect(c.depositPerUnit).toBe('33.30');
    const res = await quote(c.id, { variant: navy, quantity: 7 }).expect(200);
    expect(res.body).toMatchObject({
      deposit: '233.10', // 33.30 × 7
      depositCredit: '291.41', // 41.63 × 7 (not 41.625 × 7 = 291.375)
      priceNow: '6293.00',
      balanceNow: '6001.59', // (899.00 − 41.63) × 7 = 857.37 × 7
      referencePrice: '6999.93',
      refundIfNotReached: '233.10',
      tiers: [{ minUnits: 10, unitPrice: '899.00', price: '6293.00', balance: '6001.59' }],
    });
    const placed = await pledge(t, await aConsumer(t), c.id, navy, 7).expect(201);
    expect(placed.body.deposit).toBe('233.10');
  });

  test('a credit larger than the price counts the price only: nothing is left to pay', async () => {
    // ¥100.00 reference, 20% deposit = ¥20.00, credited ×6 = ¥120.00, capped at the ¥100.00 price.
    const c = await anOpenCampaign(t, operator, factoryId, clock, {
      referencePrice: '100.00',
      depositRate: '0.20',
      depositCreditRate: '6',
      tiers: [{ minUnits: 2, unitPrice: '100.00' }],
    });
    const res = await quote(c.id, { variant: black, quantity: 2 }).expect(200);
    expect(res.body).toMatchObject({ deposit: '40.00', depositCredit: '200.00', priceNow: '200.00', balanceNow: '0.00', balanceAtLowest: '0.00' });
  });

  test('anyone may ask, signed in or not; asking writes nothing', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const count = () =>
      t.db.read(async (tx) => [await tx.count(PledgeRow), await tx.count(PaymentRow), (await tx.findOneByOrFail(CampaignRow, { id: c.id })).reservedUnits]);
    const before = await count();
    await quote(c.id, { variant: black, quantity: 1 }).expect(200);
    await t.http
      .post(`/v1/campaigns/${c.id}/quote`)
      .set((await aConsumer(t)).auth)
      .send({ variant: black, quantity: 1 })
      .expect(200);
    expect(await count()).toEqual(before);
  });
});

describe('a choice a pledge would refuse is refused with the same code', () => {
  let campaignId: string;
  let consumer: Caller;
  beforeAll(async () => {
    campaignId = (await anOpenCampaign(t, operator, factoryId, clock, { maxUnits: 10, perConsumerLimit: 4 })).id;
    consumer = await aConsumer(t);
  });

  test.each([
    ['a value the option does not have', { variant: { colour: 'red', size: 'M' }, quantity: 1 }, 400, 'invalid_variant'],
    ['an option the product does not have', { variant: { ...black, sleeve: 'long' }, quantity: 1 }, 400, 'invalid_variant'],
    ['an option left out', { variant: { colour: 'black' }, quantity: 1 }, 400, 'invalid_variant'],
    ['a display label instead of the key', { variant: { colour: '黑色', size: 'M' }, quantity: 1 }, 400, 'invalid_variant'],
    ['no units', { variant: black, quantity: 0 }, 400, 'validation_failed'],
    ['part of a unit', { variant: black, quantity: 1.5 }, 400, 'validation_failed'],
    ['a quantity as text', { variant: black, quantity: '2' }, 400, 'validation_failed'],
    ['more than 10,000 units', { variant: black, quantity: 10_001 }, 400, 'validation_failed'],
    ['a field the API does not know', { variant: black, quantity: 1, price: '1.00' }, 400, 'validation_failed'],
    ['more units than one consumer may pledge', { variant: black, quantity: 5 }, 409, 'per_consumer_limit'],
  ])('%s', async (_label, body, status, code) => {
    const quoted = await quote(campaignId, body).expect(status);
    expect(quoted.body.code).toBe(code);
    const pledged = await pledge(t, consumer, campaignId, body.variant as Record<string, string>, body.quantity as number)
      .send(body)
      .expect(status);
    expect(pledged.body.code).toBe(code);
  });

  test('more units than are left: campaign_sold_out, as for the pledge', async () => {
    const other = await anOpenCampaign(t, operator, factoryId, clock, { maxUnits: 3 });
    await pledge(t, await aConsumer(t), other.id, black, 2).expect(201);
    expect((await quote(other.id, { variant: black, quantity: 2 }).expect(409)).body).toMatchObject({
      code: 'campaign_sold_out',
      detail: expect.stringContaining('Only 1 units'),
    });
    expect((await pledge(t, consumer, other.id, black, 2).expect(409)).body.code).toBe('campaign_sold_out');
    await quote(other.id, { variant: black, quantity: 1 }).expect(200);
  });

  test('a closed campaign (its variants decided, some perhaps dropped) quotes nothing: campaign_not_open, as for the pledge', async () => {
    const other = await anOpenCampaign(t, operator, factoryId, clock, { variantMinUnits: 2 });
    await paidPledge(t, await aConsumer(t), other.id, black, 3);
    await paidPledge(t, await aConsumer(t), other.id, navy, 1);
    await t.http.post(`/v1/campaigns/${other.id}/close`).set(operator.auth).expect(200);
    await runDue(t, clock);
    expect((await t.http.get(`/v1/campaigns/${other.id}`).expect(200)).body).toMatchObject({ status: 'succeeded', droppedVariants: ['colour=navy;size=L'] });
    for (const variant of [navy, black]) {
      expect((await quote(other.id, { variant, quantity: 1 }).expect(409)).body.code).toBe('campaign_not_open');
      expect((await pledge(t, consumer, other.id, variant, 1).expect(409)).body.code).toBe('campaign_not_open');
    }
  });

  test('an upcoming campaign already quotes its deal (its page explains it), though it takes pledges only once open', async () => {
    const created = await t.http
      .post('/v1/campaigns')
      .set(operator.auth)
      .send({
        factoryId,
        title: 'Upcoming',
        productName: 'Jacket',
        options: [{ name: 'size', values: ['M'] }],
        referencePrice: '1000.00',
        depositRate: '0.10',
        tiers: [{ minUnits: 5, unitPrice: '900.00' }],
        opensAt: new Date(clock.now().getTime() + 86_400_000).toISOString(),
        closesAt: new Date(clock.now().getTime() + 2 * 86_400_000).toISOString(),
        balanceWindowHours: 24,
        expectedShipDate: new Date(clock.now().getTime() + 30 * 86_400_000).toISOString().slice(0, 10),
      })
      .expect(201);
    // A draft is nobody's business but the operators': they may preview its deal.
    expect((await quote(created.body.id, { variant: { size: 'M' }, quantity: 1 }).expect(404)).body.code).toBe('not_found');
    expect(
      (
        await t.http
          .post(`/v1/campaigns/${created.body.id}/quote`)
          .set(consumer.auth)
          .send({ variant: { size: 'M' }, quantity: 1 })
          .expect(404)
      ).body.code,
    ).toBe('not_found');
    expect(
      (
        await t.http
          .post(`/v1/campaigns/${created.body.id}/quote`)
          .set(operator.auth)
          .send({ variant: { size: 'M' }, quantity: 1 })
          .expect(200)
      ).body.deposit,
    ).toBe('100.00');
    await t.http.post(`/v1/campaigns/${created.body.id}/publish`).set(operator.auth).expect(200);
    expect((await quote(created.body.id, { variant: { size: 'M' }, quantity: 2 }).expect(200)).body).toMatchObject({
      deposit: '200.00',
      priceNow: '1800.00',
      balanceNow: '1600.00',
    });
    expect((await pledge(t, consumer, created.body.id, { size: 'M' }, 2).expect(409)).body.code).toBe('campaign_not_open');
  });

  test('an unknown campaign is a 404; a malformed id a 400', async () => {
    expect((await quote(randomUUID(), { variant: black, quantity: 1 }).expect(404)).body.code).toBe('not_found');
    await quote('nope', { variant: black, quantity: 1 }).expect(400);
  });
});
