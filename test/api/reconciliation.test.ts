import { randomUUID } from 'node:crypto';
import { PaymentRow, StatementDifferenceRow } from '../../src/payments';
import { businessDay } from '../../src/platform/calendar';
import { parseMoney } from '../../src/platform/money';
import { aConsumer } from '../support/builders';
import { runDue } from '../support/clock';
import { anUnpaidDeposit, deliver, paymentsBed } from '../support/payments';

/**
 * Active reconciliation: a notification can be lost, so payments still open some minutes after their
 * checkout are asked about at every provider they were sent to, and what a provider answers settles
 * through the notification path; each provider's daily statement is compared with our records, every
 * difference recorded, shown and notified to operators, and money we did not ask for refunded.
 */
const bed = paymentsBed();
const FIVE_MINUTES = 5 * 60_000;

const paymentRow = (id: string) => bed.t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id }));
const pledgeStatus = async (consumer: { auth: Record<string, string> }, pledgeId: string) =>
  (await bed.t.http.get(`/v1/pledges/${pledgeId}`).set(consumer.auth).expect(200)).body.status;
const checkout = (consumer: { auth: Record<string, string> }, paymentId: string, provider: string) =>
  bed.t.http.post(`/v1/payments/${paymentId}/checkout`).set(consumer.auth).send({ provider, channel: 'qr' }).expect(200);
const queryOpen = () => bed.t.app.services.reconciliation.queryOpen();

describe('the query job', () => {
  test('a payment whose notification was lost is found paid a few minutes after its checkout, and settled once', async () => {
    const { t, clock } = bed;
    const { sandbox } = t.app.services;
    const { consumer, pledgeId, deposit } = await anUnpaidDeposit(bed);
    await checkout(consumer, deposit.id, 'sandbox');
    // The consumer pays; the provider's notification never arrives.
    sandbox.notification(deposit, 'succeeded', clock.now());
    await queryOpen();
    expect(await pledgeStatus(consumer, pledgeId)).toBe('awaiting_deposit');

    clock.offsetMs += FIVE_MINUTES;
    await queryOpen();
    expect(await pledgeStatus(consumer, pledgeId)).toBe('active');
    expect(await paymentRow(deposit.id)).toMatchObject({ status: 'succeeded', transactionId: `txn_${deposit.id}`, nextQueryAt: null });
    // The provider sends it again after all, and it is replayed: the same money, recorded once.
    const late = sandbox.notification(deposit, 'succeeded', clock.now());
    expect((await deliver(t, 'sandbox', late).expect(200)).body.outcome).toBe('already_settled');
    expect((await deliver(t, 'sandbox', late).expect(200)).body.outcome).toBe('duplicate');
    // A forged one, and a failure out of order, change nothing either.
    const forged = Buffer.from(late.body.toString('utf8').replace(deposit.amount.toFixed(2), '0.01'));
    expect((await deliver(t, 'sandbox', { headers: late.headers, body: forged }).expect(401)).body.code).toBe('invalid_signature');
    expect((await deliver(t, 'sandbox', sandbox.notification(deposit, 'failed', clock.now())).expect(200)).body.outcome).toBe('already_settled');
    const notices = (await t.http.get('/v1/me/notifications?limit=100').set(consumer.auth).expect(200)).body.items as { kind: string }[];
    expect(notices.filter((n) => n.kind === 'deposit_received')).toHaveLength(1);
  });

  test('every provider the payment was sent to is asked: money taken at the second one settles it there', async () => {
    const { clock, other } = bed;
    const { consumer, pledgeId, deposit } = await anUnpaidDeposit(bed);
    await checkout(consumer, deposit.id, 'sandbox-b');
    await checkout(consumer, deposit.id, 'sandbox');
    other.notification(deposit, 'succeeded', clock.now());
    clock.offsetMs += FIVE_MINUTES;
    await queryOpen();
    expect(await pledgeStatus(consumer, pledgeId)).toBe('active');
    expect(await paymentRow(deposit.id)).toMatchObject({ status: 'succeeded', provider: 'sandbox-b' });
  });

  test('an unpaid payment is asked about less and less often, one last time after its deadline, then no more; money taken late is refunded', async () => {
    const { t, clock } = bed;
    const { sandbox } = t.app.services;
    const { consumer, deposit } = await anUnpaidDeposit(bed);
    await checkout(consumer, deposit.id, 'sandbox');
    clock.offsetMs += FIVE_MINUTES;
    await queryOpen();
    // A quarter of the time since the checkout, at least a minute.
    const wait = (await paymentRow(deposit.id)).nextQueryAt!.getTime() - clock.now().getTime();
    expect(wait).toBeGreaterThanOrEqual(60_000);
    expect(wait).toBeLessThan(FIVE_MINUTES / 2);
    // The hold (15 minutes) ends: the pledge lapses, its payment is cancelled; the provider takes the money at the last moment.
    clock.offsetMs += 11 * 60_000;
    await runDue(t, clock);
    expect((await paymentRow(deposit.id)).status).toBe('cancelled');
    sandbox.notification(deposit, 'succeeded', clock.now());
    clock.offsetMs += FIVE_MINUTES;
    await queryOpen();
    expect(await paymentRow(deposit.id)).toMatchObject({ status: 'succeeded', nextQueryAt: null });
    await runDue(t, clock);
    expect(sandbox.refundsSent).toContainEqual(expect.objectContaining({ paymentId: deposit.id, reason: 'late_payment' }));

    // Never paid: asked one last time a little after its deadline (the 15-minute hold), then left alone.
    const unpaid = await anUnpaidDeposit(bed);
    await checkout(unpaid.consumer, unpaid.deposit.id, 'sandbox');
    clock.offsetMs += 21 * 60_000;
    await queryOpen();
    expect((await paymentRow(unpaid.deposit.id)).nextQueryAt).toBeNull();
    await runDue(t, clock);
  });
});

describe('the daily statement comparison', () => {
  test('finds what differs, settles or refunds the money it can, records each difference once and tells the operators', async () => {
    const { t, clock, operator } = bed;
    const { sandbox } = t.app.services;
    const day = businessDay(clock.now());
    // A deposit paid, its notification lost and no checkout to ask about: only the statement shows it.
    const lost = await anUnpaidDeposit(bed);
    sandbox.notification(lost.deposit, 'succeeded', clock.now());
    // Money taken for an order number that is ours but no payment we know.
    const unknownOrder = randomUUID();
    sandbox.recordTaken({
      paymentId: unknownOrder,
      transactionId: `txn-unknown-${unknownOrder}`,
      amount: parseMoney('66.00'),
      currency: 'CNY',
      at: clock.now(),
    });
    // A deposit we recorded at one amount, which the provider's bill shows at another.
    const differs = await anUnpaidDeposit(bed);
    await deliver(t, 'sandbox', sandbox.notification(differs.deposit, 'succeeded', clock.now())).expect(200);
    sandbox.recordTaken({
      paymentId: differs.deposit.id,
      transactionId: `txn_${differs.deposit.id}`,
      amount: differs.deposit.amount.plus('0.01'),
      currency: 'CNY',
      at: clock.now(),
    });

    const report = await t.app.services.reconciliation.compareStatement('sandbox', day);
    const mine = (kind: string, paymentId: string | null) => report.differences.filter((d) => d.kind === kind && d.paymentId === paymentId);
    expect(mine('payment_not_recorded', lost.deposit.id)).toEqual([expect.objectContaining({ resolution: 'settled' })]);
    expect(await pledgeStatus(lost.consumer, lost.pledgeId)).toBe('active');
    expect(mine('payment_not_recorded', unknownOrder)).toEqual([
      expect.objectContaining({ resolution: 'refunded', transactionId: `txn-unknown-${unknownOrder}` }),
    ]);
    expect(mine('payment_amount_differs', differs.deposit.id)).toEqual([
      expect.objectContaining({ resolution: 'reported', ourAmount: differs.deposit.amount, providerAmount: differs.deposit.amount.plus('0.01') }),
    ]);
    // The money nobody asked for goes back through the refund job.
    await runDue(t, clock);
    expect(sandbox.refundsSent).toContainEqual(expect.objectContaining({ paymentId: unknownOrder, amount: '66.00' }));

    // Operators see every difference, and were told.
    const shown = (await t.http.get(`/v1/payments/statement-differences?provider=sandbox&day=${day}&limit=100`).set(operator.auth).expect(200)).body;
    expect(shown.items).toContainEqual(
      expect.objectContaining({ kind: 'payment_not_recorded', paymentId: unknownOrder, providerAmount: '66.00', ourAmount: null, resolution: 'refunded' }),
    );
    expect(shown.total).toBe(report.differences.length);
    const told = async () =>
      ((await t.http.get('/v1/me/notifications?limit=100&lang=en').set(operator.auth).expect(200)).body.items as { kind: string; message: string }[]).filter(
        (n) => n.kind === 'statement_differences',
      );
    expect(await told()).toEqual([expect.objectContaining({ message: expect.stringContaining(`sandbox's statement of ${day} differs from our records`) })]);
    await t.http
      .get('/v1/payments/statement-differences')
      .set((await aConsumer(t)).auth)
      .expect(403);

    // Compared again (the job retried, say): nothing new is recorded, settled, refunded or told.
    const again = await t.app.services.reconciliation.compareStatement('sandbox', day);
    expect(again.differences).toEqual([]);
    expect(await t.db.read((tx) => tx.countBy(StatementDifferenceRow, { provider: 'sandbox', day }))).toBe(report.differences.length);
    expect(await told()).toHaveLength(1);
    expect(sandbox.refundsSent.filter((r) => r.paymentId === unknownOrder)).toHaveLength(1);
  });

  test('money we recorded that the statement lacks is reported; the day before is compared the next morning', async () => {
    const { t, clock } = bed;
    const { sandbox } = t.app.services;
    const { consumer, pledgeId, deposit } = await anUnpaidDeposit(bed);
    // A genuine signature over money the provider has no record of (its key leaked, say).
    const body = Buffer.from(
      JSON.stringify({
        id: `evt_${randomUUID()}`,
        type: 'payment.succeeded',
        paymentId: deposit.id,
        amount: deposit.amount.toFixed(2),
        transactionId: `txn-x-${deposit.id}`,
      }),
    );
    await deliver(t, 'sandbox', { headers: { 'x-sandbox-signature': sandbox.sign(body, clock.now()), 'content-type': 'application/json' }, body }).expect(200);
    expect(await pledgeStatus(consumer, pledgeId)).toBe('active');
    const day = businessDay(clock.now());
    clock.offsetMs += 86_400_000;
    const reports = await t.app.services.reconciliation.compareYesterday();
    expect(reports.map((r) => `${r.provider} ${r.day}`)).toEqual([`sandbox ${day}`, `sandbox-b ${day}`]);
    expect(reports[0].differences).toContainEqual(expect.objectContaining({ kind: 'payment_not_at_provider', paymentId: deposit.id, resolution: 'reported' }));
    clock.offsetMs -= 86_400_000;
  });
});
