import { randomInt, randomUUID } from 'node:crypto';
import { JournalEntryRow, JournalLineRow, LEDGER_CHECKS } from '../../src/ledger';
import { newId } from '../../src/platform/ids';
import { parseMoney } from '../../src/platform/money';
import { aConsumer, aFactory, type Caller } from '../support/builders';
import { anOpenCampaign, paidPledge, payBalance } from '../support/campaigns';
import { runDue } from '../support/clock';
import { anUnpaidDeposit, deliver, paymentsBed } from '../support/payments';
import { aShopApplication, aShopOwner } from '../support/shops';
import { subscribe } from '../support/subscriptions';

/**
 * The operator console's money desk (issue #20, Money): the search finds each record by its id, a consumer's
 * records by their phone or email and a campaign's by its id or title, and nothing of anyone else; a failed or
 * stuck refund is listed and sent again by hand, paid out once whatever happens (a replay, a second retry, a
 * provider that had paid already); the ledger board shows every reconcile check and what is owed.
 */
const bed = paymentsBed();

interface Hits {
  items: { id: string }[];
  total: number;
}
interface Found {
  matched: { consumers: { id: string; contact: string | null }[]; campaigns: { id: string; title: string }[] };
  pledges: Hits;
  payments: Hits;
  refunds: Hits;
  subscriptions: Hits;
  boxes: Hits;
}
const KINDS = ['pledges', 'payments', 'refunds', 'subscriptions', 'boxes'] as const;
type Expected = Partial<Record<(typeof KINDS)[number], string[]>>;

const search = async (q: string) => (await bed.t.http.get('/v1/console/search').query({ q }).set(bed.operator.auth).expect(200)).body as Found;

/** Exactly these records of each kind (none of a kind not named), however many are asked. */
async function expectFound(q: string, expected: Expected) {
  const found = await search(q);
  for (const kind of KINDS) {
    const ids = [...(expected[kind] ?? [])].sort();
    expect({ q, kind, ids: found[kind].items.map((i) => i.id).sort(), total: found[kind].total }).toEqual({ q, kind, ids, total: ids.length });
  }
  return found;
}

/** A consumer with a mobile number of their own, and what their records are. */
async function aCustomer(): Promise<Caller & { phone: string }> {
  const consumer = await aConsumer(bed.t);
  const national = `13${randomInt(3, 10)}${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
  await bed.t.app.services.accounts.setPhone(consumer.userId, `+86${national}`);
  return { ...consumer, phone: national };
}

describe('search', () => {
  test("by id, by a consumer's phone or email, by a campaign's id or title: exactly the records asked for, nothing of another consumer", async () => {
    const { t, clock, operator, factoryId } = bed;
    const title = `联名羽绒服 ${randomUUID().slice(0, 8)}`;
    const jacket = await anOpenCampaign(t, operator, factoryId, clock, { title });
    const other = await anOpenCampaign(t, operator, factoryId, clock, { title: `Spring trench ${randomUUID().slice(0, 8)}` });
    const wang = await aCustomer();
    const li = await aCustomer();

    const wangJacket = await paidPledge(t, wang, jacket.id, { colour: 'black', size: 'M' }, 1);
    const liJacket = await paidPledge(t, li, jacket.id, { colour: 'navy', size: 'L' }, 2);
    const wangTrench = await paidPledge(t, wang, other.id, { colour: 'navy', size: 'M' }, 1);
    // Wang cancels the trench: its deposit is refunded.
    await t.http.post(`/v1/pledges/${wangTrench.id}/cancel`).set(wang.auth).set('Idempotency-Key', randomUUID()).expect(200);
    await runDue(t, clock);
    const refunds = (await t.http.get('/v1/refunds?limit=100').set(operator.auth).expect(200)).body.items as { id: string; pledgeId: string }[];
    const wangRefund = refunds.find((r) => r.pledgeId === wangTrench.id)!;
    const wangSubscription = (await subscribe(t, wang, clock).expect(201)).body.id as string;
    const liSubscription = (await subscribe(t, li, clock).expect(201)).body.id as string;
    const allBoxes = (await t.http.get('/v1/boxes?limit=100').set(operator.auth).expect(200)).body.items as { id: string; subscriptionId: string }[];
    const wangBoxes = allBoxes.filter((b) => b.subscriptionId === wangSubscription).map((b) => b.id);
    expect(wangBoxes.length).toBeGreaterThan(0);
    expect(allBoxes.some((b) => b.subscriptionId === liSubscription)).toBe(true);

    const wangRecords: Expected = {
      pledges: [wangJacket.id, wangTrench.id],
      payments: [wangJacket.depositPayment.id, wangTrench.depositPayment.id],
      refunds: [wangRefund.id],
      subscriptions: [wangSubscription],
      boxes: wangBoxes,
    };
    // Her phone, typed as people type it; her email in capitals.
    const byPhone = await expectFound(`${wang.phone.slice(0, 3)} ${wang.phone.slice(3, 7)} ${wang.phone.slice(7)}`, wangRecords);
    expect(byPhone.matched.consumers).toEqual([
      { id: wang.userId, name: expect.any(String), contact: `+86 ${wang.phone.slice(0, 3)}****${wang.phone.slice(-4)}` },
    ]);
    expect(JSON.stringify(byPhone)).not.toContain(wang.phone);
    await expectFound(wang.email.toUpperCase(), wangRecords);
    await expectFound(`+86${li.phone}`, {
      pledges: [liJacket.id],
      payments: [liJacket.depositPayment.id],
      subscriptions: [liSubscription],
      boxes: allBoxes.filter((b) => b.subscriptionId === liSubscription).map((b) => b.id),
    });

    // An id finds that record and nothing else; a payment also by its provider order number (the id without dashes).
    await expectFound(wangJacket.id, { pledges: [wangJacket.id] });
    await expectFound(wangJacket.depositPayment.id, { payments: [wangJacket.depositPayment.id] });
    await expectFound(wangJacket.depositPayment.id.replace(/-/g, '').toUpperCase(), { payments: [wangJacket.depositPayment.id] });
    await expectFound(`txn_${wangJacket.depositPayment.id}`, { payments: [wangJacket.depositPayment.id] });
    await expectFound(wangRefund.id, { refunds: [wangRefund.id] });
    await expectFound(wangSubscription, { subscriptions: [wangSubscription] });
    await expectFound(wangBoxes[0], { boxes: [wangBoxes[0]] });

    // A campaign, by id or by words of its title: its pledges, payments and refunds, everyone's.
    const jacketRecords: Expected = {
      pledges: [wangJacket.id, liJacket.id],
      payments: [wangJacket.depositPayment.id, liJacket.depositPayment.id],
    };
    const byCampaign = await expectFound(jacket.id, jacketRecords);
    expect(byCampaign.matched.campaigns).toEqual([{ id: jacket.id, title, status: 'open' }]);
    await expectFound(title.split(' ')[1], jacketRecords);
    await expectFound(other.id, { pledges: [wangTrench.id], payments: [wangTrench.depositPayment.id], refunds: [wangRefund.id] });

    // Nothing found is an empty answer; a consumer may not search.
    await expectFound('13900000000', {});
    await expectFound(randomUUID(), {});
    await t.http.get('/v1/console/search').query({ q: wang.phone }).set(wang.auth).expect(403);
    const blank = await t.http.get('/v1/console/search').query({ q: '  ' }).set(operator.auth).expect(400);
    expect(blank.body.errors).toEqual([expect.objectContaining({ path: 'query.q', reason: 'required' })]);
  });

  test("a pledge's record: its state, amounts, payments and refunds on a timeline, and its journal entries", async () => {
    const { t, clock, operator, factoryId } = bed;
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aCustomer();
    const placed = await paidPledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 2);
    await t.http.post(`/v1/pledges/${placed.id}/cancel`).set(consumer.auth).set('Idempotency-Key', randomUUID()).expect(200);
    await runDue(t, clock);
    const record = (await t.http.get(`/v1/console/money/pledges/${placed.id}`).set(operator.auth).expect(200)).body;
    expect(record).toMatchObject({
      kind: 'pledges',
      id: placed.id,
      status: 'cancelled',
      consumer: { id: consumer.userId, contact: expect.stringContaining('****') },
      campaign: { id: c.id, title: 'Winter down jacket, joint pre-order' },
      summary: 'black / M × 2',
    });
    expect(record.amounts).toEqual(
      expect.arrayContaining([
        { name: 'deposit', amount: placed.deposit },
        { name: 'refunded', amount: placed.deposit },
      ]),
    );
    expect(record.timeline.map((e: { event: string }) => e.event)).toEqual(
      expect.arrayContaining(['pledge_created', 'payment_created', 'payment_succeeded', 'refund_requested', 'refund_paid_out', 'ledger_entry']),
    );
    const refund = record.related.find((r: { kind: string }) => r.kind === 'refunds');
    expect(refund).toMatchObject({ status: 'succeeded', amount: placed.deposit, summary: 'pledge_cancelled', link: `/v1/console/money/refunds/${refund.id}` });
    expect(record.ledger.map((e: { kind: string }) => e.kind)).toEqual(['deposit_received', 'deposit_refunded', 'payment_refund_sent']);
    for (const entry of record.ledger) expect(entry.lines.reduce((s: number, l: { amount: string }) => s + Number(l.amount.replace('.', '')), 0)).toBe(0);

    // The payment and the refund read the same story from their side.
    const payment = (await t.http.get(`/v1/console/money/payments/${placed.depositPayment.id}`).set(operator.auth).expect(200)).body;
    expect(payment).toMatchObject({
      status: 'succeeded',
      summary: 'deposit',
      related: expect.arrayContaining([expect.objectContaining({ kind: 'pledges', id: placed.id })]),
    });
    const refundRecord = (await t.http.get(`/v1/console/money/refunds/${refund.id}`).set(operator.auth).expect(200)).body;
    expect(refundRecord).toMatchObject({
      status: 'succeeded',
      stuck: false,
      summary: 'pledge_cancelled',
      fields: expect.arrayContaining([{ name: 'attempts', value: '1' }]),
    });
    await t.http.get(`/v1/console/money/boxes/${placed.id}`).set(operator.auth).expect(404);
    await t.http.get(`/v1/console/money/pledges/${placed.id}`).set(consumer.auth).expect(403);
  });

  test("a pledge's record counts what was paid back in CNY; money taken in another currency is named with its currency", async () => {
    const { t, clock, operator } = bed;
    const { consumer, pledgeId, deposit } = await anUnpaidDeposit(bed);
    const { sandbox } = t.app.services;
    await deliver(t, 'sandbox', sandbox.notification(deposit, 'succeeded', clock.now())).expect(200);
    // The provider also took 7.00 USD against the deposit: money we did not ask for, refunded in USD.
    const usd = { amount: parseMoney('7.00') };
    await deliver(
      t,
      'sandbox',
      sandbox.notification({ ...deposit, ...usd }, 'succeeded', clock.now(), { transactionId: `usd-${deposit.id}`, currency: 'USD' }),
    ).expect(200);
    await t.http.post(`/v1/pledges/${pledgeId}/cancel`).set(consumer.auth).set('Idempotency-Key', randomUUID()).expect(200);
    await runDue(t, clock);
    const record = (await t.http.get(`/v1/console/money/pledges/${pledgeId}`).set(operator.auth).expect(200)).body;
    expect(record.amounts).toContainEqual({ name: 'refunded', amount: deposit.amount.toFixed(2) });
    expect(record.related).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'payments', amount: '7.00', summary: 'unexpected · USD' }),
        expect.objectContaining({ kind: 'refunds', amount: '7.00', summary: 'unexpected_payment · USD' }),
        expect.objectContaining({ kind: 'refunds', amount: deposit.amount.toFixed(2), summary: 'pledge_cancelled' }),
      ]),
    );
  });

  test("a subscription's and a box's record", async () => {
    const { t, clock, operator } = bed;
    const consumer = await aCustomer();
    const id = (await subscribe(t, consumer, clock).expect(201)).body.id as string;
    const subscription = (await t.http.get(`/v1/console/money/subscriptions/${id}`).set(operator.auth).expect(200)).body;
    expect(subscription).toMatchObject({
      kind: 'subscriptions',
      status: 'active',
      consumer: { id: consumer.userId },
      amounts: [{ name: 'pricePerBox', amount: expect.any(String) }],
    });
    const box = subscription.related[0];
    expect(box).toMatchObject({ kind: 'boxes', status: 'planned' });
    const boxRecord = (await t.http.get(box.link).set(operator.auth).expect(200)).body;
    expect(boxRecord).toMatchObject({ kind: 'boxes', id: box.id, status: 'planned', related: [expect.objectContaining({ kind: 'subscriptions', id })] });
    expect(boxRecord.timeline.map((e: { event: string }) => e.event)).toEqual(expect.arrayContaining(['box_planned', 'box_cutoff', 'box_ship_by']));
  });
});

describe('refunds an operator sends again', () => {
  /** A consumer's paid deposit, cancelled: its refund decided, its job not run yet. */
  async function aRefundDecided() {
    const { t, clock, operator, factoryId } = bed;
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const placed = await paidPledge(t, consumer, c.id, { colour: 'black', size: 'L' }, 1);
    await t.http.post(`/v1/pledges/${placed.id}/cancel`).set(consumer.auth).set('Idempotency-Key', randomUUID()).expect(200);
    const refunds = (await t.http.get('/v1/refunds?limit=100').set(operator.auth).expect(200)).body.items as { id: string; pledgeId: string }[];
    return { placed, refundId: refunds.find((r) => r.pledgeId === placed.id)!.id };
  }
  const attention = async () =>
    (await bed.t.http.get('/v1/refunds?problem=attention&limit=100').set(bed.operator.auth).expect(200)).body.items as {
      id: string;
      status: string;
      stuck: boolean;
      attempts: number;
      lastError: string | null;
    }[];
  const retry = (refundId: string, key = randomUUID(), reason = '银行已恢复，重新退款') =>
    bed.t.http.post(`/v1/refunds/${refundId}/retry`).set(bed.operator.auth).set('Idempotency-Key', key).send({ reason });
  const paidOut = (refundId: string) => bed.t.app.services.sandbox.refundsSent.filter((r) => r.refundId === refundId);
  const sentEntries = async (refundId: string) => (await bed.t.db.read((tx) => tx.findBy(JournalEntryRow, { refundId, kind: 'payment_refund_sent' }))).length;

  /** One run of the refund job's work for this refund (the job itself retries on its own clock, which other tests have moved on). */
  const sendOnce = (refundId: string) => bed.t.app.services.payments.sendRefunds([refundId]);

  afterEach(async () => {
    bed.t.app.services.sandbox.clearRefundFaults();
    // The refund jobs still due (their retries) find their refunds paid out, and change nothing.
    await runDue(bed.t, bed.clock);
  });

  test('a refund the bank refused is listed with its error and attempts, sent again by hand, paid out once; replays and second retries pay nothing', async () => {
    const { t, clock } = bed;
    const { refundId } = await aRefundDecided();
    // Not failed, not stuck: being sent, not the operator's to send.
    expect((await retry(refundId).expect(409)).body.code).toBe('refund_not_retryable');

    t.app.services.sandbox.failNextRefunds(1);
    await sendOnce(refundId);
    expect((await attention()).find((r) => r.id === refundId)).toMatchObject({
      status: 'failed',
      stuck: false,
      attempts: 1,
      lastError: 'sandbox: the bank rejected the refund',
    });
    expect(paidOut(refundId)).toHaveLength(0);

    const key = randomUUID();
    const first = (await retry(refundId, key).expect(200)).body;
    expect(first).toMatchObject({ outcome: 'paid_out', refund: { id: refundId, status: 'succeeded', attempts: 2, lastError: null } });
    expect(paidOut(refundId)).toHaveLength(1);
    expect(await sentEntries(refundId)).toBe(1);
    expect((await attention()).map((r) => r.id)).not.toContain(refundId);

    // The same request again (a double click, a lost answer) is the first answer; a new retry finds it paid out.
    expect((await retry(refundId, key).expect(200)).body).toEqual(first);
    expect((await retry(refundId).expect(200)).body).toMatchObject({ outcome: 'already_paid_out', refund: { status: 'succeeded', attempts: 2 } });
    // Each retry is in the audit log: who, which refund, why.
    const audit = (await t.http.get('/v1/audit-log').query({ action: 'POST /v1/refunds/:id/retry', limit: '100' }).set(bed.operator.auth).expect(200)).body
      .items as { subjectId: string; reason: string; actor: { userId: string }; status: string }[];
    expect(audit.filter((e) => e.subjectId === refundId)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ reason: '银行已恢复，重新退款', actor: expect.objectContaining({ userId: bed.operator.userId }), status: 'succeeded' }),
      ]),
    );
    // The job's own retry, due later, finds it done too.
    clock.offsetMs += 60 * 60_000;
    await runDue(t, clock);
    expect(paidOut(refundId)).toHaveLength(1);
    expect(await sentEntries(refundId)).toBe(1);
  });

  test('two operators sending a refused refund again at the same moment as its job: paid out once', async () => {
    const { refundId } = await aRefundDecided();
    bed.t.app.services.sandbox.failNextRefunds(1);
    await sendOnce(refundId);
    const [one, two] = await Promise.all([retry(refundId), retry(refundId), sendOnce(refundId)]);
    // Each operator is told it is paid out (now, or already: whoever recorded the provider's answer first).
    for (const answer of [one, two])
      expect({ status: answer.status, outcome: answer.body.outcome }).toEqual({ status: 200, outcome: expect.stringMatching(/^(already_)?paid_out$/) });
    expect(paidOut(refundId)).toHaveLength(1);
    expect(await sentEntries(refundId)).toBe(1);
  });

  test('a refund the provider paid while its answer was lost ends paid out, once', async () => {
    const { t } = bed;
    const { refundId } = await aRefundDecided();
    t.app.services.sandbox.timeOutNextRefunds(1, { applied: true, afterMs: 10 });
    await sendOnce(refundId);
    expect((await attention()).find((r) => r.id === refundId)).toMatchObject({
      status: 'failed',
      lastError: expect.stringContaining('no answer from the gateway'),
    });
    expect(paidOut(refundId)).toHaveLength(1);

    expect((await retry(refundId).expect(200)).body).toMatchObject({ outcome: 'paid_out', refund: { status: 'succeeded' } });
    expect(paidOut(refundId)).toHaveLength(1);
    expect(await sentEntries(refundId)).toBe(1);
  });

  test('a refund never sent (its worker down) is stuck after the threshold; a retry sends it, once', async () => {
    const { clock } = bed;
    const { refundId } = await aRefundDecided();
    expect((await attention()).map((r) => r.id)).not.toContain(refundId);
    clock.offsetMs += 61 * 60_000;
    expect((await attention()).find((r) => r.id === refundId)).toMatchObject({ status: 'pending', stuck: true, attempts: 0 });
    expect((await retry(refundId).expect(200)).body).toMatchObject({ outcome: 'paid_out', refund: { status: 'succeeded', attempts: 1, stuck: false } });
    expect(paidOut(refundId)).toHaveLength(1);
    expect(await sentEntries(refundId)).toBe(1);
  });

  test('a refund stuck at the provider: listed as stuck after the threshold; a retry asks the provider, and records it paid out when it is', async () => {
    const { t, clock } = bed;
    const { refundId } = await aRefundDecided();
    t.app.services.sandbox.processNextRefunds(1);
    await sendOnce(refundId);
    expect((await attention()).map((r) => r.id)).not.toContain(refundId);
    expect((await retry(refundId).expect(409)).body.code).toBe('refund_not_retryable');

    clock.offsetMs += 61 * 60_000;
    expect((await attention()).find((r) => r.id === refundId)).toMatchObject({ status: 'processing', stuck: true });
    const stuck = (await t.http.get('/v1/refunds?problem=stuck&limit=100').set(bed.operator.auth).expect(200)).body.items as { id: string }[];
    expect(stuck.map((r) => r.id)).toContain(refundId);
    // Still under way at the provider: nothing changes, nothing is paid twice.
    expect((await retry(refundId).expect(200)).body).toMatchObject({ outcome: 'processing', refund: { status: 'processing', stuck: true } });

    t.app.services.sandbox.finishRefunds();
    expect((await retry(refundId).expect(200)).body).toMatchObject({ outcome: 'paid_out', refund: { status: 'succeeded', stuck: false } });
    expect(paidOut(refundId)).toHaveLength(1);
    expect(await sentEntries(refundId)).toBe(1);
    const record = (await t.http.get(`/v1/console/money/refunds/${refundId}`).set(bed.operator.auth).expect(200)).body;
    expect(record.timeline.map((e: { event: string }) => e.event)).toEqual(expect.arrayContaining(['refund_requested', 'refund_paid_out']));
  });

  test('a refund the bank refused for good (test mode: the sandbox told over HTTP) is not sent again by its job; an operator pays it', async () => {
    const { t, clock, operator } = bed;
    await t.http.post('/v1/sandbox/refund-faults').set(operator.auth).send({ kind: 'reject_for_good' }).expect(204);
    const { refundId } = await aRefundDecided();
    await runDue(t, clock);
    clock.offsetMs += 10 * 60_000;
    await runDue(t, clock);
    // Refused once, and left for an operator: the job did not send it again.
    expect((await attention()).find((r) => r.id === refundId)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'sandbox: the bank rejected the refund for good',
    });
    expect((await retry(refundId).expect(200)).body).toMatchObject({ outcome: 'paid_out', refund: { status: 'succeeded', attempts: 2 } });
    expect(paidOut(refundId)).toHaveLength(1);
    // Only an operator tells the sandbox what to do; `clear` forgets what was not played.
    const consumer = await aConsumer(t);
    await t.http.post('/v1/sandbox/refund-faults').set(consumer.auth).send({ kind: 'reject' }).expect(403);
    await t.http.post('/v1/sandbox/refund-faults').set(operator.auth).send({ kind: 'reject', count: 2 }).expect(204);
    await t.http.post('/v1/sandbox/refund-faults').set(operator.auth).send({ kind: 'clear' }).expect(204);
    const next = await aRefundDecided();
    await runDue(t, clock);
    expect(paidOut(next.refundId)).toHaveLength(1);
  });

  test('a reason is required, and a consumer may not send a refund again', async () => {
    const { t } = bed;
    const { refundId } = await aRefundDecided();
    const missing = await t.http.post(`/v1/refunds/${refundId}/retry`).set(bed.operator.auth).set('Idempotency-Key', randomUUID()).send({}).expect(400);
    expect(missing.body.errors).toEqual([expect.objectContaining({ path: 'body.reason', reason: 'required' })]);
    const consumer = await aConsumer(t);
    await t.http.post(`/v1/refunds/${refundId}/retry`).set(consumer.auth).set('Idempotency-Key', randomUUID()).send({ reason: 'x' }).expect(403);
    await runDue(t, bed.clock);
  });

  test('a status asked beside a problem narrows it: a paid-out refund is never stuck, a pending one needs attention only once it is stuck', async () => {
    const { clock } = bed;
    const paid = await aRefundDecided();
    await sendOnce(paid.refundId);
    const old = await aRefundDecided();
    clock.offsetMs += 61 * 60_000;
    const fresh = await aRefundDecided();
    const listed = async (query: string) =>
      (await bed.t.http.get(`/v1/refunds?${query}&limit=100`).set(bed.operator.auth).expect(200)).body.items as {
        id: string;
        status: string;
        stuck: boolean;
      }[];

    const pendingAttention = await listed('problem=attention&status=pending');
    expect(pendingAttention.map((r) => r.id)).toContain(old.refundId);
    expect(pendingAttention.map((r) => r.id)).not.toContain(fresh.refundId);
    expect(pendingAttention.every((r) => r.status === 'pending' && r.stuck)).toBe(true);
    // A paid-out or failed refund is not stuck, whatever status is asked.
    for (const status of ['succeeded', 'failed']) expect(await listed(`problem=stuck&status=${status}`)).toEqual([]);
    expect(await listed('problem=attention&status=succeeded')).toEqual([]);
  });
});

describe('the ledger board', () => {
  test("every reconcile check green, every account's balance, what is owed to each factory", async () => {
    const { t, clock, operator, factoryId } = bed;
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    await paidPledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1);
    const board = (await t.http.get('/v1/console/ledger').set(operator.auth).expect(200)).body;
    expect(board.ok).toBe(true);
    expect(board.checks.map((c: { check: string }) => c.check)).toEqual([
      ...LEDGER_CHECKS,
      'pledge_tallies',
      'box_charges',
      'unexpected_payments_refunded_once',
      'payouts_pay_their_statements',
      'commission_records',
    ]);
    for (const check of board.checks) expect(check).toMatchObject({ ok: true, violations: [], detail: expect.any(String) });
    const held = (await t.app.reconcile()).totals.held;
    expect(board.totals.held).toBe(held);
    expect(board.accounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account: 'gateway', kind: 'gateway', subjectId: null }),
        expect.objectContaining({
          account: `held_deposits:${c.id}`,
          kind: 'held_deposits',
          subjectId: c.id,
          name: 'Winter down jacket, joint pre-order',
          balance: `-${c.depositPerUnit}`,
        }),
      ]),
    );
  });

  test('what is owed: a factory its completed purchase, less the fee, on a statement; a shop owner the commission on it', async () => {
    const { t, clock, operator } = bed;
    const factory = await aFactory(t, operator);
    const shop = await aShopOwner(t, operator, aShopApplication({ name: `阿芳的小店 ${randomUUID().slice(0, 4)}` }));
    const customer = await aConsumer(t);
    await t.http.post('/v1/me/shop-binding').set(customer.auth).send({ code: shop.code }).expect(200);
    const c = await anOpenCampaign(t, operator, factory.id, clock, { tiers: [{ minUnits: 1, unitPrice: '899.00' }] });
    await t.http.put(`/v1/campaigns/${c.id}/commission-rate`).set(operator.auth).send({ rate: '0.03' }).expect(200);
    const placed = await paidPledge(t, customer, c.id, { colour: 'black', size: 'M' }, 1);
    await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
    await runDue(t, clock);
    await payBalance(t, customer, placed.id);
    await runDue(t, clock);

    const board = (await t.http.get('/v1/console/ledger').set(operator.auth).expect(200)).body;
    const [statement] = (await t.http.get(`/v1/statements?factoryId=${factory.id}`).set(operator.auth).expect(200)).body.items;
    expect(board.factories.find((f: { factoryId: string }) => f.factoryId === factory.id)).toEqual({
      factoryId: factory.id,
      name: expect.stringMatching(/^Factory /),
      payable: statement.net,
      unpaidStatements: statement.net,
      inFlight: '0.00',
      paidOut: '0.00',
    });
    // 3% of 899.00 = 26.97, earned now; not yet on a monthly statement.
    expect(board.shops.find((s: { shopId: string }) => s.shopId === shop.id)).toEqual({
      shopId: shop.id,
      name: expect.stringMatching(/^阿芳的小店/),
      payable: '26.97',
      pending: '26.97',
      settled: '0.00',
      held: '0.00',
      paid: '0.00',
    });
    expect(board.accounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account: `factory_payable:${factory.id}`, kind: 'factory_payable', balance: `-${statement.net}` }),
        expect.objectContaining({
          account: `commission_payable:${shop.id}`,
          kind: 'commission_payable',
          name: expect.stringMatching(/^阿芳的小店/),
          balance: '-26.97',
        }),
      ]),
    );
  });

  test('a broken invariant is red on the board, with what was found', async () => {
    const { t, operator } = bed;
    const entryId = newId();
    await t.db.transaction(async (tx) => {
      await tx.insert(JournalEntryRow, {
        id: entryId,
        kind: 'deposit_received',
        createdAt: new Date(),
        campaignId: null,
        pledgeId: null,
        boxId: null,
        paymentId: null,
        refundId: null,
        payoutId: null,
      });
      await tx.insert(JournalLineRow, { id: newId(), entryId, account: 'platform_fees', amount: parseMoney('1.00') });
    });
    try {
      const board = (await t.http.get('/v1/console/ledger').set(operator.auth).expect(200)).body;
      expect(board.ok).toBe(false);
      expect(board.checks.find((c: { check: string }) => c.check === 'entries_balance')).toEqual({
        check: 'entries_balance',
        ok: false,
        detail: `journal entry ${entryId} does not sum to zero (or has fewer than two lines)`,
        violations: [`journal entry ${entryId} does not sum to zero (or has fewer than two lines)`],
      });
    } finally {
      // A test's own damage, undone: the ledger is otherwise never changed.
      await t.db.transaction(async (tx) => {
        await tx.delete(JournalLineRow, { entryId });
        await tx.delete(JournalEntryRow, { id: entryId });
      });
    }
  });
});
