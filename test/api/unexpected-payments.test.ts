import { randomUUID } from 'node:crypto';
import { PaymentRow } from '../../src/payments';
import { Decimal, parseMoney } from '../../src/platform/money';
import type { TestApp } from '../support/app';
import { aConsumer, aFactoryWorld, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, paidPledge, pledge } from '../support/campaigns';
import { type TestClock, advance, runDue } from '../support/clock';

/**
 * DESIGN.md: "Money the gateway took that we did not ask for is recorded and refunded." A signed
 * notification that reports money taken which is not the payment we asked for (another amount, another
 * currency, a second charge, a payment we do not know) is acknowledged, kept as a payment of kind
 * `unexpected`, shown to operators and refunded in full through the refund job; what was asked for stays
 * unpaid; and the ledger reconciles in every currency.
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

type Options = { amount?: Decimal; currency?: string; transactionId?: string };
/** A notification the sandbox gateway signs, for the payment named, reporting the money given. */
function notify(payment: { id: string; amount: Decimal }, outcome: 'succeeded' | 'failed', options: Options = {}) {
  const signed = t.app.services.sandbox.notification({ id: payment.id, amount: options.amount ?? payment.amount }, outcome, clock.now(), options);
  return t.http.post('/v1/payments/notifications/sandbox').set(signed.headers).send(signed.body.toString('utf8'));
}
const paymentRow = (id: string) => t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id }));
const unexpectedPayments = () =>
  t.http
    .get('/v1/payments?kind=unexpected&limit=100')
    .set(operator.auth)
    .expect(200)
    .then((r) => r.body.items as Record<string, unknown>[]);
const refundsOf = async (paymentId: string) =>
  ((await t.http.get('/v1/refunds?limit=100').set(operator.auth).expect(200)).body.items as Record<string, unknown>[]).filter((r) => r.paymentId === paymentId);
const sentBack = (reportedPaymentId: string) => t.app.services.sandbox.refundsSent.filter((r) => r.paymentId === reportedPaymentId);

async function unpaidPledge() {
  const c = await anOpenCampaign(t, operator, factoryId, clock);
  const consumer = await aConsumer(t);
  const placed = (await pledge(t, consumer, c.id, black, 1).expect(201)).body;
  return { consumer, campaignId: c.id, pledgeId: placed.id as string, deposit: await paymentRow(placed.depositPayment.id) };
}

describe('money the gateway took that we did not ask for', () => {
  test('a wrong amount is recorded, shown to operators and refunded in full; the pledge stays unpaid and can still be paid', async () => {
    const { consumer, pledgeId, deposit } = await unpaidPledge();
    const taken = deposit.amount.plus('0.01');
    const answer = await notify(deposit, 'succeeded', { amount: taken, transactionId: 'txn-wrong-amount' }).expect(200);
    expect(answer.body.outcome).toBe('unexpected');

    // Nothing we asked for was paid.
    expect((await t.http.get(`/v1/pledges/${pledgeId}`).set(consumer.auth).expect(200)).body.status).toBe('awaiting_deposit');
    expect((await paymentRow(deposit.id)).status).toBe('pending');
    // Operators see the money, why it was unexpected, and against what it was reported.
    const [shown] = (await unexpectedPayments()).filter((p) => p.reportedPaymentId === deposit.id);
    expect(shown).toMatchObject({
      kind: 'unexpected',
      amount: taken.toFixed(2),
      currency: 'CNY',
      status: 'succeeded',
      unexpectedReason: 'amount_mismatch',
      transactionId: 'txn-wrong-amount',
      pledgeId,
    });
    // So does the consumer, on their pledge, and no one else.
    expect((await t.http.get(`/v1/pledges/${pledgeId}`).set(consumer.auth).expect(200)).body.payments).toContainEqual(
      expect.objectContaining({ id: shown.id, kind: 'unexpected' }),
    );
    await t.http.get('/v1/payments?kind=unexpected').set(consumer.auth).expect(403);

    // The gateway reports the same money again under a new event id: still one record, one refund.
    expect((await notify(deposit, 'succeeded', { amount: taken, transactionId: 'txn-wrong-amount' }).expect(200)).body.outcome).toBe('duplicate');
    expect((await unexpectedPayments()).filter((p) => p.reportedPaymentId === deposit.id)).toHaveLength(1);

    // Refunded exactly what was taken, in the transaction it was taken in, by the refund job.
    expect(await refundsOf(shown.id as string)).toEqual([
      expect.objectContaining({ amount: taken.toFixed(2), reason: 'unexpected_payment', status: 'pending', pledgeId }),
    ]);
    await runDue(t, clock);
    expect(await refundsOf(shown.id as string)).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    expect(sentBack(deposit.id)).toEqual([expect.objectContaining({ amount: taken.toFixed(2), currency: 'CNY', transactionId: 'txn-wrong-amount' })]);
    const notices = (await t.http.get('/v1/me/notifications?limit=100').set(consumer.auth).expect(200)).body.items as {
      kind: string;
      data: { amount: string };
    }[];
    expect(notices).toContainEqual(expect.objectContaining({ kind: 'refund_sent', data: expect.objectContaining({ amount: taken.toFixed(2) }) }));

    // The consumer then pays what was asked.
    expect((await notify(deposit, 'succeeded').expect(200)).body.outcome).toBe('processed');
    expect((await t.http.get(`/v1/pledges/${pledgeId}`).set(consumer.auth).expect(200)).body.status).toBe('active');
  });

  test('a refund of unexpected money the bank rejects is retried until it goes', async () => {
    const { deposit } = await unpaidPledge();
    const taken = deposit.amount.times(2);
    await notify(deposit, 'succeeded', { amount: taken, transactionId: `txn-${randomUUID()}` }).expect(200);
    const [shown] = (await unexpectedPayments()).filter((p) => p.reportedPaymentId === deposit.id);
    t.app.services.sandbox.failNextRefunds(1);
    await t.app.jobs.runDueJobs(60_000);
    expect(await refundsOf(shown.id as string)).toEqual([
      expect.objectContaining({ status: 'failed', attempts: 1, lastError: expect.stringContaining('rejected') }),
    ]);
    await advance(t, clock, 60 * 60_000);
    expect(await refundsOf(shown.id as string)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 2 })]);
    expect(sentBack(deposit.id)).toEqual([expect.objectContaining({ amount: taken.toFixed(2) })]);
  });

  test('a second charge of a paid deposit (another transaction id) is refunded; the deposit counts once', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const paid = await paidPledge(t, consumer, c.id, black, 1);
    const deposit = await paymentRow(paid.depositPayment.id);
    const held = () => t.db.read((tx) => t.app.services.ledger.balance(tx, `held_deposits:${c.id}`));
    const heldBefore = await held();
    // The same money reported again is not a second charge.
    expect((await notify(deposit, 'succeeded').expect(200)).body.outcome).toBe('already_settled');
    expect((await notify(deposit, 'succeeded', { transactionId: 'txn-second-charge' }).expect(200)).body.outcome).toBe('unexpected');
    expect((await unexpectedPayments()).filter((p) => p.reportedPaymentId === deposit.id)).toEqual([
      expect.objectContaining({ unexpectedReason: 'second_charge', amount: deposit.amount.toFixed(2) }),
    ]);
    expect((await held()).equals(heldBefore)).toBe(true);
    await runDue(t, clock);
    expect(sentBack(deposit.id)).toEqual([expect.objectContaining({ transactionId: 'txn-second-charge', amount: deposit.amount.toFixed(2) })]);
    expect((await t.http.get(`/v1/pledges/${paid.id}`).set(consumer.auth).expect(200)).body.status).toBe('active');
  });

  test('a deposit already refunded (pledge cancelled) and then charged again is refunded again', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const paid = await paidPledge(t, consumer, c.id, black, 1);
    await t.http.post(`/v1/pledges/${paid.id}/cancel`).set(consumer.auth).set('Idempotency-Key', `cancel-${paid.id}`).expect(200);
    await runDue(t, clock);
    const deposit = await paymentRow(paid.depositPayment.id);
    expect((await notify(deposit, 'succeeded', { transactionId: 'txn-after-refund' }).expect(200)).body.outcome).toBe('unexpected');
    await runDue(t, clock);
    expect(sentBack(deposit.id).map((r) => r.transactionId)).toEqual([`txn_${deposit.id}`, 'txn-after-refund']);
  });

  test('money reported against a payment we do not know is recorded and refunded; a failure for one is refused', async () => {
    const unknown = { id: randomUUID(), amount: parseMoney('88.88') };
    expect((await notify(unknown, 'failed').expect(404)).body.code).toBe('not_found');
    expect((await notify(unknown, 'succeeded').expect(200)).body.outcome).toBe('unexpected');
    expect((await unexpectedPayments()).filter((p) => p.reportedPaymentId === unknown.id)).toEqual([
      expect.objectContaining({ unexpectedReason: 'unknown_payment', amount: '88.88', pledgeId: null, boxId: null }),
    ]);
    await runDue(t, clock);
    expect(sentBack(unknown.id)).toEqual([expect.objectContaining({ amount: '88.88', transactionId: `txn_${unknown.id}` })]);
  });

  test('money in another currency is kept and refunded in that currency; the ledger reconciles in each', async () => {
    const { pledgeId, consumer, deposit } = await unpaidPledge();
    expect((await notify(deposit, 'succeeded', { currency: 'USD', transactionId: 'txn-usd' }).expect(200)).body.outcome).toBe('unexpected');
    expect((await unexpectedPayments()).filter((p) => p.reportedPaymentId === deposit.id)).toEqual([
      expect.objectContaining({ unexpectedReason: 'currency_mismatch', currency: 'USD', amount: deposit.amount.toFixed(2) }),
    ]);
    expect((await t.app.reconcile()).totals).toMatchObject({ 'received (USD)': deposit.amount.toFixed(2), 'refundsPending (USD)': deposit.amount.toFixed(2) });
    await runDue(t, clock);
    expect(sentBack(deposit.id)).toEqual([expect.objectContaining({ currency: 'USD', amount: deposit.amount.toFixed(2) })]);
    expect((await t.app.reconcile()).totals).toMatchObject({
      'received (USD)': deposit.amount.toFixed(2),
      'refunded (USD)': deposit.amount.toFixed(2),
      'refundsPending (USD)': '0.00',
    });
    expect((await t.http.get(`/v1/pledges/${pledgeId}`).set(consumer.auth).expect(200)).body.status).toBe('awaiting_deposit');
  });

  test('a failure that does not match the payment took no money: refused, and nothing changes', async () => {
    const { deposit } = await unpaidPledge();
    expect((await notify(deposit, 'failed', { amount: deposit.amount.plus(1) }).expect(422)).body.code).toBe('amount_mismatch');
    expect((await notify(deposit, 'failed', { currency: 'EUR' }).expect(422)).body.code).toBe('currency_mismatch');
    expect((await paymentRow(deposit.id)).status).toBe('pending');
  });

  test('a success without the transaction that took the money is not a notification', async () => {
    const { deposit } = await unpaidPledge();
    const body = Buffer.from(
      JSON.stringify({ id: `evt_${randomUUID()}`, type: 'payment.succeeded', paymentId: deposit.id, amount: deposit.amount.toFixed(2) }),
    );
    const res = await t.http
      .post('/v1/payments/notifications/sandbox')
      .set({ 'content-type': 'application/json', 'x-sandbox-signature': t.app.services.sandbox.sign(body, clock.now()) })
      .send(body.toString('utf8'))
      .expect(400);
    expect(res.body.detail).toMatch(/transactionId/);
  });

  test('a success of 0.00 took no money: refused as not a notification (400, not a 5xx), and nothing changes', async () => {
    const { pledgeId, consumer, deposit } = await unpaidPledge();
    const zero = parseMoney('0.00');
    const ofOurs = await notify(deposit, 'succeeded', { amount: zero, transactionId: `txn-zero-${deposit.id}` }).expect(400);
    expect(ofOurs.body).toMatchObject({ code: 'validation_failed', detail: expect.stringContaining('0.00') });
    const unknown = await notify({ id: randomUUID(), amount: zero }, 'succeeded', { transactionId: `txn-zero-${randomUUID()}` }).expect(400);
    expect(unknown.body.code).toBe('validation_failed');
    expect((await paymentRow(deposit.id)).status).toBe('pending');
    expect((await unexpectedPayments()).filter((p) => p.reportedPaymentId === deposit.id)).toEqual([]);
    // The money itself, when it comes, pays the deposit.
    expect((await notify(deposit, 'succeeded').expect(200)).body.outcome).toBe('processed');
    expect((await t.http.get(`/v1/pledges/${pledgeId}`).set(consumer.auth).expect(200)).body.status).toBe('active');
  });

  test('an amount beyond 13 digits of yuan is not a notification (400, nothing kept); the largest one is kept and read back to the fen', async () => {
    // 99,999,999,999,999.99 yuan is more fen than a JavaScript number holds exactly (2^53): kept, it came back as
    // 100,000,000,000,000.00 on the embedded database, and the ledger no longer reconciled.
    const tooLarge = { id: randomUUID(), amount: new Decimal('99999999999999.99') };
    expect((await notify(tooLarge, 'succeeded', { transactionId: `txn-huge-${randomUUID()}` }).expect(400)).body.code).toBe('validation_failed');
    expect((await unexpectedPayments()).filter((p) => p.reportedPaymentId === tooLarge.id)).toEqual([]);

    const largest = { id: randomUUID(), amount: parseMoney('9999999999999.99') };
    expect((await notify(largest, 'succeeded', { transactionId: `txn-largest-${randomUUID()}` }).expect(200)).body.outcome).toBe('unexpected');
    expect((await unexpectedPayments()).filter((p) => p.reportedPaymentId === largest.id)).toEqual([expect.objectContaining({ amount: '9999999999999.99' })]);
    await runDue(t, clock);
    expect(sentBack(largest.id)).toEqual([expect.objectContaining({ amount: '9999999999999.99' })]);
  });

  test('reconcile finds unexpected money that is not being refunded', async () => {
    const id = randomUUID();
    await t.db.transaction((tx) =>
      tx.insert(PaymentRow, {
        id,
        kind: 'unexpected',
        provider: 'sandbox',
        userId: null,
        amount: parseMoney('5.00'),
        currency: 'CNY',
        status: 'succeeded',
        createdAt: clock.now(),
        settledAt: clock.now(),
        pledgeId: null,
        campaignId: null,
        boxId: null,
        transactionId: `txn-${id}`,
        reportedPaymentId: randomUUID(),
        unexpectedReason: 'unknown_payment',
      }),
    );
    try {
      const report = await t.app.reconcile();
      expect(report.ok).toBe(false);
      expect(report.violations).toEqual(
        expect.arrayContaining([expect.stringMatching(/^received [\d.]+ ≠ /), `unexpected payment ${id} of 5.00 has 0.00 refunded or being refunded`]),
      );
    } finally {
      await t.db.transaction((tx) => tx.delete(PaymentRow, { id }));
    }
  });
});
