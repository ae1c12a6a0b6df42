import { fromFen, parseMoney } from '../../src/platform/money';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, pledge } from '../support/campaigns';
import { TestClock, advance } from '../support/clock';
import { freshDatabase } from '../support/database';
import { waitFor } from '../support/wait';
import { boxesPastCutoff } from './support/boxes';
import { appliedTwice, countBy, expectConsistent, jobsFailedForGood, sqlRows } from './support/invariants';

/**
 * The sandbox payment provider misbehaving as real ones do: notifications delivered late, twice and
 * out of order; refunds rejected by the bank or lost in a timeout (before or after the provider paid).
 * Deposits and refunds end in the right state, every refund is retried until it goes through, and
 * no money moves twice. The app runs its job worker in the test's process, so the faults set on its
 * sandbox apply to the refund jobs.
 */
let t: TestApp;
const clock = new TestClock();
let operator: Caller;
let factoryId: string;
let campaignId: string;

beforeAll(async () => {
  t = await startTestApp({ database: await freshDatabase(), clock, runsWorker: true });
  operator = await anOperator(t);
  factoryId = (await aFactory(t, operator)).id;
  campaignId = (await anOpenCampaign(t, operator, factoryId, clock)).id;
}, 120_000);
afterEach(async () => {
  expect(await appliedTwice(t)).toEqual([]);
  await expectConsistent(t);
}, 60_000);
afterAll(() => t?.close(), 60_000);

type Deposit = { id: string; amount: string };
/** A consumer's pledge of one unit, its deposit not paid yet. */
async function unpaidPledge(consumer?: Caller): Promise<{ consumer: Caller; pledgeId: string; deposit: Deposit }> {
  const who = consumer ?? (await aConsumer(t));
  const res = await pledge(t, who, campaignId, { colour: 'black', size: 'M' }, 1).expect(201);
  return { consumer: who, pledgeId: res.body.id, deposit: res.body.depositPayment };
}

/** The provider's notification for a payment, signed at `signedAt` (default: now, by the app's clock). */
function signed(deposit: Deposit, outcome: 'succeeded' | 'failed', signedAt = clock.now()) {
  return t.app.services.sandbox.notification({ id: deposit.id, amount: parseMoney(deposit.amount) }, outcome, signedAt);
}

function deliver(n: ReturnType<typeof signed>) {
  // As text: supertest would otherwise re-encode a Buffer, and the signature is over the exact bytes.
  return t.http.post('/v1/payments/notifications/sandbox').set(n.headers).set('Content-Type', 'application/json').send(n.body.toString('utf8'));
}

const statusOf = async (pledgeId: string) => (await sqlRows(t, 'SELECT status FROM pledges WHERE id = ?', [pledgeId]))[0].status;
const paymentOf = async (paymentId: string) => (await sqlRows(t, 'SELECT status FROM payments WHERE id = ?', [paymentId]))[0].status;
const entries = async (paymentId: string) => countBy(t, 'journal_entries', 'kind', 'payment_id = ?', [paymentId]);
const refundsOf = (paymentId: string) => sqlRows(t, 'SELECT id, status, reason, attempts, amount_fen FROM refunds WHERE payment_id = ?', [paymentId]);
const sentFor = (paymentId: string) => t.app.services.sandbox.refundsSent.filter((r) => r.paymentId === paymentId);

describe('deposit notifications delivered late, twice and out of order', () => {
  test('twice: the same event twice at once, then a second event for the same payment: one deposit received', async () => {
    const { pledgeId, deposit } = await unpaidPledge();
    const n = signed(deposit, 'succeeded');
    const [first, second] = await Promise.all([deliver(n), deliver(n)]);
    expect([first.body.outcome, second.body.outcome].sort()).toEqual(['duplicate', 'processed']);
    expect((await deliver(signed(deposit, 'succeeded'))).body.outcome).toBe('already_settled');
    expect(await statusOf(pledgeId)).toBe('active');
    expect(await entries(deposit.id)).toEqual({ deposit_received: 1 });
  });

  test('out of order: failed, then succeeded — the money that did arrive is recorded and given back once', async () => {
    const { pledgeId, deposit } = await unpaidPledge();
    expect((await deliver(signed(deposit, 'failed'))).status).toBe(200);
    expect(await statusOf(pledgeId)).toBe('expired');
    // The consumer paid after all (a second try on the same order): the provider now says succeeded.
    expect((await deliver(signed(deposit, 'succeeded'))).body.outcome).toBe('processed');
    expect(await paymentOf(deposit.id)).toBe('succeeded');
    // The pledge stays expired (its units were released); the money goes back.
    expect(await statusOf(pledgeId)).toBe('expired');
    await waitFor(async () => (await refundsOf(deposit.id)).some((r) => r.status === 'succeeded'), 30_000, 'the late deposit to be refunded');
    expect(await refundsOf(deposit.id)).toEqual([expect.objectContaining({ reason: 'late_payment', status: 'succeeded' })]);
    expect(sentFor(deposit.id)).toEqual([expect.objectContaining({ amount: deposit.amount })]);
    expect(await entries(deposit.id)).toEqual({ late_payment_refunded: 1, payment_refund_sent: 1 });
  });

  test('out of order: succeeded, then failed — the failure changes nothing', async () => {
    const { pledgeId, deposit } = await unpaidPledge();
    expect((await deliver(signed(deposit, 'succeeded'))).body.outcome).toBe('processed');
    expect((await deliver(signed(deposit, 'failed'))).body.outcome).toBe('already_settled');
    expect(await statusOf(pledgeId)).toBe('active');
    expect(await paymentOf(deposit.id)).toBe('succeeded');
    expect(await entries(deposit.id)).toEqual({ deposit_received: 1 });
  });

  test('late: a notification signed more than 5 minutes ago is refused until the provider signs it afresh', async () => {
    const { pledgeId, deposit } = await unpaidPledge();
    const stale = await deliver(signed(deposit, 'succeeded', new Date(clock.now().getTime() - 6 * 60_000)));
    expect(stale.status).toBe(401);
    expect(stale.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(stale.body.code).toBe('stale_notification');
    expect(await statusOf(pledgeId)).toBe('awaiting_deposit');
    expect((await deliver(signed(deposit, 'succeeded'))).body.outcome).toBe('processed');
    expect(await statusOf(pledgeId)).toBe('active');
  });

  test('a deposit that arrives after the consumer cancelled the pledge (the cancel ran first) is given back once', async () => {
    const { consumer, pledgeId, deposit } = await unpaidPledge();
    await t.http.post(`/v1/pledges/${pledgeId}/cancel`).set(consumer.auth).set('Idempotency-Key', `cancel-${pledgeId}`).expect(200);
    expect(await paymentOf(deposit.id)).toBe('cancelled');
    expect((await deliver(signed(deposit, 'succeeded'))).body.outcome).toBe('processed');
    expect((await deliver(signed(deposit, 'succeeded'))).body.outcome).toBe('already_settled');
    await waitFor(async () => (await refundsOf(deposit.id)).some((r) => r.status === 'succeeded'), 30_000, 'the late deposit to be refunded');
    expect(await refundsOf(deposit.id)).toHaveLength(1);
    expect(sentFor(deposit.id)).toHaveLength(1);
    expect(await statusOf(pledgeId)).toBe('cancelled');
  });
});

describe('refunds the bank rejects or that time out', () => {
  const PAID = 12;

  test(`a failed campaign's ${PAID} refunds, against rejections and timeouts before and after paying: each deposit back exactly once, every attempt logged`, async () => {
    const failing = (await anOpenCampaign(t, operator, factoryId, clock, { tiers: [{ minUnits: 1000, unitPrice: '899.00' }] })).id;
    const deposits: Deposit[] = [];
    for (let i = 0; i < PAID; i++) {
      const res = await pledge(t, await aConsumer(t), failing, { colour: 'navy', size: 'L' }, 1).expect(201);
      expect((await deliver(signed(res.body.depositPayment, 'succeeded'))).body.outcome).toBe('processed');
      deposits.push(res.body.depositPayment);
    }
    const { sandbox } = t.app.services;
    sandbox.failNextRefunds(4);
    sandbox.timeOutNextRefunds(3, { applied: false });
    sandbox.timeOutNextRefunds(3, { applied: true });
    const faults = 4 + 3 + 3;

    await t.http.post(`/v1/campaigns/${failing}/close`).set(operator.auth).expect(200);
    // While the bank refuses, operators see the refunds it refused, why, and how often it was tried.
    await waitFor(
      async () => (await t.http.get('/v1/refunds?status=failed').set(operator.auth)).body.items.length > 0,
      60_000,
      'a refused refund to be listed',
    );
    const refused = (await t.http.get('/v1/refunds?status=failed').set(operator.auth).expect(200)).body.items;
    expect(refused[0]).toMatchObject({ status: 'failed', attempts: expect.any(Number), lastError: expect.stringContaining('sandbox') });

    // Retried with back-off until every one went through.
    const ids = deposits.map((d) => d.id);
    const refunds = () =>
      sqlRows(t, `SELECT payment_id, status, attempts, amount_fen FROM refunds WHERE payment_id IN (${ids.map(() => '?').join(', ')})`, ids);
    await waitFor(async () => (await refunds()).filter((r) => r.status === 'succeeded').length === PAID, 120_000, 'every refund to go through');

    const rows = await refunds();
    expect(rows).toHaveLength(PAID);
    // Each refund was paid out by the provider exactly once, for the deposit, whatever the faults.
    const sent = sandbox.refundsSent.filter((r) => ids.includes(r.paymentId));
    expect(sent.map((r) => r.paymentId).sort()).toEqual([...ids].sort());
    for (const d of deposits) expect(sent.find((r) => r.paymentId === d.id)!.amount).toBe(d.amount);
    // Every call to the provider is an attempt on record: one success per refund, plus one per fault.
    expect(rows.reduce((total, r) => total + Number(r.attempts), 0)).toBe(PAID + faults);
    const [{ n }] = await sqlRows(
      t,
      `SELECT COUNT(*) AS n FROM journal_entries WHERE kind = 'payment_refund_sent' AND payment_id IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    expect(Number(n)).toBe(PAID);
    expect((await sqlRows(t, 'SELECT status FROM campaigns WHERE id = ?', [failing]))[0].status).toBe('failed');
    expect(await jobsFailedForGood(t)).toEqual([]);
  }, 240_000);
});

// Last, because they move the app's clock on (16 minutes, then an hour; the first campaign closes an hour after it opened):
// jobs scheduled by the app's clock would then be ahead of agenda's.
describe('notifications delivered after a deadline', () => {
  test('late: a deposit that arrives after its pledge expired, and again after that, is given back once', async () => {
    const { pledgeId, deposit } = await unpaidPledge();
    await advance(t, clock, 16 * 60_000);
    await waitFor(async () => (await statusOf(pledgeId)) === 'expired', 30_000, 'the pledge to expire');
    expect((await deliver(signed(deposit, 'succeeded'))).body.outcome).toBe('processed');
    expect((await deliver(signed(deposit, 'succeeded'))).body.outcome).toBe('already_settled');
    await waitFor(async () => (await refundsOf(deposit.id)).some((r) => r.status === 'succeeded'), 30_000, 'the late deposit to be refunded');
    expect(await refundsOf(deposit.id)).toHaveLength(1);
    expect(sentFor(deposit.id)).toHaveLength(1);
    expect(await statusOf(pledgeId)).toBe('expired');
  });

  test("out of order for a fruit box's charge: failed, then succeeded — the box is paid once and the charge's retry does nothing", async () => {
    await boxesPastCutoff(t, clock, 1);
    await t.app.services.boxCharges.lockDue();
    const [box] = await sqlRows(
      t,
      "SELECT b.id, b.payment_id, p.amount_fen FROM fruit_boxes b JOIN payments p ON p.id = b.payment_id WHERE b.status = 'locked' LIMIT 1",
    );
    const charge = { id: String(box.payment_id), amount: fromFen(String(box.amount_fen)).toFixed(2) };
    expect((await deliver(signed(charge, 'failed'))).body.outcome).toBe('processed');
    const retry = await sqlRows(t, "SELECT id FROM jobs WHERE name = 'subscriptions.charge-box' AND data LIKE ?", [`%${box.id}%`]);
    expect(retry).toHaveLength(1);
    expect((await deliver(signed(charge, 'succeeded'))).body.outcome).toBe('processed');
    expect((await sqlRows(t, 'SELECT status FROM fruit_boxes WHERE id = ?', [box.id]))[0].status).toBe('paid');
    // The retry planned after the failure comes due, and finds nothing to do.
    await advance(t, clock, 61 * 60_000);
    await waitFor(
      async () => (await sqlRows(t, 'SELECT last_finished_at FROM jobs WHERE id = ?', [retry[0].id]))[0].last_finished_at !== null,
      30_000,
      'the charge retry to run',
    );
    expect(await sqlRows(t, 'SELECT id FROM payments WHERE box_id = ?', [box.id])).toHaveLength(1);
    expect(await countBy(t, 'journal_entries', 'kind', 'box_id = ?', [box.id])).toEqual({ box_charged: 1 });
  }, 120_000);
});
