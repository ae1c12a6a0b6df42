import { randomUUID } from 'node:crypto';
import { PaymentCheckoutRow, PaymentRow } from '../../src/payments';
import { runDue } from '../support/clock';
import { aConsumer } from '../support/builders';
import { anUnpaidDeposit, deliver, paymentsBed } from '../support/payments';

/**
 * POST /v1/payments/:id/checkout: the consumer who owes a pending payment chooses a provider and a
 * checkout, and gets what the client needs to pay there, valid until the payment's own deadline. The
 * money of any provider the consumer was sent to is the payment asked for; two providers both taking it
 * is a second charge, refunded.
 */
const bed = paymentsBed();

const checkout = (auth: Record<string, string>, paymentId: string, body: Record<string, unknown>) =>
  bed.t.http.post(`/v1/payments/${paymentId}/checkout`).set(auth).send(body);
const paymentRow = (id: string) => bed.t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id }));

test('the providers and their checkouts are listed for anyone', async () => {
  const listed = await bed.t.http.get('/v1/payments/providers').expect(200);
  expect(listed.body.items).toEqual([
    { name: 'sandbox', channels: ['sheet', 'qr'] },
    { name: 'sandbox-b', channels: ['sheet', 'qr'] },
  ]);
});

test("a checkout answers what the client needs, valid until the deposit's hold ends; the payment is now at that provider", async () => {
  const { consumer, pledgeId, deposit } = await anUnpaidDeposit(bed);
  const pledge = (await bed.t.http.get(`/v1/pledges/${pledgeId}`).set(consumer.auth).expect(200)).body;
  const sheet = (await checkout(consumer.auth, deposit.id, { provider: 'sandbox', channel: 'sheet' }).expect(200)).body;
  expect(sheet).toEqual({
    payment: expect.objectContaining({ id: deposit.id, status: 'pending', provider: 'sandbox', checkoutUrl: `/pay/${deposit.id}` }),
    checkout: { provider: 'sandbox', channel: 'sheet', checkoutUrl: `/pay/${deposit.id}`, expiresAt: pledge.depositDueAt },
  });
  const qr = (await checkout(consumer.auth, deposit.id, { provider: 'sandbox-b', channel: 'qr' }).expect(200)).body;
  expect(qr.checkout).toMatchObject({ provider: 'sandbox-b', channel: 'qr', qrCode: expect.stringMatching(new RegExp(`^http://.+/pay/${deposit.id}$`)) });
  expect(qr.checkout.qrSvg).toMatch(/^<svg[^>]*>/);
  expect(qr.payment).toMatchObject({ provider: 'sandbox-b', checkoutUrl: null });
  const recorded = await bed.t.db.read((tx) => tx.find(PaymentCheckoutRow, { where: { paymentId: deposit.id }, order: { createdAt: 'ASC' } }));
  expect(recorded.map((c) => `${c.provider} ${c.channel}`)).toEqual(['sandbox sheet', 'sandbox-b qr']);
  expect(recorded.every((c) => c.expiresAt.toISOString() === pledge.depositDueAt)).toBe(true);
});

test('sent to two providers, the consumer pays at the first: the deposit is paid, nothing is unexpected; the other provider taking it too is a second charge, refunded there', async () => {
  const { t, clock, other } = bed;
  const { consumer, pledgeId, deposit } = await anUnpaidDeposit(bed);
  const { sandbox } = t.app.services;
  await checkout(consumer.auth, deposit.id, { provider: 'sandbox', channel: 'sheet' }).expect(200);
  await checkout(consumer.auth, deposit.id, { provider: 'sandbox-b', channel: 'qr' }).expect(200);
  // The provider the consumer left closes its order: that changes nothing.
  expect((await deliver(t, 'sandbox', sandbox.notification(deposit, 'failed', clock.now())).expect(200)).body.outcome).toBe('already_settled');
  expect((await paymentRow(deposit.id)).status).toBe('pending');
  // Yet the consumer went back to it and paid there.
  expect(
    (await deliver(t, 'sandbox', sandbox.notification(deposit, 'succeeded', clock.now(), { transactionId: `txn_${deposit.id}` })).expect(200)).body.outcome,
  ).toBe('processed');
  expect((await t.http.get(`/v1/pledges/${pledgeId}`).set(consumer.auth).expect(200)).body.status).toBe('active');
  expect(await paymentRow(deposit.id)).toMatchObject({ status: 'succeeded', provider: 'sandbox', transactionId: `txn_${deposit.id}` });

  // The same order number paid at the second provider as well: money taken twice.
  expect((await deliver(t, 'sandbox-b', other.notification(deposit, 'succeeded', clock.now())).expect(200)).body.outcome).toBe('unexpected');
  const second = await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { reportedPaymentId: deposit.id }));
  expect(second).toMatchObject({ kind: 'unexpected', provider: 'sandbox-b', unexpectedReason: 'second_charge' });
  await runDue(t, clock);
  expect(other.refundsSent).toEqual([expect.objectContaining({ paymentId: deposit.id, amount: deposit.amount.toFixed(2) })]);
  expect(t.app.services.sandbox.refundsSent.filter((r) => r.paymentId === deposit.id)).toEqual([]);
});

test('paid at the provider the consumer went to second: the payment is at that provider, and its refunds go there', async () => {
  const { t, clock, other } = bed;
  const { consumer, pledgeId, deposit } = await anUnpaidDeposit(bed);
  await checkout(consumer.auth, deposit.id, { provider: 'sandbox-b', channel: 'qr' }).expect(200);
  expect((await deliver(t, 'sandbox-b', other.notification(deposit, 'succeeded', clock.now())).expect(200)).body.outcome).toBe('processed');
  expect(await paymentRow(deposit.id)).toMatchObject({ status: 'succeeded', provider: 'sandbox-b' });
  await t.http.post(`/v1/pledges/${pledgeId}/cancel`).set(consumer.auth).set('Idempotency-Key', randomUUID()).expect(200);
  await runDue(t, clock);
  expect(other.refundsSent).toContainEqual(expect.objectContaining({ paymentId: deposit.id, reason: 'pledge_cancelled' }));
});

test('a provider the consumer was never sent to is still not the payment: its money is unexpected and refunded', async () => {
  const { t, clock, other } = bed;
  const { deposit } = await anUnpaidDeposit(bed);
  expect((await deliver(t, 'sandbox-b', other.notification(deposit, 'succeeded', clock.now())).expect(200)).body.outcome).toBe('unexpected');
  expect((await paymentRow(deposit.id)).status).toBe('pending');
  await runDue(t, clock);
});

test('refusals: someone else’s payment, a payment settled or past its deadline, a checkout not offered, JSAPI without an openid', async () => {
  const { t, clock } = bed;
  const { consumer, deposit } = await anUnpaidDeposit(bed);
  const stranger = await aConsumer(t);
  expect((await checkout(stranger.auth, deposit.id, { provider: 'sandbox', channel: 'sheet' }).expect(404)).body.code).toBe('not_found');
  expect((await checkout(consumer.auth, deposit.id, { provider: 'paypal', channel: 'qr' }).expect(422)).body.code).toBe('checkout_not_offered');
  expect((await checkout(consumer.auth, deposit.id, { provider: 'sandbox', channel: 'h5' }).expect(422)).body.code).toBe('checkout_not_offered');
  expect((await checkout(consumer.auth, deposit.id, { provider: 'sandbox', channel: 'jsapi' }).expect(400)).body.errors).toEqual([
    expect.objectContaining({ path: 'body.openid' }),
  ]);
  await t.http.post(`/v1/payments/${deposit.id}/checkout`).send({ provider: 'sandbox', channel: 'sheet' }).expect(401);

  // The hold ends: the pledge lapses and its payment is cancelled.
  clock.offsetMs += 16 * 60_000;
  await runDue(t, clock);
  expect((await checkout(consumer.auth, deposit.id, { provider: 'sandbox', channel: 'sheet' }).expect(409)).body.code).toBe('payment_not_pending');
  const paid = await anUnpaidDeposit(bed);
  await deliver(t, 'sandbox', t.app.services.sandbox.notification(paid.deposit, 'succeeded', clock.now())).expect(200);
  expect((await checkout(paid.consumer.auth, paid.deposit.id, { provider: 'sandbox', channel: 'sheet' }).expect(409)).body.code).toBe('payment_not_pending');
});

test('a checkout at a second provider racing the money taken at the first: the payment stays at the provider that took it, and its refund goes there', async () => {
  const { t, clock, other } = bed;
  const { consumer, pledgeId, deposit } = await anUnpaidDeposit(bed);
  await checkout(consumer.auth, deposit.id, { provider: 'sandbox', channel: 'qr' }).expect(200);
  // The sandbox's notification arrives while the checkout at sandbox-b is between reading the payment and moving it:
  // the listener that gives the checkout's deadline holds it there for a moment (on MariaDB both run at once).
  const listener = (
    t.app.services.payments as unknown as { listeners: Map<string, { checkoutTerms: (...args: unknown[]) => Promise<unknown> }> }
  ).listeners.get('deposit')!;
  const terms = listener.checkoutTerms;
  let notified: Promise<unknown> | undefined;
  listener.checkoutTerms = async (...args: unknown[]) => {
    notified ??= deliver(t, 'sandbox', t.app.services.sandbox.notification(deposit, 'succeeded', clock.now())).then((r) => r.status);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return terms.apply(listener, args);
  };
  try {
    const moved = await checkout(consumer.auth, deposit.id, { provider: 'sandbox-b', channel: 'qr' });
    expect(await notified).toBe(200);
    // Either the checkout came first (and the money moved the payment back to the provider that took it) or it found the payment paid.
    expect([200, 409]).toContain(moved.status);
  } finally {
    listener.checkoutTerms = terms;
  }
  expect(await paymentRow(deposit.id)).toMatchObject({ status: 'succeeded', provider: 'sandbox' });
  await t.http.post(`/v1/pledges/${pledgeId}/cancel`).set(consumer.auth).set('Idempotency-Key', randomUUID()).expect(200);
  await runDue(t, clock);
  expect(t.app.services.sandbox.refundsSent).toContainEqual(expect.objectContaining({ paymentId: deposit.id, reason: 'pledge_cancelled' }));
  expect(other.refundsSent.filter((r) => r.paymentId === deposit.id)).toEqual([]);
});
