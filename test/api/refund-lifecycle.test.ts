import { randomUUID } from 'node:crypto';
import { PaymentRow, RefundRow } from '../../src/payments';
import { expectLedgerReconciles } from '../support/campaigns';
import { advance, runDue } from '../support/clock';
import { anUnpaidDeposit, deliver, paymentsBed } from '../support/payments';

/**
 * A refund the provider accepts but has not finished is `processing`: its money stays in refunds_pending
 * (the ledger moves only when it is paid out) until the provider's refund notification, or its answer to
 * a query, says how it ended. Paid out is final; refused is sent again.
 */
const bed = paymentsBed();

const refundOf = (paymentId: string) => bed.t.db.read((tx) => tx.findOneByOrFail(RefundRow, { paymentId }));
const refundsPending = () => bed.t.db.read((tx) => bed.t.app.services.ledger.balance(tx, 'refunds_pending'));
const sandboxSays = (signed: { headers: Record<string, string>; body: Buffer }) => deliver(bed.t, 'sandbox', signed);

/** Money taken twice for one deposit: the second charge is refunded, and the provider leaves that refund processing. */
async function aRefundUnderWay(): Promise<RefundRow> {
  const { t, clock } = bed;
  const { deposit } = await anUnpaidDeposit(bed);
  const { sandbox } = t.app.services;
  await sandboxSays(sandbox.notification(deposit, 'succeeded', clock.now())).expect(200);
  await sandboxSays(sandbox.notification(deposit, 'succeeded', clock.now(), { transactionId: `txn2_${deposit.id}` })).expect(200);
  const unexpected = await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { reportedPaymentId: deposit.id, kind: 'unexpected' }));
  sandbox.processNextRefunds(1);
  await runDue(t, clock);
  return refundOf(unexpected.id);
}

test('a refund left processing keeps its money in refunds_pending until its notification says it is paid out; a replay changes nothing', async () => {
  const { sandbox } = bed.t.app.services;
  const before = await refundsPending();
  const refund = await aRefundUnderWay();
  expect(refund).toMatchObject({ status: 'processing', attempts: 1 });
  // Still owed to the consumer: the ledger has not moved it out.
  expect((await refundsPending()).minus(before).negated().toFixed(2)).toBe(refund.amount.toFixed(2));
  await expectLedgerReconciles(bed.t);

  expect(sandbox.finishRefunds()).toEqual([refund.id]);
  const signed = sandbox.refundNotification(refund.id, bed.clock.now());
  expect((await sandboxSays(signed).expect(200)).body.outcome).toBe('processed');
  expect(await refundOf(refund.paymentId)).toMatchObject({ status: 'succeeded', attempts: 1 });
  expect((await refundsPending()).equals(before)).toBe(true);
  // The same notification again, and a new one of the same end: nothing more moves.
  expect((await sandboxSays(signed).expect(200)).body.outcome).toBe('duplicate');
  expect((await sandboxSays(sandbox.refundNotification(refund.id, bed.clock.now())).expect(200)).body.outcome).toBe('already_settled');
  expect((await refundsPending()).equals(before)).toBe(true);
});

test('a refund the provider refuses after taking it is sent again by the refund job', async () => {
  const { sandbox } = bed.t.app.services;
  const refund = await aRefundUnderWay();
  sandbox.finishRefunds('refused');
  expect((await sandboxSays(sandbox.refundNotification(refund.id, bed.clock.now())).expect(200)).body.outcome).toBe('processed');
  expect(await refundOf(refund.paymentId)).toMatchObject({ status: 'failed', lastError: expect.stringContaining('failed') });
  await advance(bed.t, bed.clock, 60_000);
  expect(await refundOf(refund.paymentId)).toMatchObject({ status: 'succeeded', attempts: 2 });
  expect(sandbox.refundsSent.filter((r) => r.refundId === refund.id)).toHaveLength(1);
});

test('a refund notification that does not match the refund, or comes from another provider, is refused and changes nothing', async () => {
  const { sandbox } = bed.t.app.services;
  const refund = await aRefundUnderWay();
  sandbox.finishRefunds();
  const genuine = JSON.parse(sandbox.refundNotification(refund.id, bed.clock.now()).body.toString('utf8'));
  const forge = (changes: Record<string, unknown>, by = sandbox) => {
    const body = Buffer.from(JSON.stringify({ ...genuine, id: `evt_${JSON.stringify(changes)}`, ...changes }));
    return deliver(bed.t, by.name, { headers: { 'x-sandbox-signature': by.sign(body, bed.clock.now()), 'content-type': 'application/json' }, body });
  };
  expect((await forge({ amount: refund.amount.plus(1).toFixed(2) }).expect(422)).body.code).toBe('amount_mismatch');
  expect((await forge({ paymentId: '00000000-0000-4000-8000-000000000000' }).expect(404)).body.code).toBe('not_found');
  expect((await forge({}, bed.other).expect(404)).body.code).toBe('not_found');
  expect((await refundOf(refund.paymentId)).status).toBe('processing');
  // The genuine one ends it.
  expect((await sandboxSays(sandbox.refundNotification(refund.id, bed.clock.now())).expect(200)).body.outcome).toBe('processed');
});

describe('the query job', () => {
  const queryLater = async () => {
    bed.clock.offsetMs += 5 * 60_000;
    await bed.t.app.services.reconciliation.queryOpen();
  };

  test('a refund left processing, its end never notified, is found paid out by the query job', async () => {
    const { sandbox } = bed.t.app.services;
    const before = await refundsPending();
    const refund = await aRefundUnderWay();
    sandbox.finishRefunds();
    await queryLater();
    expect(await refundOf(refund.paymentId)).toMatchObject({ status: 'succeeded', attempts: 1, nextQueryAt: null });
    expect((await refundsPending()).equals(before)).toBe(true);
    // Its notification arrives late: nothing more moves.
    expect((await sandboxSays(sandbox.refundNotification(refund.id, bed.clock.now())).expect(200)).body.outcome).toBe('already_settled');
    expect((await refundsPending()).equals(before)).toBe(true);
  });

  test('a refund left processing and then refused is sent again', async () => {
    const { sandbox } = bed.t.app.services;
    const refund = await aRefundUnderWay();
    sandbox.finishRefunds('refused');
    await queryLater();
    expect(await refundOf(refund.paymentId)).toMatchObject({ status: 'failed', nextQueryAt: null });
    await runDue(bed.t, bed.clock);
    expect(await refundOf(refund.paymentId)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  test('a refund sent with no answer that the provider did make is found paid out, not sent twice', async () => {
    const { t, clock } = bed;
    const { sandbox } = t.app.services;
    const { deposit } = await anUnpaidDeposit(bed);
    await sandboxSays(sandbox.notification(deposit, 'succeeded', clock.now(), { transactionId: `txn3_${deposit.id}` })).expect(200);
    await sandboxSays(sandbox.notification(deposit, 'succeeded', clock.now(), { transactionId: `txn4_${deposit.id}` })).expect(200);
    const unexpected = await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { reportedPaymentId: deposit.id, kind: 'unexpected' }));
    sandbox.timeOutNextRefunds(1, { applied: true, afterMs: 10 });
    await t.app.jobs.runDueJobs(60_000);
    expect(await refundOf(unexpected.id)).toMatchObject({ status: 'failed', attempts: 1, nextQueryAt: expect.any(Date) });
    await queryLater();
    expect(await refundOf(unexpected.id)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(sandbox.refundsSent.filter((r) => r.paymentId === deposit.id)).toHaveLength(1);
  });
});

test('a refund whose provider is no longer configured is a refused attempt with its reason (not an error), and is paid once the provider is back', async () => {
  const { t, clock, other, operator } = bed;
  const { consumer, pledgeId, deposit } = await anUnpaidDeposit(bed);
  await t.http.post(`/v1/payments/${deposit.id}/checkout`).set(consumer.auth).send({ provider: 'sandbox-b', channel: 'qr' }).expect(200);
  await deliver(t, 'sandbox-b', other.notification(deposit, 'succeeded', clock.now())).expect(200);
  // The service restarted without sandbox-b's settings: the provider is gone from its configured gateways.
  const gateways = (t.app.services.payments as unknown as { deps: { gateways: Map<string, unknown> } }).deps.gateways;
  gateways.delete('sandbox-b');
  try {
    await t.http.post(`/v1/pledges/${pledgeId}/cancel`).set(consumer.auth).set('Idempotency-Key', randomUUID()).expect(200);
    // One run of the refund job's work (the job itself would retry it on its back-off while the provider is gone).
    const decided = await refundOf(deposit.id);
    const [error] = await t.app.services.payments.sendRefunds([decided.id]);
    expect(error?.message).toContain('is not configured');
    const refund = await refundOf(deposit.id);
    expect(refund).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('"sandbox-b" is not configured') });
    const attention = (await t.http.get('/v1/refunds?problem=attention&limit=100').set(operator.auth).expect(200)).body.items as { id: string }[];
    expect(attention.map((r) => r.id)).toContain(refund.id);
    const retried = await t.http
      .post(`/v1/refunds/${refund.id}/retry`)
      .set(operator.auth)
      .set('Idempotency-Key', randomUUID())
      .send({ reason: '微信支付配置恢复前重试' });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ outcome: 'failed', refund: { status: 'failed', attempts: 2 } });
  } finally {
    gateways.set('sandbox-b', other);
  }
  await advance(bed.t, bed.clock, 10 * 60_000);
  expect(await refundOf(deposit.id)).toMatchObject({ status: 'succeeded' });
  expect(other.refundsSent.filter((r) => r.paymentId === deposit.id)).toHaveLength(1);
});
