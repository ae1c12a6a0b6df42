import { Decimal } from '../../src/platform/money';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, paidPledge, payBalance, pledge, sandboxSettles } from '../support/campaigns';
import { TestClock, advance, runDue } from '../support/clock';
import { waitFor } from '../support/wait';

/** Joint pre-orders end to end through HTTP, with every amount checked to the fen. */
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

const campaign = (id: string) => t.http.get(`/v1/campaigns/${id}`).then((r) => r.body);
const pledgeOf = (c: Caller, id: string) =>
  t.http
    .get(`/v1/pledges/${id}`)
    .set(c.auth)
    .expect(200)
    .then((r) => r.body);
const notifications = (c: Caller) =>
  t.http
    .get('/v1/me/notifications?limit=100')
    .set(c.auth)
    .expect(200)
    .then((r) => r.body.items as { kind: string; message: string }[]);
const closeAndSettle = async (id: string) => {
  await t.http.post(`/v1/campaigns/${id}/close`).set(operator.auth).expect(200);
  await runDue(t, clock);
};
const refunds = () =>
  t.http
    .get('/v1/refunds?limit=100')
    .set(operator.auth)
    .expect(200)
    .then((r) => r.body.items as { pledgeId: string; amount: string; status: string; reason: string }[]);
/** How much a balance grew, exactly (decimal.js, never a float); a balance may be below zero (a factory that owes compensation). */
const change = (before: string, after: string) => new Decimal(after).minus(new Decimal(before)).toFixed(2);
const balances = async (factoryId = factory.id) => {
  const ledger = t.app.services.ledger;
  return t.db.read(async (tx) => ({
    fees: (await ledger.balance(tx, 'platform_fees')).negated().toFixed(2),
    factory: (await ledger.balance(tx, `factory_payable:${factoryId}`)).negated().toFixed(2),
  }));
};

describe('a campaign that succeeds', () => {
  test('everyone pays the price of the highest tier reached, and the balance completes each purchase', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock);
    expect(c.depositPerUnit).toBe('100.00'); // 999.99 × 0.10 = 99.999, rounded half up to the fen
    const [a, b, d] = await Promise.all([aConsumer(t), aConsumer(t), aConsumer(t)]);
    const before = await balances();
    const pa = await paidPledge(t, a, c.id, black, 2);
    const pb = await paidPledge(t, b, c.id, navy, 2);
    expect(pa.deposit).toBe('200.00');

    let progress = (await campaign(c.id)).progress;
    expect(progress).toMatchObject({
      paidUnits: 4,
      pledgers: 2,
      currentTier: { minUnits: 3, unitPrice: '899.00' },
      nextTier: { minUnits: 5, unitPrice: '699.50', unitsNeeded: 1 },
      thresholdReached: true,
    });
    expect(progress.secondsLeft).toBeGreaterThan(3500);
    const pd = await paidPledge(t, d, c.id, black, 1);
    progress = (await campaign(c.id)).progress;
    expect(progress).toMatchObject({ paidUnits: 5, currentTier: { minUnits: 5 }, nextTier: null });
    expect(progress.variants).toEqual(
      expect.arrayContaining([
        { variant: 'colour=black;size=M', paidUnits: 3, reservedUnits: 3 },
        { variant: 'colour=navy;size=L', paidUnits: 2, reservedUnits: 2 },
      ]),
    );

    await closeAndSettle(c.id);
    const decided = await campaign(c.id);
    expect(decided).toMatchObject({ status: 'succeeded', finalUnitPrice: '699.50' });
    const awaiting = await pledgeOf(a, pa.id);
    // (699.50 − 100.00 credited) × 2 units
    expect(awaiting).toMatchObject({ status: 'awaiting_balance', unitPrice: '699.50', creditedPerUnit: '100.00', balance: '1199.00' });
    expect((await notifications(a)).map((n) => n.kind)).toEqual(expect.arrayContaining(['deposit_received', 'campaign_succeeded']));

    expect((await payBalance(t, a, pa.id)).amount).toBe('1199.00');
    await payBalance(t, b, pb.id);
    expect((await pledgeOf(a, pa.id)).status).toBe('paid');
    expect((await campaign(c.id)).status).toBe('succeeded');
    await payBalance(t, d, pd.id);
    expect((await campaign(c.id)).status).toBe('completed');

    // 5 units × 699.50 = 3497.50 paid in all; the fee is 5% of each purchase, rounded half up per purchase:
    // 1399.00 → 69.95, 1399.00 → 69.95, 699.50 → 34.98 (34.975); the factory is owed the rest.
    const after = await balances();
    expect(change(before.fees, after.fees)).toBe('174.88');
    expect(change(before.factory, after.factory)).toBe('3322.62');
  });

  test('once decided, the progress shows the tier it was decided at and no next tier, whatever later refunds do to its paid units', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, {
      tiers: [
        { minUnits: 2, unitPrice: '899.00' },
        { minUnits: 3, unitPrice: '799.00' },
        { minUnits: 10, unitPrice: '699.00' },
      ],
    });
    const consumers = await Promise.all([aConsumer(t), aConsumer(t), aConsumer(t)]);
    const pledges = [];
    for (const consumer of consumers) pledges.push(await paidPledge(t, consumer, c.id, black, 1));
    await closeAndSettle(c.id);
    const decided = { currentTier: { minUnits: 3, unitPrice: '799.00' }, nextTier: null, thresholdReached: true };
    expect(await campaign(c.id)).toMatchObject({ status: 'succeeded', finalUnitPrice: '799.00', progress: { paidUnits: 3, ...decided } });
    for (const [i, consumer] of consumers.entries()) await payBalance(t, consumer, pledges[i].id);
    // An after-sale refund (售后) of one purchase takes its units out of the paid count; everyone still paid ¥799.
    await t.http
      .post(`/v1/pledges/${pledges[0].id}/after-sale-refund`)
      .set(operator.auth)
      .set('Idempotency-Key', `after-sale-${pledges[0].id}`)
      .send({ reason: '质量问题退货' })
      .expect(200);
    await runDue(t, clock);
    expect(await campaign(c.id)).toMatchObject({ status: 'completed', finalUnitPrice: '799.00', progress: { paidUnits: 2, ...decided } });
  });

  test('定金膨胀: a deposit with a credit rate of 2 counts double toward the price, never more than the price', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { depositCreditRate: '2', tiers: [{ minUnits: 1, unitPrice: '899.00' }] });
    const consumer = await aConsumer(t);
    const p = await paidPledge(t, consumer, c.id, black, 3);
    expect(p.deposit).toBe('300.00');
    await closeAndSettle(c.id);
    // 899.00 − 200.00 credited (100.00 × 2) = 699.00 a unit, × 3
    expect(await pledgeOf(consumer, p.id)).toMatchObject({ creditedPerUnit: '200.00', balance: '2097.00' });
    await payBalance(t, consumer, p.id);
    expect((await campaign(c.id)).status).toBe('completed');
  });

  test('a variant below its minimum is not made: its pledges are refunded, the rest go on', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { variantMinUnits: 2, tiers: [{ minUnits: 2, unitPrice: '899.00' }] });
    const [a, b] = await Promise.all([aConsumer(t), aConsumer(t)]);
    const made = await paidPledge(t, a, c.id, black, 2);
    const notMade = await paidPledge(t, b, c.id, navy, 1);
    await closeAndSettle(c.id);
    expect(await campaign(c.id)).toMatchObject({ status: 'succeeded', droppedVariants: ['colour=navy;size=L'] });
    expect((await pledgeOf(a, made.id)).status).toBe('awaiting_balance');
    expect((await pledgeOf(b, notMade.id)).status).toBe('refunded');
    expect((await refunds()).find((r) => r.pledgeId === notMade.id)).toMatchObject({ amount: '100.00', status: 'succeeded', reason: 'variant_not_produced' });
    expect((await notifications(b)).map((n) => n.kind)).toEqual(expect.arrayContaining(['variant_not_produced', 'refund_sent']));
  });

  test('a variant dropped at the decision is refunded as not produced even when an operator cancels before its refunds ran', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { variantMinUnits: 2, tiers: [{ minUnits: 2, unitPrice: '899.00' }] });
    const [a, b] = await Promise.all([aConsumer(t), aConsumer(t)]);
    const made = await paidPledge(t, a, c.id, black, 2);
    const notMade = await paidPledge(t, b, c.id, navy, 1);
    await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
    // The decision alone, as its job runs it; the settle job it schedules has not run when the cancel comes.
    await t.app.services.decisions.close(c.id);
    expect(await campaign(c.id)).toMatchObject({ status: 'succeeded', droppedVariants: ['colour=navy;size=L'] });
    expect((await pledgeOf(b, notMade.id)).status).toBe('active');
    await t.http.post(`/v1/campaigns/${c.id}/cancel`).set(operator.auth).set('Idempotency-Key', `cancel-${c.id}`).send({ reason: '工厂停产' }).expect(200);
    await runDue(t, clock);
    const byPledge = (id: string) => refunds().then((all) => all.filter((r) => r.pledgeId === id).map((r) => `${r.reason} ${r.amount}`));
    expect(await byPledge(notMade.id)).toEqual(['variant_not_produced 100.00']);
    expect((await notifications(b)).map((n) => n.kind)).toEqual(expect.arrayContaining(['variant_not_produced']));
    expect((await notifications(b)).map((n) => n.kind)).not.toContain('campaign_cancelled');
    // The variant that was to be made: the seller's default, its deposit back and once more.
    expect((await byPledge(made.id)).sort()).toEqual(['campaign_cancelled 200.00', 'deposit_compensation 200.00']);
  });

  test.each([1, 24])(
    'a balance window of %i hours, no longer than the reminder lead time: every consumer is reminded once, before the due time',
    async (windowHours) => {
      const c = await anOpenCampaign(t, operator, factory.id, clock, { balanceWindowHours: windowHours, tiers: [{ minUnits: 2, unitPrice: '899.00' }] });
      const [a, b] = await Promise.all([aConsumer(t), aConsumer(t)]);
      const pledges = [await paidPledge(t, a, c.id, black, 1), await paidPledge(t, b, c.id, navy, 1)];
      await closeAndSettle(c.id);
      const reminders = async (consumer: Caller) => (await notifications(consumer)).filter((n) => n.kind === 'balance_reminder');
      // Reminded at once (the window is shorter than the lead time), while the balance can still be paid.
      for (const [i, consumer] of [a, b].entries()) {
        expect(await reminders(consumer)).toHaveLength(1);
        expect((await pledgeOf(consumer, pledges[i].id)).status).toBe('awaiting_balance');
      }
      await advance(t, clock, windowHours * HOUR + 60_000);
      for (const [i, consumer] of [a, b].entries()) {
        expect((await pledgeOf(consumer, pledges[i].id)).status).toBe('forfeited');
        expect(await reminders(consumer)).toHaveLength(1);
      }
    },
  );

  test('a balance paid just before the due time whose notification comes after it completes the purchase; one never paid is forfeited after the grace', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { tiers: [{ minUnits: 2, unitPrice: '899.00' }] });
    const [a, b] = await Promise.all([aConsumer(t), aConsumer(t)]);
    const [inTime, abandoned] = [await paidPledge(t, a, c.id, black, 1), await paidPledge(t, b, c.id, black, 1)];
    await closeAndSettle(c.id);
    const dueAt = Date.parse((await campaign(c.id)).balanceDueAt);
    await advance(t, clock, dueAt - 1000 - clock.now().getTime());
    const askBalance = (consumer: Caller, pledgeId: string) =>
      t.http.post(`/v1/pledges/${pledgeId}/balance-payment`).set(consumer.auth).set('Idempotency-Key', `last-second-${pledgeId}`).expect(201);
    const paying = (await askBalance(a, inTime.id)).body.balancePayment;
    const neverPaid = (await askBalance(b, abandoned.id)).body.balancePayment;
    // The due time passes (the forfeit job runs), then the gateway's notification of A's payment arrives.
    await advance(t, clock, 5000);
    await sandboxSettles(t, paying.id);
    expect((await pledgeOf(a, inTime.id)).status).toBe('paid');
    expect((await notifications(a)).map((n) => n.kind)).not.toContain('deposit_forfeited');
    expect((await pledgeOf(b, abandoned.id)).status).toBe('awaiting_balance');
    await advance(t, clock, 15 * 60_000);
    expect((await pledgeOf(b, abandoned.id)).status).toBe('forfeited');
    expect((await campaign(c.id)).status).toBe('completed');
    // Money for it that arrives after all goes back.
    await sandboxSettles(t, neverPaid.id);
    await runDue(t, clock);
    expect((await refunds()).filter((r) => r.pledgeId === abandoned.id).map((r) => `${r.reason} ${r.amount}`)).toEqual(['late_payment 799.00']);
  });

  test('the balance reminder run on several workers at once reminds each consumer once (on MariaDB each run sent its own)', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { balanceWindowHours: 72, tiers: [{ minUnits: 2, unitPrice: '899.00' }] });
    const consumers = await Promise.all([aConsumer(t), aConsumer(t), aConsumer(t)]);
    for (const consumer of consumers) await paidPledge(t, consumer, c.id, black, 1);
    await closeAndSettle(c.id);
    // The reminder is due in 48 hours; a job taken over by another worker while the first still runs is the same as this.
    await Promise.all([1, 2, 3].map(() => t.app.services.settlement.remind(c.id)));
    for (const consumer of consumers) expect((await notifications(consumer)).filter((n) => n.kind === 'balance_reminder')).toHaveLength(1);
  });

  test('a balance not paid by the due time forfeits the deposit to the factory', async () => {
    const own = await aFactory(t, operator);
    const c = await anOpenCampaign(t, operator, own.id, clock, { tiers: [{ minUnits: 2, unitPrice: '899.00' }] });
    const [a, b] = await Promise.all([aConsumer(t), aConsumer(t)]);
    const payer = await paidPledge(t, a, c.id, black, 1);
    const late = await paidPledge(t, b, c.id, black, 1);
    await closeAndSettle(c.id);
    await payBalance(t, a, payer.id);
    const before = await balances(own.id);

    await advance(t, clock, 47 * HOUR);
    expect((await notifications(b)).map((n) => n.kind)).toContain('balance_reminder');
    expect((await pledgeOf(b, late.id)).status).toBe('awaiting_balance');
    await advance(t, clock, 2 * HOUR);
    expect((await pledgeOf(b, late.id)).status).toBe('forfeited');
    expect((await notifications(b)).map((n) => n.kind)).toContain('deposit_forfeited');
    expect((await campaign(c.id)).status).toBe('completed');
    const after = await balances(own.id);
    expect(change(before.factory, after.factory)).toBe('100.00');

    const res = await t.http.post(`/v1/pledges/${late.id}/balance-payment`).set(b.auth).set('Idempotency-Key', 'too-late').expect(409);
    expect(res.body.code).toBe('pledge_not_awaiting_balance');
  });
});

describe('a campaign that fails', () => {
  test('below the threshold every deposit is refunded automatically', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock);
    const [a, b] = await Promise.all([aConsumer(t), aConsumer(t)]);
    const pa = await paidPledge(t, a, c.id, black, 1);
    const pb = await paidPledge(t, b, c.id, navy, 1);
    await closeAndSettle(c.id);
    expect(await campaign(c.id)).toMatchObject({ status: 'failed', progress: { currentTier: null, nextTier: null, thresholdReached: false } });
    for (const [consumer, p] of [
      [a, pa],
      [b, pb],
    ] as const) {
      expect((await pledgeOf(consumer, p.id)).status).toBe('refunded');
      expect((await refunds()).find((r) => r.pledgeId === p.id)).toMatchObject({ amount: '100.00', status: 'succeeded', reason: 'campaign_failed' });
      expect((await notifications(consumer)).map((n) => n.kind)).toEqual(expect.arrayContaining(['campaign_failed', 'refund_sent']));
    }
    // The money really left: the gateway paid each deposit back once.
    const sent = t.app.services.sandbox.refundsSent.filter((r) => [pa.depositPayment.id, pb.depositPayment.id].includes(r.paymentId));
    expect(sent.map((r) => r.amount)).toEqual(['100.00', '100.00']);
  });

  test('a refund the bank rejects is retried until it goes through, and operators see it meanwhile', async () => {
    // Real time and a running worker: the retries wait out agenda's real back-off.
    const live = await startTestApp({ runsWorker: true });
    try {
      const liveOperator = await anOperator(live);
      const liveFactory = await aFactory(live, liveOperator);
      const c = await anOpenCampaign(live, liveOperator, liveFactory.id, new TestClock());
      const consumer = await aConsumer(live);
      const p = await paidPledge(live, consumer, c.id, black, 1);
      live.app.services.sandbox.failNextRefunds(2);
      await live.http.post(`/v1/campaigns/${c.id}/close`).set(liveOperator.auth).expect(200);
      const refundOf = async (status = '') =>
        ((await live.http.get(`/v1/refunds?${status}`).set(liveOperator.auth)).body.items as { pledgeId: string; status: string }[]).find(
          (r) => r.pledgeId === p.id,
        );
      await waitFor(async () => (await refundOf('status=failed')) !== undefined, 10_000, 'the first refusal');
      expect(await refundOf('status=failed')).toMatchObject({ status: 'failed', amount: '100.00', lastError: 'sandbox: the bank rejected the refund' });
      await waitFor(async () => (await refundOf())?.status === 'succeeded', 20_000, 'the refund to go through');
      expect(await refundOf()).toMatchObject({ status: 'succeeded', attempts: 3 });
      await expectLedgerReconciles(live);
    } finally {
      await live.close();
    }
    // A second app on a fresh database and agenda's real back-off: minutes on a loaded machine.
  }, 180_000);
});

describe('cancelling', () => {
  test('a consumer cancels while the campaign is open: unpaid is dropped, paid is refunded in full; after close it is refused', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { maxUnits: 10 });
    const consumer = await aConsumer(t);
    const unpaid = await pledge(t, consumer, c.id, black, 2).then((r) => r.body);
    const paid = await paidPledge(t, consumer, c.id, black, 3);
    expect((await campaign(c.id)).progress.reservedUnits).toBe(5);

    await t.http.post(`/v1/pledges/${unpaid.id}/cancel`).set(consumer.auth).set('Idempotency-Key', 'c1').expect(200);
    const cancelled = await t.http.post(`/v1/pledges/${paid.id}/cancel`).set(consumer.auth).set('Idempotency-Key', 'c2').expect(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await campaign(c.id)).progress).toMatchObject({ reservedUnits: 0, remainingUnits: 10 });
    await runDue(t, clock);
    expect((await refunds()).find((r) => r.pledgeId === paid.id)).toMatchObject({ amount: '300.00', status: 'succeeded', reason: 'pledge_cancelled' });
    expect((await refunds()).some((r) => r.pledgeId === unpaid.id)).toBe(false);

    const later = await paidPledge(t, consumer, c.id, black, 1);
    await closeAndSettle(c.id);
    const refused = await t.http.post(`/v1/pledges/${later.id}/cancel`).set(consumer.auth).set('Idempotency-Key', 'c3').expect(409);
    expect(refused.body.code).toBe('pledge_not_cancellable');
  });

  test('a cancel sent a moment before the deadline, still running when the decision is made, is refused if the decision counted it (on MariaDB the campaign succeeded below its threshold)', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { tiers: [{ minUnits: 2, unitPrice: '899.00' }] });
    const closesAt = Date.parse((await campaign(c.id)).closesAt);
    const [a, b] = await Promise.all([aConsumer(t), aConsumer(t)]);
    const last = await paidPledge(t, a, c.id, black, 1);
    await paidPledge(t, b, c.id, black, 1);
    // The cancel starts 50 ms before the deadline; the close job starts at it, while the cancel is still running.
    clock.offsetMs += closesAt - 50 - clock.now().getTime();
    const cancelling = t.app.services.pledges.cancellation.cancel({ role: 'consumer', userId: a.userId }, last.id).then(
      () => 'cancelled',
      (error: { code?: string }) => error.code,
    );
    clock.offsetMs += 100;
    await Promise.all([cancelling, t.app.services.decisions.close(c.id)]);
    await runDue(t, clock);
    const decided = await campaign(c.id);
    const status = (await pledgeOf(a, last.id)).status;
    // Either the cancel came first and the campaign failed, or the decision did and the pledge owes its balance.
    expect(['cancelled failed cancelled', 'pledge_not_cancellable succeeded awaiting_balance']).toContain(`${await cancelling} ${decided.status} ${status}`);
  });

  test('an operator cancels a succeeded campaign: deposits and paid balances all come back, and each deposit once more (定金双倍返还, the factory pays)', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { tiers: [{ minUnits: 2, unitPrice: '899.00' }] });
    const [a, b, d] = await Promise.all([aConsumer(t), aConsumer(t), aConsumer(t)]);
    const paidInFull = await paidPledge(t, a, c.id, black, 1);
    const awaiting = await paidPledge(t, b, c.id, black, 1);
    const unpaid = await pledge(t, d, c.id, black, 1).then((r) => r.body);
    await advance(t, clock, 20 * 60_000); // the unpaid pledge expires before the deadline is reached
    await closeAndSettle(c.id);
    const balance = await payBalance(t, a, paidInFull.id);
    expect(balance.amount).toBe('799.00');
    const before = await balances();

    await t.http
      .post(`/v1/campaigns/${c.id}/cancel`)
      .set(operator.auth)
      .set('Idempotency-Key', `cancel-${c.id}`)
      .send({ reason: '工厂停产，活动取消' })
      .expect(200);
    await runDue(t, clock);
    expect((await campaign(c.id)).status).toBe('cancelled');
    expect((await pledgeOf(a, paidInFull.id)).status).toBe('refunded');
    expect((await pledgeOf(b, awaiting.id)).status).toBe('refunded');
    expect((await pledgeOf(d, unpaid.id)).status).toBe('expired');
    const refundsOf = async (pledgeId: string) =>
      (await refunds())
        .filter((r) => r.pledgeId === pledgeId)
        .map((r) => `${r.reason} ${r.amount} ${r.status}`)
        .sort();
    // Paid in full: the price (deposit 100.00 + balance 799.00) back, and the deposit again as compensation.
    expect(await refundsOf(paidInFull.id)).toEqual([
      'campaign_cancelled 100.00 succeeded',
      'campaign_cancelled 799.00 succeeded',
      'deposit_compensation 100.00 succeeded',
    ]);
    // Awaiting the balance: the deposit back twice over.
    expect(await refundsOf(awaiting.id)).toEqual(['campaign_cancelled 100.00 succeeded', 'deposit_compensation 100.00 succeeded']);
    expect(await refundsOf(unpaid.id)).toEqual([]);
    const paidOut = t.app.services.sandbox.refundsSent.filter((r) => [paidInFull.depositPayment.id, awaiting.depositPayment.id].includes(r.paymentId));
    expect(paidOut.map((r) => `${r.reason} ${r.amount}`).sort()).toEqual([
      'campaign_cancelled 100.00',
      'campaign_cancelled 100.00',
      'deposit_compensation 100.00',
      'deposit_compensation 100.00',
    ]);
    const after = await balances();
    // The purchase's fee (5% of 899.00 = 44.95) and the factory's share (854.05) are taken back; the two compensations come from the factory.
    expect(change(after.fees, before.fees)).toBe('44.95');
    expect(change(after.factory, before.factory)).toBe('1054.05');
    for (const consumer of [a, b]) {
      expect(await notifications(consumer)).toContainEqual(
        expect.objectContaining({ kind: 'campaign_cancelled', message: expect.stringContaining('定金双倍返还') }),
      );
    }
    await t.http.post(`/v1/campaigns/${c.id}/cancel`).set(operator.auth).set('Idempotency-Key', 'again').send({ reason: '工厂停产，活动取消' }).expect(409);
  });

  test('an operator cancels a campaign still open: each paid deposit comes back once (the sale was still conditional on success)', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock);
    const consumer = await aConsumer(t);
    const p = await paidPledge(t, consumer, c.id, black, 2);
    await t.http
      .post(`/v1/campaigns/${c.id}/cancel`)
      .set(operator.auth)
      .set('Idempotency-Key', `cancel-${c.id}`)
      .send({ reason: '工厂停产，活动取消' })
      .expect(200);
    await runDue(t, clock);
    expect((await refunds()).filter((r) => r.pledgeId === p.id).map((r) => `${r.reason} ${r.amount}`)).toEqual(['campaign_cancelled 200.00']);
  });
});

test('a purchase undone after PLATFORM_FEE_RATE changed gives back the fee it was charged, not one at the new rate', async () => {
  const own = await aFactory(t, operator);
  const c = await anOpenCampaign(t, operator, own.id, clock, { tiers: [{ minUnits: 1, unitPrice: '899.00' }] });
  const [consumer, other] = await Promise.all([aConsumer(t), aConsumer(t)]);
  const p = await paidPledge(t, consumer, c.id, black, 1);
  await paidPledge(t, other, c.id, black, 1); // still owes its balance: the campaign is not completed yet
  await closeAndSettle(c.id);
  await payBalance(t, consumer, p.id);
  const before = await balances(own.id);
  // The service is deployed again with another fee rate, on the same database.
  const redeployed = await startTestApp({ clock, env: { PLATFORM_FEE_RATE: '0.08' }, database: { config: t.dbConfig, drop: async () => undefined } });
  try {
    await redeployed.http
      .post(`/v1/campaigns/${c.id}/cancel`)
      .set(operator.auth)
      .set('Idempotency-Key', `cancel-${c.id}`)
      .send({ reason: '工厂停产，活动取消' })
      .expect(200);
    await runDue(redeployed, clock);
  } finally {
    await redeployed.app.jobs.stopWorker(2000);
    await redeployed.app.close();
    await redeployed.db.close();
  }
  const after = await balances(own.id);
  // Charged 5% of 899.00 = 44.95; at 8% it gave back 71.92, and the factory kept 26.97 of a sale refunded in full.
  expect(change(after.fees, before.fees)).toBe('44.95');
  // Its share of the purchase (854.05), and each deposit once more (定金双倍返还, 2 × 100.00).
  expect(change(after.factory, before.factory)).toBe('1054.05');
});

describe('deposits and the deadline', () => {
  test('an unpaid pledge expires after its TTL and gives its units back; a payment landing later is refunded', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { maxUnits: 4 });
    const consumer = await aConsumer(t);
    const p = await pledge(t, consumer, c.id, black, 4).then((r) => r.body);
    expect((await pledge(t, consumer, c.id, black, 1)).body.code).toBe('campaign_sold_out');
    await advance(t, clock, 16 * 60_000);
    expect((await pledgeOf(consumer, p.id)).status).toBe('expired');
    expect((await campaign(c.id)).progress.reservedUnits).toBe(0);
    await t.http.post(`/v1/payments/${p.depositPayment.id}/sandbox/complete`).set(operator.auth).expect(200);
    await runDue(t, clock);
    expect((await refunds()).find((r) => r.pledgeId === p.id)).toMatchObject({ amount: '400.00', status: 'succeeded', reason: 'late_payment' });
    expect((await pledgeOf(consumer, p.id)).status).toBe('expired');
  });

  test('a deposit in flight at the deadline is waited for and counted', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { tiers: [{ minUnits: 2, unitPrice: '899.00' }] });
    const [a, b] = await Promise.all([aConsumer(t), aConsumer(t)]);
    await paidPledge(t, a, c.id, black, 1);
    const inFlight = await pledge(t, b, c.id, black, 1).then((r) => r.body);
    await closeAndSettle(c.id);
    expect((await campaign(c.id)).status).toBe('open');
    await advance(t, clock, 5 * 60_000);
    await t.http.post(`/v1/payments/${inFlight.depositPayment.id}/sandbox/complete`).set(operator.auth).expect(200);
    await advance(t, clock, 11 * 60_000);
    expect(await campaign(c.id)).toMatchObject({ status: 'succeeded', progress: { paidUnits: 2 } });
    expect((await pledgeOf(b, inFlight.id)).status).toBe('awaiting_balance');
  });
});

describe('running totals', () => {
  test('reconcile catches a tally that drifted from the pledges it counts', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock);
    await paidPledge(t, await aConsumer(t), c.id, black, 2);
    const drift = (units: number) =>
      t.db.statement((tx) => tx.query('UPDATE pledge_tallies SET active_units = active_units + ? WHERE campaign_id = ?', [units, c.id]));
    await drift(1);
    const report = await t.app.reconcile();
    expect(report.ok).toBe(false);
    expect(report.violations).toContainEqual(expect.stringContaining('tally has 3 units active, the pledges 2'));
    await drift(-1);
  });
});
