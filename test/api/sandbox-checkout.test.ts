import { randomUUID } from 'node:crypto';
import { PaymentRow } from '../../src/payments';
import { parseMoney } from '../../src/platform/money';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, aFactoryWorld, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, pledge } from '../support/campaigns';
import { TestClock, advance, runDue } from '../support/clock';

/**
 * The demo's sandbox checkout sheet (SANDBOX_CHECKOUT): the consumer who owns a deposit or balance payment
 * pays or declines it, and the sandbox gateway's signed notification goes through the real path.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;
const black = { colour: 'black', size: 'M' };

beforeAll(async () => {
  ({ t, clock, operator, factoryId } = await aFactoryWorld());
});
afterEach(() => expectLedgerReconciles(t));
afterAll(() => t.close());

const checkout = (c: Caller | undefined, paymentId: string, outcome: unknown) => {
  const req = t.http.post(`/v1/payments/${paymentId}/sandbox-checkout`);
  if (c) req.set(c.auth);
  return req.send({ outcome });
};
const pledgeOf = (c: Caller, id: string) =>
  t.http
    .get(`/v1/pledges/${id}`)
    .set(c.auth)
    .expect(200)
    .then((r) => r.body);
const kindsOf = async (c: Caller) =>
  ((await t.http.get('/v1/me/notifications?limit=100').set(c.auth).expect(200)).body.items as { kind: string }[]).map((n) => n.kind);
/** Money the gateway took for a pledge, by the payments' records: a second charge would show as a payment of kind unexpected. */
const paymentsOfPledge = (pledgeId: string) => t.db.read((tx) => tx.findBy(PaymentRow, { pledgeId }));

describe('the checkout sheet', () => {
  test('the owner pays the deposit: the pledge is active; paying again changes nothing', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const placed = (await pledge(t, consumer, c.id, black, 2).expect(201)).body;
    const paymentId = placed.depositPayment.id;
    expect(placed.depositPayment.checkoutUrl).toBe(`/pay/${paymentId}`);
    expect(placed.payments[0].checkoutUrl).toBe(`/pay/${paymentId}`);
    expect((await t.http.get(`/v1/payments/${paymentId}`).set(consumer.auth).expect(200)).body.checkoutUrl).toBe(`/pay/${paymentId}`);

    const paid = await checkout(consumer, paymentId, 'pay').set('Idempotency-Key', randomUUID()).expect(200);
    expect(paid.body).toMatchObject({
      outcome: 'processed',
      payment: { id: paymentId, status: 'succeeded', amount: '200.00', checkoutUrl: `/pay/${paymentId}` },
    });
    expect(await pledgeOf(consumer, placed.id)).toMatchObject({ status: 'active' });

    const again = await checkout(consumer, paymentId, 'pay').expect(200);
    expect(again.body).toMatchObject({ outcome: 'already_settled', payment: { status: 'succeeded' } });
    // A "fail" after the money was taken does not undo it either.
    expect((await checkout(consumer, paymentId, 'fail').expect(200)).body).toMatchObject({ outcome: 'already_settled', payment: { status: 'succeeded' } });
    expect((await kindsOf(consumer)).filter((k) => k === 'deposit_received')).toHaveLength(1);
    expect((await paymentsOfPledge(placed.id)).map((p) => [p.kind, p.status, p.amount.toFixed(2)])).toEqual([['deposit', 'succeeded', '200.00']]);
  });

  test('a double tap (two pays at once) takes the money once', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const placed = (await pledge(t, consumer, c.id, black, 1).expect(201)).body;
    const answers = await Promise.all([checkout(consumer, placed.depositPayment.id, 'pay'), checkout(consumer, placed.depositPayment.id, 'pay')]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.map((a) => a.body.payment.status)).toEqual(['succeeded', 'succeeded']);
    expect(answers.map((a) => a.body.outcome)).toContain('processed');
    expect((await kindsOf(consumer)).filter((k) => k === 'deposit_received')).toHaveLength(1);
    expect((await paymentsOfPledge(placed.id)).map((p) => [p.kind, p.status])).toEqual([['deposit', 'succeeded']]);
  });

  test('"fail" declines the deposit: the pledge lapses, and the payment cannot be paid afterwards', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const placed = (await pledge(t, consumer, c.id, black, 1).expect(201)).body;
    expect((await checkout(consumer, placed.depositPayment.id, 'fail').expect(200)).body).toMatchObject({
      outcome: 'processed',
      payment: { status: 'failed' },
    });
    expect(await pledgeOf(consumer, placed.id)).toMatchObject({ status: 'expired' });
    expect(await kindsOf(consumer)).toContain('pledge_expired');
    expect((await checkout(consumer, placed.depositPayment.id, 'fail').expect(200)).body.outcome).toBe('already_settled');
    const late = await checkout(consumer, placed.depositPayment.id, 'pay').expect(409);
    expect(late.body.code).toBe('payment_not_pending');
    expect((await paymentsOfPledge(placed.id)).map((p) => [p.kind, p.status])).toEqual([['deposit', 'failed']]);
  });

  test('the balance is paid on the sheet too, completing the purchase', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock, { tiers: [{ minUnits: 1, unitPrice: '899.00' }] });
    const consumer = await aConsumer(t);
    const placed = (await pledge(t, consumer, c.id, black, 1).expect(201)).body;
    await checkout(consumer, placed.depositPayment.id, 'pay').expect(200);
    await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
    await runDue(t, clock);
    const balance = (await t.http.post(`/v1/pledges/${placed.id}/balance-payment`).set(consumer.auth).set('Idempotency-Key', randomUUID()).expect(201)).body
      .balancePayment;
    expect(balance).toMatchObject({ kind: 'balance', amount: '799.00', checkoutUrl: `/pay/${balance.id}` });
    await checkout(consumer, balance.id, 'pay').expect(200);
    expect(await pledgeOf(consumer, placed.id)).toMatchObject({ status: 'paid' });
  });

  test("someone else's payment is a 404 (another consumer), a 403 (an operator: the sheet is the consumer's), a 401 without credentials", async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const [owner, stranger] = await Promise.all([aConsumer(t), aConsumer(t)]);
    const placed = (await pledge(t, owner, c.id, black, 1).expect(201)).body;
    expect((await checkout(stranger, placed.depositPayment.id, 'pay').expect(404)).body.code).toBe('not_found');
    expect((await checkout(operator, placed.depositPayment.id, 'pay').expect(403)).body.code).toBe('forbidden');
    await checkout(undefined, placed.depositPayment.id, 'pay').expect(401);
    await checkout(owner, randomUUID(), 'pay').expect(404);
    expect((await pledgeOf(owner, placed.id)).status).toBe('awaiting_deposit');
  });

  test('a payment not paid on a sheet (a fruit box is debited) has no checkout', async () => {
    const consumer = await aConsumer(t);
    const [box] = await t.db.transaction((tx) =>
      t.app.services.payments.create(tx, [{ kind: 'box', userId: consumer.userId, amount: parseMoney('99.00'), boxId: randomUUID() }]),
    );
    expect((await t.http.get(`/v1/payments/${box.id}`).set(consumer.auth).expect(200)).body.checkoutUrl).toBeNull();
    await checkout(consumer, box.id, 'pay').expect(404);
    expect((await t.http.get(`/v1/payments/${box.id}`).set(consumer.auth).expect(200)).body.status).toBe('pending');
    await t.db.transaction((tx) => t.app.services.payments.cancel(tx, box.id));
  });

  test.each([
    ['nothing', undefined],
    ['another outcome', 'maybe'],
    ['an outcome as a flag', true],
  ])('%s is a 400', async (_label, outcome) => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const placed = (await pledge(t, consumer, c.id, black, 1).expect(201)).body;
    expect((await checkout(consumer, placed.depositPayment.id, outcome).expect(400)).body.code).toBe('validation_failed');
    expect((await pledgeOf(consumer, placed.id)).status).toBe('awaiting_deposit');
  });
});

describe('switched off (the default outside the embedded demo)', () => {
  test('no route and no checkoutUrl', async () => {
    const off = await startTestApp({ env: { SANDBOX_CHECKOUT: 'false' } });
    try {
      const op = await anOperator(off);
      const factory = await aFactory(off, op);
      const c = await anOpenCampaign(off, op, factory.id, clock);
      const consumer = await aConsumer(off);
      const placed = (await pledge(off, consumer, c.id, black, 1).expect(201)).body;
      expect(placed.depositPayment.checkoutUrl).toBeNull();
      expect((await off.http.get(`/v1/payments/${placed.depositPayment.id}`).set(consumer.auth).expect(200)).body.checkoutUrl).toBeNull();
      await off.http.post(`/v1/payments/${placed.depositPayment.id}/sandbox-checkout`).set(consumer.auth).send({ outcome: 'pay' }).expect(404);
      expect((await off.http.get(`/v1/pledges/${placed.id}`).set(consumer.auth).expect(200)).body.status).toBe('awaiting_deposit');
    } finally {
      await off.close();
    }
  });
});

describe('the embedded demo: the sheet on, auto-confirm left to it', () => {
  test('a deposit waits for the person on the sheet (closing the sheet leaves it unpaid until it lapses)', async () => {
    // SANDBOX_AUTO_CONFIRM unset on the embedded default: the sandbox confirms only what no one pays on a sheet.
    const demoClock = new TestClock();
    const demo = await startTestApp({ clock: demoClock, env: { SANDBOX_AUTO_CONFIRM: '' } });
    try {
      expect(demo.config.payments).toMatchObject({ sandboxCheckout: true, sandboxAutoConfirm: 'unattended' });
      const op = await anOperator(demo);
      const factory = await aFactory(demo, op);
      const c = await anOpenCampaign(demo, op, factory.id, demoClock);
      const [closer, payer] = await Promise.all([aConsumer(demo), aConsumer(demo)]);
      const abandoned = (await pledge(demo, closer, c.id, black, 1).expect(201)).body;
      const paid = (await pledge(demo, payer, c.id, black, 1).expect(201)).body;
      // Past when the sandbox's own confirmation would have come (5 s): nothing paid it.
      await advance(demo, demoClock, 6000);
      expect((await demo.http.get(`/v1/pledges/${abandoned.id}`).set(closer.auth).expect(200)).body.status).toBe('awaiting_deposit');
      await demo.http.post(`/v1/payments/${paid.depositPayment.id}/sandbox-checkout`).set(payer.auth).send({ outcome: 'pay' }).expect(200);
      expect((await demo.http.get(`/v1/pledges/${paid.id}`).set(payer.auth).expect(200)).body.status).toBe('active');
      // The sheet closed without paying: the pledge lapses at its deposit deadline, as any unpaid pledge.
      await advance(demo, demoClock, 16 * 60_000);
      expect((await demo.http.get(`/v1/pledges/${abandoned.id}`).set(closer.auth).expect(200)).body.status).toBe('expired');
      await expectLedgerReconciles(demo);
    } finally {
      await demo.close();
    }
  });
});
