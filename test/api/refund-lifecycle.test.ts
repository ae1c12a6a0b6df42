import { PaymentRow, RefundRow } from '../../src/payments';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, pledge } from '../support/campaigns';
import { TestClock, advance, runDue } from '../support/clock';

/**
 * A refund the provider accepts but has not finished is `processing`: its money stays in refunds_pending
 * (the ledger moves only when it is paid out) until the provider's refund notification, or its answer to
 * a query, says how it ended. Paid out is final; refused is sent again.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;

beforeAll(async () => {
  clock = new TestClock();
  t = await startTestApp({ clock });
  operator = await anOperator(t);
  factoryId = (await aFactory(t, operator)).id;
});
afterEach(() => expectLedgerReconciles(t));
afterAll(() => t.close());

const deliver = (signed: { headers: Record<string, string>; body: Buffer }) =>
  t.http.post('/v1/payments/notifications/sandbox').set(signed.headers).send(signed.body.toString('utf8'));
const refundOf = (paymentId: string) => t.db.read((tx) => tx.findOneByOrFail(RefundRow, { paymentId }));
const refundsPending = () => t.db.read((tx) => t.app.services.ledger.balance(tx, 'refunds_pending'));

/** Money taken twice for one deposit: the second charge is refunded (the refund this file follows). */
async function aRefundUnderWay(): Promise<RefundRow> {
  const c = await anOpenCampaign(t, operator, factoryId, clock);
  const consumer = await aConsumer(t);
  const placed = (await pledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1).expect(201)).body;
  const deposit = await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { id: placed.depositPayment.id }));
  const { sandbox } = t.app.services;
  await deliver(sandbox.notification(deposit, 'succeeded', clock.now())).expect(200);
  await deliver(sandbox.notification(deposit, 'succeeded', clock.now(), { transactionId: `txn2_${deposit.id}` })).expect(200);
  const unexpected = await t.db.read((tx) => tx.findOneByOrFail(PaymentRow, { reportedPaymentId: deposit.id, kind: 'unexpected' }));
  sandbox.processNextRefunds(1);
  await runDue(t, clock);
  return refundOf(unexpected.id);
}

test('a refund left processing keeps its money in refunds_pending until its notification says it is paid out; a replay changes nothing', async () => {
  const before = await refundsPending();
  const refund = await aRefundUnderWay();
  expect(refund).toMatchObject({ status: 'processing', attempts: 1 });
  // Still owed to the consumer: the ledger has not moved it out.
  expect((await refundsPending()).minus(before).negated().toFixed(2)).toBe(refund.amount.toFixed(2));
  await expectLedgerReconciles(t);

  const [id] = t.app.services.sandbox.finishRefunds();
  expect(id).toBe(refund.id);
  const signed = t.app.services.sandbox.refundNotification(refund.id, clock.now());
  expect((await deliver(signed).expect(200)).body.outcome).toBe('processed');
  expect(await refundOf(refund.paymentId)).toMatchObject({ status: 'succeeded', attempts: 1 });
  expect((await refundsPending()).equals(before)).toBe(true);
  // The same notification again, and a new one of the same end: nothing more moves.
  expect((await deliver(signed).expect(200)).body.outcome).toBe('duplicate');
  expect((await deliver(t.app.services.sandbox.refundNotification(refund.id, clock.now())).expect(200)).body.outcome).toBe('already_settled');
  expect((await refundsPending()).equals(before)).toBe(true);
});

test('a refund the provider refuses after taking it is sent again by the refund job', async () => {
  const refund = await aRefundUnderWay();
  t.app.services.sandbox.finishRefunds('refused');
  expect((await deliver(t.app.services.sandbox.refundNotification(refund.id, clock.now())).expect(200)).body.outcome).toBe('processed');
  expect(await refundOf(refund.paymentId)).toMatchObject({ status: 'failed', lastError: expect.stringContaining('failed') });
  await advance(t, clock, 60_000);
  expect(await refundOf(refund.paymentId)).toMatchObject({ status: 'succeeded', attempts: 2 });
  expect(t.app.services.sandbox.refundsSent.filter((r) => r.refundId === refund.id)).toHaveLength(1);
});

test('a refund notification that does not match the refund is refused and changes nothing', async () => {
  const refund = await aRefundUnderWay();
  const { sandbox } = t.app.services;
  sandbox.finishRefunds();
  const genuine = JSON.parse(sandbox.refundNotification(refund.id, clock.now()).body.toString('utf8'));
  const forge = (changes: Record<string, unknown>) => {
    const body = Buffer.from(JSON.stringify({ ...genuine, id: `evt_${changes.amount ?? changes.paymentId}`, ...changes }));
    return deliver({ headers: { 'x-sandbox-signature': sandbox.sign(body, clock.now()), 'content-type': 'application/json' }, body });
  };
  expect((await forge({ amount: refund.amount.plus(1).toFixed(2) }).expect(422)).body.code).toBe('amount_mismatch');
  expect((await forge({ paymentId: '00000000-0000-4000-8000-000000000000' }).expect(404)).body.code).toBe('not_found');
  expect((await refundOf(refund.paymentId)).status).toBe('processing');
});
